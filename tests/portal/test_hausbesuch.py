"""Hausbesuch auf Anfrage (issue 19, item 5): a citizen asks for a home visit for itself,
a represented person or a relative; the request lands in the visit planning („Hausbesuche:
Anfragen“), where a planner turns it into a Hausbesuch of source portal for an Akte of the
person (the citizen then sees the date) or declines it with a reason (the citizen sees
it). Acting for a person not represented is a 404, requests are limited per account, and
a Mandant that does not offer home visits shows no page."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.test import Client
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.field.errors import FieldError
from koffer.field.models import Besuchswunsch, Hausbesuch
from koffer.field.wuensche import services as wuensche
from koffer.portal.errors import Forbidden
from koffer.portal.hausbesuch import services
from koffer.portal.models import Buergerkonto, Vertretung
from koffer.records.models import Akte, Aktenplaneinheit, AkteSubjekt, Person, Wiedervorlage
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.factories import portal as portal_factories
from tests.field.besuche_daten import akte_mit_person

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

ADMIN_URL = "/verwaltung/portal/hausbesuche/"
PLANUNG = "/koffer/hausbesuche/anfragen/"


def _url(tenant: Mandant, rest: str = "") -> str:
    return f"/portal/{tenant.slug}/hausbesuch/{rest}"


@pytest.fixture(autouse=True)
def _ohne_zweiten_faktor(settings: object) -> None:
    settings.KOFFER_REQUIRE_OTP = False  # type: ignore[attr-defined]


@pytest.fixture
def aussendienst(tenant: Mandant, team: Organisationseinheit) -> User:
    return factories.user(tenant, role="aussendienst", unit_=team, first_name="Frieda")


@pytest.fixture
def angeboten(tenant: Mandant, team: Organisationseinheit, admin_user: User) -> None:
    """The administration switches the offer on, naming the team that plans."""
    staff = signed_in(admin_user)
    page = staff.get(ADMIN_URL)
    assert page.status_code == 200 and "Stelle, die die Hausbesuche plant" in page.content.decode()
    saved = staff.post(ADMIN_URL, {"aktiv": "on", "unit": str(team.pk)})
    assert saved.status_code == 302, saved.content.decode()[:2000]


@pytest.fixture
def akte(plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User) -> Akte:
    return akte_mit_person(
        caseworker=team_caseworker,
        plan=plan,
        unit=team,
        family_name="Albers",
        street="Lindenweg 3",
        postal_code="12345",
        telefon="0151 2345678",
    )


def _person(akte: Akte) -> Person:
    return AkteSubjekt.objects.for_tenant(akte.tenant_id).filter(akte=akte).get().person


@pytest.fixture
def tochter(tenant: Mandant, akte: Akte, team_caseworker: User) -> Buergerkonto:
    """A daughter with a confirmed Vollmacht for the person of the Akte."""
    konto = portal_factories.buergerkonto(tenant, given_names="Tanja", family_name="Albers")
    person = _person(akte)
    Vertretung.objects.create(
        tenant=tenant,
        konto=konto,
        person=person,
        family_name=person.family_name,
        given_names=person.given_names,
        birth_date=date(1940, 1, 1),
        art=Vertretung.Art.VOLLMACHT,
        nachweis="Vollmacht vom 01.02.2026",
        bestaetigt_von=team_caseworker,
        bestaetigt_am=timezone.now(),
    )
    return konto


ANGABEN = {
    "telefon": "0151 9876543",
    "thema": "antrag",
    "anliegen": "Antrag auf Hilfe zur Pflege",
    "wochentage": ["1", "3"],
    "tageszeit": "vormittags",
    "ab": "2026-12-08",
    "bis": "2026-12-18",
    "barrieren": ["rollstuhl", "klingel"],
    "barrieren_hinweis": "Bitte zweimal klingeln",
}


def _anfragen(client: Client, tenant: Mandant, fuer: str, **extra: object) -> object:
    return client.post(_url(tenant), {"fuer": fuer, **ANGABEN, **extra})


def _selbst(client: Client, tenant: Mandant, **extra: object) -> object:
    """For the account holder, not linked to a person: name and address as prefilled."""
    anschrift = {"family_name": "Selbst", "street": "Weg 1", "postal_code": "12345", "city": "Ort"}
    return _anfragen(client, tenant, "selbst", **{**anschrift, **extra})


def test_request_is_planned_into_the_persons_akte_and_the_citizen_sees_the_date(
    tenant: Mandant,
    angeboten: None,
    tochter: Buergerkonto,
    akte: Akte,
    team_caseworker: User,
    aussendienst: User,
) -> None:
    person = _person(akte)
    citizen = portal_factories.buerger_client(tochter)
    start = citizen.get(f"/portal/{tenant.slug}/").content.decode()
    assert _url(tenant) in start and "Hausbesuch anfragen" in start
    wahl = citizen.get(_url(tenant)).content.decode()
    assert f'value="{person.pk}"' in wahl and 'value="andere"' in wahl
    # The form is prefilled from the represented person of the E-Akte.
    form = citizen.get(_url(tenant, f"?fuer={person.pk}")).content.decode()
    assert "Lindenweg 3" in form and "0151 2345678" in form
    sent = _anfragen(
        citizen, tenant, str(person.pk), street="Lindenweg 3", postal_code="12345", city="Prüfstadt"
    )
    assert sent.status_code == 302, sent.content.decode()[:3000]  # type: ignore[attr-defined]
    wunsch = Besuchswunsch.objects.for_tenant(tenant).get()
    assert (wunsch.fuer, wunsch.person_id, wunsch.konto_id) == ("vertretung", person.pk, tochter.pk)
    assert (wunsch.wochentage, wunsch.barrieren) == ([1, 3], ["rollstuhl", "klingel"])
    start = citizen.get(f"/portal/{tenant.slug}/").content.decode()
    assert "eingegangen, wird geplant" in start

    # The planner sees the open request, with the person's Akte to choose.
    staff = signed_in(team_caseworker)
    liste = staff.get(PLANUNG).content.decode()
    assert "Erna Albers" in liste and f"{PLANUNG}{wunsch.pk}/" in liste
    seite = staff.get(f"{PLANUNG}{wunsch.pk}/").content.decode()
    assert akte.aktenzeichen in seite and "Frieda" in seite and "Dienstag, Donnerstag" in seite
    assert "Rollstuhl oder Rollator" in seite and "Bitte zweimal klingeln" in seite
    geplant = staff.post(
        f"{PLANUNG}{wunsch.pk}/",
        {
            "akte": str(akte.pk),
            "aussendienst": str(aussendienst.pk),
            "datum": "2026-12-10",
            "uhrzeit": "10:30",
            "anlass": "Hilfe beim Ausfüllen eines Antrags: Antrag auf Hilfe zur Pflege",
            "hinweise": "Rollstuhl oder Rollator. Rückruf: 0151 9876543",
        },
    )
    assert geplant.status_code == 302, geplant.content.decode()[:3000]
    besuch = Hausbesuch.objects.for_tenant(tenant).get()
    assert (besuch.quelle, besuch.akte_id, besuch.datum, besuch.uhrzeit) == (
        "portal",
        akte.pk,
        date(2026, 12, 10),
        time(10, 30),
    )
    wunsch.refresh_from_db()
    assert (wunsch.status, wunsch.hausbesuch_id) == ("geplant", besuch.pk)
    # The field worker has it on the desk like any visit.
    assert Wiedervorlage.objects.for_tenant(tenant).filter(assignee=aussendienst).exists()
    assert "Keine offenen Anfragen" in staff.get(PLANUNG).content.decode()

    start = citizen.get(f"/portal/{tenant.slug}/").content.decode()
    assert "geplant für Donnerstag, 10.12.2026 um 10:30 Uhr" in start

    actions = list(
        AuditEvent.objects.filter(tenant_id=tenant.pk, action__startswith="field.")
        .exclude(action="read")
        .order_by("seq")
        .values_list("action", "actor_id", "subject_id")
    )
    assert ("field.besuchswunsch.create", tochter.pk, str(person.pk)) in actions
    assert ("field.besuchswunsch.geplant", team_caseworker.pk, str(person.pk)) in actions
    assert ("field.hausbesuch.create", team_caseworker.pk) in [(a, b) for a, b, _ in actions]
    # The planners' reads of the request are audited.
    assert AuditEvent.objects.filter(
        tenant_id=tenant.pk, action="read", object_type="field.besuchswunsch"
    ).exists()


def test_a_relative_without_vertretung_asks_and_the_planner_declines_with_a_reason(
    tenant: Mandant,
    angeboten: None,
    akte: Akte,
    team_caseworker: User,
) -> None:
    nachbar = portal_factories.buergerkonto(tenant, given_names="Nils", family_name="Nachbar")
    citizen = portal_factories.buerger_client(nachbar)
    leer = _anfragen(citizen, tenant, "andere")
    assert leer.status_code == 400  # type: ignore[attr-defined]
    assert "Familienname" in leer.content.decode()  # type: ignore[attr-defined]
    sent = _anfragen(
        citizen,
        tenant,
        "andere",
        family_name="Albers",
        given_names="Erna",
        beziehung="Nachbar",
        street="Lindenweg 3",
        postal_code="12345",
        city="Prüfstadt",
    )
    assert sent.status_code == 302  # type: ignore[attr-defined]
    wunsch = Besuchswunsch.objects.for_tenant(tenant).get()
    assert (wunsch.fuer, wunsch.person_id, wunsch.beziehung) == ("angehoerige", None, "Nachbar")

    staff = signed_in(team_caseworker)
    # Not linked: the planner finds the Akte by the name given.
    seite = staff.get(f"{PLANUNG}{wunsch.pk}/").content.decode()
    assert akte.aktenzeichen in seite and "Akte suchen" in seite
    nichts = staff.get(f"{PLANUNG}{wunsch.pk}/?suche=Zzyzx").content.decode()
    assert "Keine passende Akte gefunden" in nichts
    ohne_grund = staff.post(f"{PLANUNG}{wunsch.pk}/ablehnen/", {"grund": " "})
    assert ohne_grund.status_code == 400
    abgelehnt = staff.post(
        f"{PLANUNG}{wunsch.pk}/ablehnen/",
        {"grund": "Frau Albers hat uns selbst angerufen; der Termin ist schon vereinbart."},
    )
    assert abgelehnt.status_code == 302
    wunsch.refresh_from_db()
    assert wunsch.status == "abgelehnt" and not Hausbesuch.objects.for_tenant(tenant).exists()
    start = citizen.get(f"/portal/{tenant.slug}/").content.decode()
    assert "abgesagt" in start and "der Termin ist schon vereinbart" in start
    # Decided is decided: a second decision is refused.
    again = staff.post(f"{PLANUNG}{wunsch.pk}/ablehnen/", {"grund": "Doppelt"})
    assert again.status_code == 400 and "schon entschieden" in again.content.decode()
    event = AuditEvent.objects.get(tenant_id=tenant.pk, action="field.besuchswunsch.abgelehnt")
    assert event.actor_id == team_caseworker.pk and "schon vereinbart" in event.reason


def test_a_request_goes_only_into_an_akte_of_its_person(
    tenant: Mandant,
    angeboten: None,
    tochter: Buergerkonto,
    akte: Akte,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    aussendienst: User,
) -> None:
    andere = akte_mit_person(
        caseworker=team_caseworker,
        plan=plan,
        unit=team,
        family_name="Fremd",
        street="Weg 1",
        postal_code="12345",
    )
    person = _person(akte)
    assert (
        _anfragen(
            portal_factories.buerger_client(tochter),
            tenant,
            str(person.pk),
            street="Lindenweg 3",
            postal_code="12345",
            city="Prüfstadt",
        ).status_code
        == 302
    )  # type: ignore[attr-defined]
    wunsch = Besuchswunsch.objects.for_tenant(tenant).get()
    with pytest.raises(FieldError, match="keine Akte von Erna Albers"):
        wuensche.planen(
            actor=team_caseworker,
            wunsch=wunsch,
            akte=andere,
            aussendienst=aussendienst,
            datum=date(2026, 12, 9),
            anlass="Antrag",
        )
    assert not Hausbesuch.objects.for_tenant(tenant).exists()


def test_planners_of_another_unit_do_not_see_the_request(
    tenant: Mandant,
    angeboten: None,
    tochter: Buergerkonto,
    akte: Akte,
    other_team: Organisationseinheit,
) -> None:
    person = _person(akte)
    _anfragen(
        portal_factories.buerger_client(tochter),
        tenant,
        str(person.pk),
        street="Lindenweg 3",
        postal_code="12345",
        city="Prüfstadt",
    )
    wunsch = Besuchswunsch.objects.for_tenant(tenant).get()
    fremd = signed_in(factories.user(tenant, role="sachbearbeitung", unit_=other_team))
    assert "Keine offenen Anfragen" in fremd.get(PLANUNG).content.decode()
    assert fremd.get(f"{PLANUNG}{wunsch.pk}/").status_code == 404
    assert fremd.post(f"{PLANUNG}{wunsch.pk}/ablehnen/", {"grund": "x"}).status_code == 404


def test_a_person_the_citizen_does_not_represent_is_404(
    tenant: Mandant, angeboten: None, akte: Akte
) -> None:
    person = _person(akte)
    fremder = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    assert fremder.get(_url(tenant, f"?fuer={person.pk}")).status_code == 404
    antwort = _anfragen(
        fremder, tenant, str(person.pk), street="Weg 1", postal_code="12345", city="Prüfstadt"
    )
    assert antwort.status_code == 404  # type: ignore[attr-defined]
    assert fremder.get(_url(tenant, "?fuer=kein-uuid")).status_code == 404
    assert not Besuchswunsch.objects.for_tenant(tenant).exists()


def test_an_unconfirmed_vertretung_is_refused_by_the_service_and_audited(
    tenant: Mandant, angeboten: None, akte: Akte
) -> None:
    person = _person(akte)
    konto = portal_factories.buergerkonto(tenant)
    with pytest.raises(Forbidden):
        services.anfragen(
            actor=konto,
            person=person,
            angaben=wuensche.Angaben(
                fuer="vertretung",
                family_name="",
                given_names="",
                street="Weg 1",
                postal_code="12345",
                city="Prüfstadt",
                telefon="030 123456",
                thema="beratung",
            ),
        )
    assert AuditEvent.objects.filter(action="portal.vertretung.verweigert").exists()
    assert not Besuchswunsch.objects.for_tenant(tenant).exists()


def test_requests_are_limited_per_account(
    tenant: Mandant, angeboten: None, team_caseworker: User
) -> None:
    konto = portal_factories.buergerkonto(tenant, street="Weg 1", postal_code="12345", city="Ort")
    citizen = portal_factories.buerger_client(konto)
    for _ in range(services.MAX_PRO_TAG):
        assert _selbst(citizen, tenant).status_code == 302  # type: ignore[attr-defined]
    zu_viel = _selbst(citizen, tenant)
    assert zu_viel.status_code == 429  # type: ignore[attr-defined]
    assert "in den letzten 24 Stunden schon 3 Hausbesuche" in zu_viel.content.decode()  # type: ignore[attr-defined]
    assert Besuchswunsch.objects.for_tenant(tenant).count() == services.MAX_PRO_TAG
    # Another account is not affected.
    andere = portal_factories.buergerkonto(tenant, street="Weg 2", postal_code="12345", city="Ort")
    assert _selbst(portal_factories.buerger_client(andere), tenant).status_code == 302  # type: ignore[attr-defined]


def test_bad_input_gets_german_messages(tenant: Mandant, angeboten: None) -> None:
    konto = portal_factories.buergerkonto(tenant, street="Weg 1", postal_code="12345", city="Ort")
    citizen = portal_factories.buerger_client(konto)
    vergangen = _selbst(citizen, tenant, ab="2026-12-01")
    assert vergangen.status_code == 400  # type: ignore[attr-defined]
    assert "01.12.2026 liegt in der Vergangenheit" in vergangen.content.decode()  # type: ignore[attr-defined]
    verdreht = _selbst(citizen, tenant, ab="2026-12-20", bis="2026-12-10")
    assert "muss vor" in verdreht.content.decode()  # type: ignore[attr-defined]
    telefon = _selbst(citizen, tenant, telefon="bitte anrufen")
    assert "ist keine Telefonnummer" in telefon.content.decode()  # type: ignore[attr-defined]
    assert not Besuchswunsch.objects.for_tenant(tenant).exists()


def test_no_offer_no_page(
    tenant: Mandant, team: Organisationseinheit, admin_user: User, team_caseworker: User
) -> None:
    konto = portal_factories.buergerkonto(tenant, street="Weg 1", postal_code="12345", city="Ort")
    citizen = portal_factories.buerger_client(konto)
    assert citizen.get(_url(tenant)).status_code == 404
    assert _selbst(citizen, tenant).status_code == 404  # type: ignore[attr-defined]
    assert "Hausbesuch anfragen" not in citizen.get(f"/portal/{tenant.slug}/").content.decode()
    # Switching it on needs the team; only the administration may.
    staff = signed_in(admin_user)
    ohne = staff.post(ADMIN_URL, {"aktiv": "on", "unit": ""})
    assert ohne.status_code == 400 and "Stelle, die die Hausbesuche plant" in ohne.content.decode()
    assert signed_in(team_caseworker).get(ADMIN_URL).status_code in (403, 404)
    assert staff.post(ADMIN_URL, {"aktiv": "on", "unit": str(team.pk)}).status_code == 302
    assert citizen.get(_url(tenant)).status_code == 200
    # Switched off again: the page is gone, the request made before stays with the planners.
    assert _selbst(citizen, tenant).status_code == 302  # type: ignore[attr-defined]
    assert staff.post(ADMIN_URL, {"unit": str(team.pk)}).status_code == 302
    assert citizen.get(_url(tenant)).status_code == 404
    assert Besuchswunsch.objects.for_tenant(tenant).filter(status="offen").count() == 1
    start = citizen.get(f"/portal/{tenant.slug}/").content.decode()
    assert "eingegangen, wird geplant" in start and "Hausbesuch anfragen" not in start
    changes = [
        e.changes
        for e in AuditEvent.objects.filter(action="portal.hausbesuch.angebot").order_by("seq")
    ]
    assert [c["hausbesuche_angeboten"]["new"] for c in changes] == [True, False]


def test_staff_access_for_the_service(tenant: Mandant, team: Organisationseinheit) -> None:
    """The offer's service asks the rule itself: a caseworker's grants are refused."""
    user = factories.user(tenant, role="sachbearbeitung", unit_=team)
    with pytest.raises(Forbidden):
        services.angebot_setzen(
            actor=user, access=Access.for_user(user.pk, tenant.pk), aktiv=True, unit=team
        )
