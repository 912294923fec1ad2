"""The office's portal pages (issue 19, items 1 and 7): „Portal: Bürgerkonten“ links an
account to a person of an Akte the staff member may edit (searched by name, e-mail
address or kennung within the Mandant), unlinks it with a reason, audited; the linked
person then drives the prefill. „Portal: Einstellungen“ sets the Mandant's portal
settings, for its administration only, audited."""

from __future__ import annotations

import pytest
from django.test import Client

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.portal import emailkonten
from koffer.portal.models import Antrag, Buergerkonto, OnlineAngebot, PortalEinstellung
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.factories import portal as portal_factories
from tests.portal.test_antrag import admin_access, akte, angebot, formular, konto

__all__ = ["admin_access", "akte", "angebot", "formular", "konto"]

pytestmark = pytest.mark.django_db

KONTEN = "/verwaltung/portal/konten/"
EINSTELLUNGEN = "/verwaltung/portal/einstellungen/"


@pytest.fixture(autouse=True)
def _ohne_otp(settings: object) -> None:
    settings.KOFFER_REQUIRE_OTP = False  # type: ignore[attr-defined]


def test_staff_links_an_account_to_a_person_and_the_prefill_follows(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    angebot: OnlineAngebot,
    konto: Buergerkonto,
) -> None:
    person = akte.subjects.get()
    staff = signed_in(team_caseworker)
    # the account's name matches no person: the Akte's Aktenzeichen offers its persons
    seite = staff.get(KONTEN, {"q": "Mustermann"})
    assert seite.status_code == 200
    html = seite.content.decode()
    assert "Erika Mustermann" in html and "Keine passende Person" in html
    seite = staff.get(KONTEN, {"q": "erika@example", "aktenzeichen": akte.aktenzeichen})
    assert f'value="{person.pk}"' in seite.content.decode()
    assert AuditEvent.objects.filter(
        action="read", object_type="portal.buergerkonten", actor_id=team_caseworker.pk
    ).exists()

    antwort = staff.post(
        KONTEN, {"konto": str(konto.pk), "person": str(person.pk), "q": "Mustermann"}
    )
    assert antwort.status_code == 302 and antwort["Location"] == f"{KONTEN}?q=Mustermann"
    konto.refresh_from_db()
    assert konto.person_id == person.pk
    event = AuditEvent.objects.get(action="portal.konto.verknuepft")
    assert event.actor_id == team_caseworker.pk and event.subject_id == str(person.pk)

    # the citizen's next application is prefilled from the person and the Akte
    citizen = portal_factories.buerger_client(konto)
    citizen.post(f"/portal/{tenant.slug}/antraege/neu/", {"angebot": str(angebot.pk)})
    antrag = Antrag.objects.for_tenant(tenant).get()
    assert antrag.antworten["nachname"] == "Beispiel"
    assert antrag.antworten["aktenzeichen"] == akte.aktenzeichen


def test_unlinking_needs_a_reason_and_is_audited(
    tenant: Mandant, akte: Akte, team_caseworker: User, konto: Buergerkonto
) -> None:
    person = akte.subjects.get()
    konto.person = person
    konto.save()
    staff = signed_in(team_caseworker)
    assert "Zuordnung aufheben" in staff.get(KONTEN, {"q": "Mustermann"}).content.decode()
    ohne = staff.post(KONTEN, {"konto": str(konto.pk), "aktion": "trennen", "grund": " "})
    assert ohne.status_code == 400
    assert "warum die Zuordnung endet" in ohne.content.decode()
    konto.refresh_from_db()
    assert konto.person_id == person.pk
    mit = staff.post(
        KONTEN,
        {"konto": str(konto.pk), "aktion": "trennen", "grund": "Falsche Person zugeordnet"},
    )
    assert mit.status_code == 302
    konto.refresh_from_db()
    assert konto.person_id is None
    event = AuditEvent.objects.get(action="portal.konto.getrennt")
    assert event.reason == "Falsche Person zugeordnet" and event.subject_id == str(person.pk)


def test_only_who_may_edit_the_persons_akte_links(
    tenant: Mandant, akte: Akte, konto: Buergerkonto, other_team: Organisationseinheit
) -> None:
    person = akte.subjects.get()
    fremd = signed_in(factories.user(tenant, role="sachbearbeitung", unit_=other_team))
    # the other team's caseworker is offered no person of the Akte ...
    seite = fremd.get(KONTEN, {"q": "Mustermann", "aktenzeichen": akte.aktenzeichen})
    assert f'value="{person.pk}"' not in seite.content.decode()
    # ... and a forged post is refused
    antwort = fremd.post(KONTEN, {"konto": str(konto.pk), "person": str(person.pk)})
    assert antwort.status_code == 400
    assert "dürfen ihre Akte nicht bearbeiten" in antwort.content.decode()
    konto.refresh_from_db()
    assert konto.person_id is None
    assert not AuditEvent.objects.filter(action="portal.konto.verknuepft").exists()


def test_the_search_stays_within_the_mandant(
    tenant: Mandant, other_tenant: Mandant, team_caseworker: User, konto: Buergerkonto
) -> None:
    portal_factories.buergerkonto(other_tenant, family_name="Mustermann", given_names="Max")
    html = signed_in(team_caseworker).get(KONTEN, {"q": "Mustermann"}).content.decode()
    assert "Erika Mustermann" in html and "Max Mustermann" not in html
    # too short a search shows nothing
    kurz = signed_in(team_caseworker).get(KONTEN, {"q": "Mu"}).content.decode()
    assert "Erika Mustermann" not in kurz


def test_the_administration_sets_the_portal_settings(
    tenant: Mandant, admin_user: User, team_caseworker: User
) -> None:
    assert not emailkonten.erlaubt(tenant)
    assert signed_in(team_caseworker).get(EINSTELLUNGEN).status_code == 403
    assert (
        signed_in(team_caseworker).post(EINSTELLUNGEN, {"email_konten_erlaubt": "on"}).status_code
        == 403
    )
    admin = signed_in(admin_user)
    seite = admin.get(EINSTELLUNGEN)
    assert seite.status_code == 200
    assert "Konten mit E-Mail-Adresse erlaubt" in seite.content.decode()
    assert admin.post(EINSTELLUNGEN, {"email_konten_erlaubt": "on"}).status_code == 302
    assert emailkonten.erlaubt(tenant)
    assert Client().get(f"/portal/{tenant.slug}/email/registrieren/").status_code == 200
    event = AuditEvent.objects.get(action="portal.einstellung.change")
    assert event.actor_id == admin_user.pk
    assert event.changes["email_konten_erlaubt"] == {"old": False, "new": True}
    assert admin.post(EINSTELLUNGEN, {}).status_code == 302
    assert not emailkonten.erlaubt(tenant)
    assert PortalEinstellung.objects.for_tenant(tenant).count() == 1
    assert AuditEvent.objects.filter(action="portal.einstellung.change").count() == 2
