"""Demo logins: `make run` lists them by Mandant with German role names, and the login
page names them only in demo mode."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from koffer.demo import district
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant


def test_logins_are_printed_by_mandant_with_german_role_names() -> None:
    out = io.StringIO()
    call_command("load_demo", "--logins", stdout=out)
    text = out.getvalue()
    assert f"Passwort für alle: {district.DEMO_PASSWORD}" in text
    kreis, jobcenter = (
        text.index("\n  Landkreis Musterland\n"),
        text.index("\n  Jobcenter Musterland\n"),
    )
    assert kreis < text.index("sb.jugendamt") < jobcenter < text.index("sb.jobcenter")
    assert "Sachbearbeitung, ASD Nord" in text
    assert "sachbearbeitung" not in text.replace("sb.", "")  # no role codes
    # The shared mail room works for both, and is listed under both.
    assert text.count("post.zentral") == 2
    assert "scan.dienstleister" not in text  # machine accounts cannot sign in


def _demo_loaded() -> None:
    tenancy.create_mandant(
        actor=None, slug=district.KREIS_SLUG, name="Landkreis Musterland", kind=Mandant.Kind.KREIS
    )


@pytest.mark.django_db
def test_login_page_hints_the_demo_logins_in_demo_mode(settings: Any) -> None:
    settings.DEMO_MODE = True
    _demo_loaded()
    body = Client().get("/anmelden/").content.decode()
    assert district.DEMO_PASSWORD in body
    assert "Landkreis Musterland</h3>" in body and "Jobcenter Musterland</h3>" in body
    assert "<code>post.zentral</code>" in body


@pytest.mark.django_db
def test_login_page_names_no_account_outside_demo_mode(settings: Any) -> None:
    settings.DEMO_MODE = False
    _demo_loaded()
    body = Client().get("/anmelden/").content.decode()
    assert district.DEMO_PASSWORD not in body
    assert "post.zentral" not in body
    assert "Demo-Anmeldungen" not in body


@pytest.mark.django_db
def test_login_page_hints_nothing_before_the_demo_is_loaded(settings: Any) -> None:
    settings.DEMO_MODE = True
    body = Client().get("/anmelden/").content.decode()
    assert "Demo-Anmeldungen" not in body
