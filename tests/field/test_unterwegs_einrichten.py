"""„Koffer einrichten“: a fresh Koffer (no account, not paired) is set up from its own
page without signing in; the page is gone in the office, once an account exists, and
rate-limits wrong codes; a failed first pull is said on the page and can be repeated;
``/`` and the sign-in lead there while the Koffer is fresh."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings

from koffer.accounts.models import LoginFailure, User
from koffer.field.paket import abholung, selectors, services
from koffer.field.unterwegs import einrichtung
from koffer.tenancy.models import Mandant
from tests.field.paket_bestand import bestand

pytestmark = pytest.mark.django_db

SEITE = "/unterwegs/einrichten/"
BUERO = "http://127.0.0.1:9"  # nothing listens there


@pytest.fixture
def frisch(tmp_path: Path) -> Iterator[Path]:
    """A fresh Koffer: Koffer mode, an empty var folder, no account in its database."""
    assert not User.objects.exists()
    with override_settings(KOFFER_MODE="koffer", VAR_DIR=tmp_path, KOFFER_BUERO_URL=BUERO):
        yield tmp_path


@pytest.fixture
def im_selben_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first pull runs in the test's thread (the test database is this thread's)."""

    def sofort() -> threading.Thread | None:
        einrichtung.abholen()
        return None

    monkeypatch.setattr(einrichtung, "im_hintergrund", sofort)


def test_a_fresh_koffer_lands_on_the_set_up_page_prefilled_with_the_office(frisch: Path) -> None:
    client = Client()
    start = client.get("/")
    assert start.status_code == 302 and start["Location"] == SEITE
    assert client.get("/anmelden/")["Location"] == SEITE
    html = client.get(SEITE).content.decode()
    assert "Koffer einrichten" in html
    assert f'value="{BUERO}"' in html
    assert 'for="id_code"' in html and 'name="csrfmiddlewaretoken"' in html
    assert 'class="kern-form-input__input"' in html


def test_the_set_up_page_does_not_exist_in_the_office(tmp_path: Path) -> None:
    with override_settings(KOFFER_MODE="buero", VAR_DIR=tmp_path):
        assert Client().get(SEITE).status_code == 404
        assert Client().get("/").headers.get("Location") != SEITE


def test_once_an_account_is_there_the_set_up_page_is_gone(frisch: Path, tenant: Mandant) -> None:
    bestand(tenant, akten=1, dokumente=0)
    client = Client()
    assert client.get(SEITE).status_code == 404
    assert client.post(SEITE, {"buero": BUERO, "code": "ABCD"}).status_code == 404
    assert client.get(SEITE + "stand/").status_code == 404
    assert client.get("/anmelden/").status_code == 200


def test_the_set_up_post_needs_the_csrf_token(frisch: Path) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(SEITE, {"buero": BUERO, "code": "ABCD-EFGH"}).status_code == 403


def test_an_unreachable_office_is_said_and_wrong_codes_are_limited(frisch: Path) -> None:
    client = Client()
    refused = client.post(SEITE, {"buero": BUERO, "code": "ABCD-EFGH"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "nicht erreichbar" in html and "kern-error" in html
    assert not abholung.zugang_pfad().exists()
    assert LoginFailure.objects.filter(key="einrichten:127.0.0.1").count() == 1

    for _ in range(einrichtung.VERSUCHE - 1):
        client.post(SEITE, {"buero": BUERO, "code": "ABCD-EFGH"})
    limited = client.post(SEITE, {"buero": BUERO, "code": "ABCD-EFGH"})
    assert limited.status_code == 400
    assert "Zu viele falsche Kopplungscodes" in limited.content.decode()
    assert LoginFailure.objects.filter(key="einrichten:127.0.0.1").count() == einrichtung.VERSUCHE


def test_a_failed_first_pull_is_said_and_can_be_repeated(
    frisch: Path, im_selben_thread: None
) -> None:
    # Paired (the office then went away): the first pull fails, the page says so.
    abholung.zugang_speichern(abholung.Buero(url=BUERO, token="kg_test"))
    einrichtung.starten()
    client = Client()
    stand = client.get(SEITE + "stand/")
    assert stand.status_code == 286
    html = stand.content.decode()
    assert "Abholen fehlgeschlagen" in html and "Erneut abholen" in html
    assert "Beim nächsten Abholen wird fortgesetzt" in html

    again = client.post(SEITE)
    assert again.status_code == 302
    assert einrichtung.stand()["stand"] == einrichtung.FEHLER


def test_once_the_package_brought_the_account_the_page_is_gone(
    frisch: Path, tenant: Mandant
) -> None:
    """Paired and the package in (the audited end of the real pull: see
    test_unterwegs_einrichten_prozesse): the page is gone, the sign-in is there."""
    found = bestand(tenant, akten=1, dokumente=0)
    paket = json.loads(json.dumps(selectors.bauen(geraet=found.geraet)))
    abholung.zugang_speichern(abholung.Buero(url=BUERO, token="kg_test"))
    services.einspielen(paket)
    assert not einrichtung.offen()  # the account arrived: the page is gone
    assert Client().get("/anmelden/").status_code == 200
    assert Client().get(SEITE).status_code == 404
