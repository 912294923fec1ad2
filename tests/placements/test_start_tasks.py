"""The Platzbörse's tasks on the start page (issue 14, item 1): requests a provider must
answer before the hold runs out, drafts to confirm, Rückfragen to § 47 notifications;
invoices a youth office must check; notifications the Landesjugendamt must handle by
their deadline. Each for the right side only, most urgent first, in two queries (and
one for the requests' pseudonyms)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from koffer.accounts.models import User
from koffer.placements import aufgaben
from koffer.placements.abrechnung import services as billing
from koffer.placements.angebote import services as angebot_services
from koffer.placements.belegung import services as belegung_services
from koffer.placements.gesuche import services as gesuch_services
from koffer.placements.meldungen import services as meldungen
from koffer.placements.models import Angebot, Betreuungsform, Platz, Region, Reservierung
from koffer.shell.tasks_registry import StartTasks
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in, start_request

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _tasks(user: User) -> StartTasks:
    tasks = signed_in(user).get("/").context["tasks"]
    assert isinstance(tasks, StartTasks)
    return tasks


@pytest.fixture
def places(angebot: Angebot, provider_user: User) -> list[Platz]:
    return angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=3,
        valid_from=date(2020, 1, 1),
        frei_ab=timezone.localdate(),
    )


def _request(
    user: User,
    tenant: Mandant,
    form: Betreuungsform,
    region: Region,
    angebot: Angebot,
    hours_ago: int,
) -> Reservierung:
    gesuch = gesuch_services.create_gesuch(
        actor=user,
        tenant=tenant,
        betreuungsform=form,
        alter=12,
        geschlecht="w",
        ab_datum=timezone.localdate(),
        region=region,
    )
    return belegung_services.reserve(
        actor=user, gesuch=gesuch, angebot=angebot, now=timezone.now() - timedelta(hours=hours_ago)
    )


@pytest.fixture
def lja(db: None) -> Mandant:
    return factories.mandant("Landesjugendamt Testland", kind=Mandant.Kind.LANDESJUGENDAMT)


def test_provider_sees_open_requests_by_deadline_the_youth_office_does_not(
    angebot, places, provider_user, traeger, jugendamt, jugendamt_user, heim, region
):
    late = _request(jugendamt_user, jugendamt, heim, region, angebot, hours_ago=40)
    fresh = _request(jugendamt_user, jugendamt, heim, region, angebot, hours_ago=1)
    _request(jugendamt_user, jugendamt, heim, region, angebot, hours_ago=49)  # ran out
    tasks = _tasks(provider_user)
    assert [t.label for t in tasks.tasks] == [
        f"Anfrage für {late.gesuch.pseudonym} beantworten",
        f"Anfrage für {fresh.gesuch.pseudonym} beantworten",
    ]
    first = tasks.tasks[0]
    assert first.due == late.expires_at
    assert first.kind == aufgaben.ANFRAGE.one
    assert first.detail == angebot.einrichtung.name
    assert first.url == reverse("placements:anfragen")
    expires = timezone.localtime(late.expires_at)
    assert first.status == f"Antwort bis {expires:%d.%m.%Y, %H:%M} Uhr"
    assert [c.text for c in tasks.counts] == ["2 Anfragen zu beantworten"]
    # The youth office waits for the answer: nothing for it to do about the requests.
    assert _tasks(jugendamt_user).tasks == []
    # Another provider sees nothing of them.
    other = factories.user(
        factories.mandant("Anderer Träger", kind=Mandant.Kind.TRAEGER), role="platzverwaltung"
    )
    assert _tasks(other).tasks == []


@pytest.mark.today("2026-11-25")
def test_drafts_for_the_provider_invoices_for_the_youth_office(
    make_belegung, provider_user, traeger, profil, rechnungsempfaenger, jugendamt, jugendamt_user
):
    belegung = make_belegung(date(2026, 9, 1))
    draft = billing.compute_nachweis(
        actor=provider_user, belegung=belegung, monat=date(2026, 10, 1)
    )
    billed = billing.compute_nachweis(
        actor=provider_user, belegung=belegung, monat=date(2026, 9, 1)
    )
    billing.confirm_nachweis(actor=provider_user, nachweis=billed)
    rechnung = billing.send_rechnung(
        actor=provider_user, rechnung=billing.create_rechnung(actor=provider_user, nachweis=billed)
    )
    provider = _tasks(provider_user)
    assert [(t.kind, t.url) for t in provider.tasks] == [
        (aufgaben.NACHWEIS.one, reverse("placements:abrechnung_nachweis", args=[draft.pk]))
    ]
    office = _tasks(jugendamt_user)
    assert [(t.label, t.url, t.detail) for t in office.tasks] == [
        (
            f"Rechnung {rechnung.number} prüfen",
            reverse("placements:abrechnung_rechnung", args=[rechnung.pk]),
            f"von {traeger.name}",
        )
    ]
    assert [(c.text, c.url) for c in office.counts] == [
        ("1 Rechnung zu prüfen", reverse("placements:abrechnung_eingang"))
    ]
    billing.approve_rechnung(actor=jugendamt_user, tenant=jugendamt, rechnung=rechnung)
    assert _tasks(jugendamt_user).tasks == []


def test_landesjugendamt_handles_notifications_by_deadline_provider_answers_rueckfragen(
    einrichtung, traeger, provider_user, lja
):
    today = timezone.localdate()
    reviewer = factories.user(lja, role="landesjugendamt")
    slow = meldungen.file_meldung(
        actor=provider_user,
        tenant=traeger,
        einrichtung=einrichtung,
        art="aenderung",
        ereignis_datum=today,
        betreff="Neue Leitung",
        inhalt="Frau Beispiel leitet die Gruppe ab dem Ersten.",
    )
    urgent = meldungen.file_meldung(
        actor=provider_user,
        tenant=traeger,
        einrichtung=einrichtung,
        art="vorkommnis",
        ereignis_datum=today,
        betreff="Wasserschaden",
        inhalt="Zwei Zimmer sind nicht bewohnbar.",
    )
    tasks = _tasks(reviewer)
    assert [(t.label, t.due) for t in tasks.tasks] == [
        ("Meldung: Wasserschaden", urgent.frist),
        ("Meldung: Neue Leitung", slow.frist),
    ]
    assert urgent.frist < slow.frist
    assert [c.text for c in tasks.counts] == ["2 Meldungen § 47 zu bearbeiten"]
    assert _tasks(provider_user).tasks == []  # waiting for the Landesjugendamt
    meldungen.ask_back(actor=reviewer, tenant=lja, meldung=urgent, text="Wo wohnen die Kinder?")
    assert [t.label for t in _tasks(reviewer).tasks] == ["Meldung: Neue Leitung"]
    provider = _tasks(provider_user)
    assert [(t.label, t.url) for t in provider.tasks] == [
        ("Rückfrage zu „Wasserschaden“", reverse("placements:meldungen_detail", args=[urgent.pk]))
    ]
    # Another Landesjugendamt sees nothing of them.
    stranger = factories.user(
        factories.mandant("Landesjugendamt Anderswo", kind=Mandant.Kind.LANDESJUGENDAMT),
        role="landesjugendamt",
    )
    assert _tasks(stranger).tasks == []


def test_two_queries_whatever_the_side_and_none_for_the_statistics(
    angebot,
    places,
    provider_user,
    traeger,
    jugendamt,
    jugendamt_user,
    heim,
    region,
    django_assert_num_queries: DjangoAssertNumQueries,
):
    provider = start_request(provider_user, traeger)
    with django_assert_num_queries(1):  # the counts: nothing open, no list
        assert aufgaben.open_tasks(provider).tasks == []
    for hours in range(3):
        _request(jugendamt_user, jugendamt, heim, region, angebot, hours_ago=hours)
    # The counts, the listing, and the three Gesuche's pseudonyms by Mandant and id (the
    # youth office's rows: not joined, on Citus they are in other shards).
    with django_assert_num_queries(3):
        assert len(aufgaben.open_tasks(provider).tasks) == 3
    ministry = factories.mandant("Ministerium", kind=Mandant.Kind.MINISTERIUM)
    statistics = start_request(factories.user(ministry, role="statistik"), ministry)
    with django_assert_num_queries(0):
        assert aufgaben.open_tasks(statistics).tasks == []


def test_a_request_leaves_the_list_when_its_hold_runs_out(
    angebot, places, provider_user, jugendamt, jugendamt_user, heim, region
):
    _request(jugendamt_user, jugendamt, heim, region, angebot, hours_ago=47)
    assert [c.text for c in _tasks(provider_user).counts] == ["1 Anfrage zu beantworten"]
    # Same Mandant, same day: the compiled statement is reused, the moment is not.
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1), tick=False):
        assert _tasks(provider_user).tasks == []
