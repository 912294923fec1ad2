"""``manage.py mandant_anlegen``: a new Mandant with its root unit, the E-Akte's defaults
and its first administrator, whose one-time password is printed once and works once;
a second run and bad input change nothing and end with exit code 1."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import Membership, User
from koffer.audit.models import AuditEvent
from koffer.records.defaults import FRIST_REGELN, VORGANG_TYPEN
from koffer.records.models import FristRegel, VorgangTyp
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories

pytestmark = pytest.mark.django_db

ARGS = ["jobcenter-beispielstadt", "Jobcenter  Beispielstadt"]
OPTIONS = {
    "art": "jobcenter",
    "admin": "a.mueller",
    "admin_email": "a.mueller@jobcenter.example",
    "admin_vorname": "Anna",
    "admin_nachname": "Müller",
    "leitweg_id": "05315-12345-85",
}


def _run(*args: str, **options: str) -> str:
    out = io.StringIO()
    call_command("mandant_anlegen", *args, stdout=out, **options)
    return out.getvalue()


def _password(output: str) -> str:
    found = re.search(r"^Einmalkennwort: (\S+)$", output, re.MULTILINE)
    assert found, output
    return found.group(1)


def _state() -> tuple[int, int, int, int, int]:
    return (
        Mandant.objects.count(),
        Organisationseinheit.objects.unscoped().count(),
        User.objects.count(),
        VorgangTyp.objects.unscoped().count(),
        AuditEvent.objects.count(),
    )


def test_a_new_mandant_gets_its_unit_defaults_and_administrator() -> None:
    output = _run(*ARGS, **OPTIONS)

    mandant = Mandant.objects.get(slug="jobcenter-beispielstadt")
    assert (mandant.name, mandant.kind, mandant.leitweg_id) == (
        "Jobcenter Beispielstadt",
        "jobcenter",
        "05315-12345-85",
    )
    root = Organisationseinheit.objects.for_tenant(mandant).get()
    assert (root.name, root.parent_id, root.kind) == (mandant.name, None, "behoerde")
    assert VorgangTyp.objects.for_tenant(mandant).count() == sum(map(len, VORGANG_TYPEN.values()))
    assert FristRegel.objects.for_tenant(mandant).count() == len(FRIST_REGELN)

    admin = User.objects.get(username="a.mueller")
    assert (admin.email, admin.first_name, admin.last_name) == (
        "a.mueller@jobcenter.example",
        "Anna",
        "Müller",
    )
    membership = Membership.objects.for_tenant(mandant).get(user=admin)
    assert (membership.role, membership.unit_id) == ("mandant_admin", root.pk)
    assert admin.must_change_password and not admin.is_machine

    assert "Mandant „Jobcenter Beispielstadt“ angelegt: Kürzel jobcenter-beispielstadt" in output
    assert "Vorgangstypen und Fristregeln angelegt" in output
    assert "Aktenplan" in output


def test_the_one_time_password_signs_in_once_and_is_kept_only_as_a_hash() -> None:
    password = _password(_run(*ARGS, **OPTIONS))
    assert re.fullmatch(r"([a-zA-Z2-9]{5}-){3}[a-zA-Z2-9]{5}", password)
    admin = User.objects.get(username="a.mueller")
    assert admin.password.startswith(("argon2", "md5", "pbkdf2")) and password not in admin.password
    assert not [e for e in AuditEvent.objects.all() if password in str(e.changes)]

    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "a.mueller", "password": password}
    )
    assert response.status_code == 302
    # The first thing asked is an own password.
    start = client.get(reverse("shell:start"))
    assert start.status_code == 302
    assert start["Location"].startswith(reverse("accounts:password_change"))


def test_every_part_is_audited_in_the_new_mandants_chain() -> None:
    _run(*ARGS, **OPTIONS)
    mandant = Mandant.objects.get(slug="jobcenter-beispielstadt")
    actions = set(AuditEvent.objects.filter(tenant_id=mandant.pk).values_list("action", flat=True))
    assert {
        "tenancy.mandant.create",
        "tenancy.unit.create",
        "records.defaults.install",
        "accounts.user.create",
        "accounts.membership.add",
    } <= actions
    # This Mandant's chain: anchor files of other tests' Mandanten may outlive their rows.
    call_command("audit_verify", "--tenant", str(mandant.pk), stdout=io.StringIO())


def test_a_second_run_with_the_same_key_changes_nothing() -> None:
    first = _password(_run(*ARGS, **OPTIONS))
    before = _state()

    with pytest.raises(CommandError) as refused:
        _run(*ARGS, **{**OPTIONS, "admin": "b.schmidt", "admin_email": "b@jobcenter.example"})

    assert refused.value.returncode == 1
    assert str(refused.value) == (
        "Den Mandanten „jobcenter-beispielstadt“ gibt es bereits; es wurde nichts geändert."
    )
    assert _state() == before
    admin = User.objects.get(username="a.mueller")
    assert admin.check_password(first)  # the first administrator's password still holds


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (["Kreis Beispiel", "X"], {}, "Das Kürzel „Kreis Beispiel“ geht nicht"),
        (["kreis--beispiel", "X"], {}, "Das Kürzel „kreis--beispiel“ geht nicht"),
        (["kreis-beispiel", "   "], {}, "Der Name fehlt"),
        (["kreis-beispiel", "X"], {"art": "jugendamt"}, "Die Art „jugendamt“ gibt es nicht."),
        (["kreis-beispiel", "X"], {"admin": "a müller"}, "Der Benutzername der Administration"),
        (["kreis-beispiel", "X"], {"admin_email": "a.mueller"}, "keine gültige E-Mail-Adresse"),
        (["kreis-beispiel", "X"], {"leitweg_id": "05315-12345-99"}, "Leitweg-ID"),
    ],
)
def test_bad_input_is_refused_in_german_and_writes_nothing(
    args: list[str], options: dict[str, str], message: str
) -> None:
    before = _state()
    with pytest.raises(CommandError) as refused:
        _run(*args, **{**OPTIONS, **options})
    assert message in str(refused.value)
    assert refused.value.returncode == 1
    assert _state() == before


def test_a_taken_administrator_name_leaves_no_half_made_mandant() -> None:
    other = factories.mandant()
    factories.user(other, role="sachbearbeitung", username="a.mueller")
    before = _state()

    with pytest.raises(CommandError, match="Dieser Benutzername ist bereits vergeben"):
        _run(*ARGS, **OPTIONS)

    assert _state() == before
    assert not Mandant.objects.filter(slug="jobcenter-beispielstadt").exists()


def test_the_kinds_are_named_when_one_is_unknown() -> None:
    with pytest.raises(CommandError) as refused:
        _run(*ARGS, **{**OPTIONS, "art": "amt"})
    assert "jobcenter (Jobcenter)" in str(refused.value)
    assert "traeger (Freier Träger)" in str(refused.value)
