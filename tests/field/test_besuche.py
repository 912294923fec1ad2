"""Hausbesuche: planning from an Akte (who may, which field worker, never in the past, the
Wiedervorlage on the field worker's desk), the day's list (order, what to take along, the
phone, whether the Akte is in the Koffer; one query budget), moving, cancelling and
closing a visit."""

from __future__ import annotations

import html
import re
from datetime import time, timedelta

import pytest
from django.db import connection

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.field import access as field_access
from koffer.field.besuche import selectors, services
from koffer.field.errors import Conflict, FieldError, Forbidden
from koffer.field.geraete import services as geraete
from koffer.field.models import Hausbesuch
from koffer.records import services as record_services
from koffer.records.models import Akte, Aktenplaneinheit, Wiedervorlage
from koffer.records.queues import my_wiedervorlagen
from koffer.records.selectors import Viewer
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import query_count, signed_in
from tests.factories import records as record_factories
from tests.field.besuche_daten import (
    HAS_TELEFON,
    akte_mit_person,
    besuch,
    heute,
    im_koffer,
    katalog_mit_formularen,
)

LIST = "/koffer/hausbesuche/"


def factories_access(user: User, tenant: Mandant) -> Access:
    return Access.for_user(user.pk, tenant.pk)


@pytest.fixture
def aussendienst(tenant: Mandant, team: Organisationseinheit) -> User:
    return factories.user(tenant, role="aussendienst", unit_=team, first_name="Frieda")


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


# --- planning ---------------------------------------------------------------------------------


def test_planning_puts_a_wiedervorlage_on_the_field_workers_desk(
    akte: Akte, team_caseworker: User, aussendienst: User, admin_user: User, tenant: Mandant
) -> None:
    katalog_mit_formularen(tenant, admin_user)
    tag = heute() + timedelta(days=2)
    row = besuch(
        actor=team_caseworker,
        akte=akte,
        aussendienst=aussendienst,
        datum=tag,
        uhrzeit=time(10, 30),
        formulare=("notiz",),
        hinweise="Klingel defekt, bitte anrufen",
    )
    assert (row.status, row.quelle, row.formulare) == ("geplant", "sachbearbeitung", ["notiz"])
    wv = Wiedervorlage.objects.for_tenant(tenant).get(pk=row.wiedervorlage_id)
    assert (wv.assignee_id, wv.due_date, wv.note) == (
        aussendienst.pk,
        tag,
        "Hausbesuch: Antrag gemeinsam ausfüllen",
    )
    # The visit is in the field worker's existing Wiedervorlagen queue.
    viewer = Viewer(access=factories_access(aussendienst, tenant), user_id=aussendienst.pk)
    assert wv.pk in {w.pk for w in my_wiedervorlagen(viewer)}
    event = AuditEvent.objects.filter(action="field.hausbesuch.create").get()
    assert event.changes["formulare"] == ["notiz"] and event.actor_id == team_caseworker.pk


@pytest.mark.today("2026-12-07")
def test_a_day_in_the_past_an_empty_reason_and_unknown_forms_are_refused(
    akte: Akte, team_caseworker: User, aussendienst: User
) -> None:
    with pytest.raises(FieldError) as past:
        besuch(
            actor=team_caseworker,
            akte=akte,
            aussendienst=aussendienst,
            datum=heute() - timedelta(days=1),
        )
    assert past.value.code == "besuch_vergangen"
    assert "06.12.2026" in past.value.message and "07.12.2026" in past.value.message
    with pytest.raises(FieldError, match="Anlass"):
        besuch(actor=team_caseworker, akte=akte, aussendienst=aussendienst, anlass="  ")
    with pytest.raises(FieldError, match="gibt es im Katalog nicht"):
        besuch(actor=team_caseworker, akte=akte, aussendienst=aussendienst, formulare=("x",))
    assert not Hausbesuch.objects.for_tenant(akte.tenant_id).exists()
    assert not Wiedervorlage.objects.for_tenant(akte.tenant_id).filter(note__startswith="Haus")


def test_only_who_edits_the_akte_plans_and_only_field_workers_of_its_unit_go(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    aussendienst: User,
    other_team: Organisationseinheit,
) -> None:
    fremd = factories.user(tenant, role="sachbearbeitung", unit_=other_team)
    with pytest.raises(Forbidden):
        besuch(actor=fremd, akte=akte, aussendienst=aussendienst)
    anderer_aussendienst = factories.user(tenant, role="aussendienst", unit_=other_team)
    with pytest.raises(FieldError, match="keine Hausbesuche"):
        besuch(actor=team_caseworker, akte=akte, aussendienst=anderer_aussendienst)
    kollegin = factories.user(tenant, role="sachbearbeitung", unit_=akte.unit)
    with pytest.raises(FieldError, match="keine Hausbesuche"):
        besuch(actor=team_caseworker, akte=akte, aussendienst=kollegin)


def test_the_akte_page_links_to_planning_and_the_form_plans_a_visit(
    akte: Akte, team_caseworker: User, aussendienst: User, admin_user: User, tenant: Mandant
) -> None:
    katalog_mit_formularen(tenant, admin_user)
    client = signed_in(team_caseworker)
    url = f"/akten/{akte.pk}/hausbesuch/"
    page = client.get(f"/akten/{akte.pk}/").content.decode()
    assert "Hausbesuch planen" in page and url in page
    form = client.get(url).content.decode()
    assert "Frieda" in form and "Gesprächsnotiz" in form
    past = client.post(
        url,
        {
            "aussendienst": str(aussendienst.pk),
            "datum": (heute() - timedelta(days=1)).isoformat(),
            "anlass": "Pflegegrad besprechen",
        },
    )
    assert past.status_code == 200 and "liegt in der Vergangenheit" in past.content.decode()
    done = client.post(
        url,
        {
            "aussendienst": str(aussendienst.pk),
            "datum": heute().isoformat(),
            "uhrzeit": "09:15",
            "anlass": "Pflegegrad besprechen",
            "formulare": ["notiz"],
            "hinweise": "Hund im Garten",
        },
    )
    assert done.status_code == 302 and done["Location"] == f"/akten/{akte.pk}/"
    row = Hausbesuch.objects.for_tenant(tenant).get()
    assert (row.uhrzeit, row.formulare, row.hinweise) == (time(9, 15), ["notiz"], "Hund im Garten")
    # Whoever may not edit the Akte finds no such page.
    reader = factories.user(tenant, role="sachbearbeitung", unit_=factories.unit(tenant))
    assert signed_in(reader).get(url).status_code == 404


# --- the day's list ---------------------------------------------------------------------------


def _tag(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, cw: User, ad: User
) -> list[Akte]:
    """Four visits today, planned out of order; one of them cancelled."""
    akten = [
        akte_mit_person(caseworker=cw, plan=plan, unit=team, family_name=n, street=s, postal_code=p)
        for n, s, p in (
            ("Nachmittag", "Amselweg 1", "12345"),
            ("Morgen", "Birkenweg 2", "12345"),
            ("OhneZeitB", "Zedernweg 9", "12300"),
            ("OhneZeitA", "Ahornweg 5", "12300"),
        )
    ]
    besuch(actor=cw, akte=akten[0], aussendienst=ad, uhrzeit=time(14, 0))
    besuch(actor=cw, akte=akten[1], aussendienst=ad, uhrzeit=time(9, 0))
    besuch(actor=cw, akte=akten[2], aussendienst=ad)
    besuch(actor=cw, akte=akten[3], aussendienst=ad)
    return akten


def test_the_day_is_ordered_by_time_then_postal_code_and_street(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    aussendienst: User,
) -> None:
    _tag(tenant, plan, team, team_caseworker, aussendienst)
    access = factories_access(aussendienst, tenant)
    zeilen = selectors.tag(access, aussendienst.pk, aussendienst_id=aussendienst.pk, datum=heute())
    assert [z.person.family_name for z in zeilen if z.person] == [
        "Morgen",
        "Nachmittag",
        "OhneZeitA",
        "OhneZeitB",
    ]
    assert zeilen[0].anschrift == "Birkenweg 2, 12345 Prüfstadt"
    # Another day, another field worker: nothing.
    assert not selectors.tag(
        access, aussendienst.pk, aussendienst_id=aussendienst.pk, datum=heute() + timedelta(1)
    )


def test_the_list_shows_what_to_take_along_the_phone_and_the_koffer(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    aussendienst: User,
    admin_user: User,
) -> None:
    katalog_mit_formularen(tenant, admin_user)
    # An open Vorgang of type „antrag“: its form goes along without being chosen.
    typ = record_factories.selectors.vorgang_typen(tenant.pk, "sgb2").get(code="antrag")
    record_factories.services.create_vorgang(
        actor=team_caseworker, akte=akte, typ=typ, title="Antrag"
    )
    besuch(
        actor=team_caseworker,
        akte=akte,
        aussendienst=aussendienst,
        formulare=("notiz",),
        hinweise="Klingel defekt, bitte anrufen",
    )
    client = signed_in(aussendienst)
    page = client.get(LIST).content.decode()
    assert "Gesprächsnotiz" in page and "Weiterbewilligungsantrag (Test)" in page
    assert "(offener Vorgang)" in page and "Klingel defekt, bitte anrufen" in page
    assert akte.aktenzeichen in page and "Lindenweg 3, 12345 Prüfstadt" in page
    assert ("0151 2345678" in page) is HAS_TELEFON
    assert "Im Koffer</dt><dd>nein" in page
    im_koffer(akte, aussendienst)
    page = client.get(LIST).content.decode()
    assert "Im Koffer</dt><dd>ja, seit" in page
    # Reading the day is audited: one event naming its Akten.
    event = AuditEvent.objects.filter(action="read", object_type="field.hausbesuche").last()
    assert event is not None and event.changes == {"akten": [akte.aktenzeichen]}


def test_the_day_list_costs_the_same_for_one_visit_as_for_many(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    aussendienst: User,
    admin_user: User,
) -> None:
    katalog_mit_formularen(tenant, admin_user)
    client = signed_in(aussendienst)
    first = akte_mit_person(
        caseworker=team_caseworker,
        plan=plan,
        unit=team,
        family_name="Eins",
        street="A 1",
        postal_code="1",
    )
    besuch(actor=team_caseworker, akte=first, aussendienst=aussendienst, formulare=("notiz",))
    query_count(client, LIST)  # the session's first request does its own bookkeeping
    one = query_count(client, LIST)
    akten = _tag(tenant, plan, team, team_caseworker, aussendienst)
    im_koffer(akten[0], aussendienst)
    many = query_count(client, LIST)
    # Session and access (4), the visits, persons, Vorgänge, catalogue, checkouts (5), the
    # audit event of the read (2 on SQLite, 1 on PostgreSQL): the same for one visit as for
    # five.
    budget = 10 if connection.vendor == "postgresql" else 11
    assert many == one == budget, (one, many)


def test_the_date_picker_and_the_neighbouring_days(
    akte: Akte, team_caseworker: User, aussendienst: User
) -> None:
    morgen = heute() + timedelta(days=1)
    besuch(actor=team_caseworker, akte=akte, aussendienst=aussendienst, datum=morgen)
    client = signed_in(aussendienst)
    today = client.get(LIST).content.decode()
    assert "keine Hausbesuche geplant" in today and f"datum={morgen.isoformat()}" in today
    assert akte.aktenzeichen in client.get(f"{LIST}?datum={morgen.isoformat()}").content.decode()
    # A caseworker without field.checkout has no such page.
    assert signed_in(team_caseworker).get(LIST).status_code == 403


# --- moving, cancelling, closing --------------------------------------------------------------


def test_done_closes_the_visit_and_its_wiedervorlage_once(
    akte: Akte, team_caseworker: User, aussendienst: User
) -> None:
    row = besuch(actor=team_caseworker, akte=akte, aussendienst=aussendienst)
    client = signed_in(aussendienst)
    answer = client.post(f"/koffer/hausbesuche/{row.pk}/erledigt/")
    assert answer.status_code == 302
    row.refresh_from_db()
    assert row.status == "erledigt" and row.erledigt_am is not None
    assert row.wiedervorlage is not None and row.wiedervorlage.done_at is not None
    with pytest.raises(Conflict):
        services.erledigen(actor=aussendienst, besuch=row)


def test_cancel_needs_a_reason_and_moving_moves_the_wiedervorlage(
    tenant: Mandant, akte: Akte, team_caseworker: User, aussendienst: User
) -> None:
    row = besuch(actor=team_caseworker, akte=akte, aussendienst=aussendienst)
    old_wv = row.wiedervorlage
    later = heute() + timedelta(days=5)
    services.verlegen(actor=team_caseworker, besuch=row, datum=later, uhrzeit=time(11, 0))
    row.refresh_from_db()
    assert (row.datum, row.uhrzeit) == (later, time(11, 0))
    assert old_wv is not None
    old_wv.refresh_from_db()
    assert old_wv.done_at is not None and row.wiedervorlage is not None
    assert row.wiedervorlage.due_date == later and row.wiedervorlage.done_at is None
    with pytest.raises(FieldError, match="Vergangenheit"):
        services.verlegen(actor=team_caseworker, besuch=row, datum=heute() - timedelta(1))
    client = signed_in(aussendienst)
    url = f"/koffer/hausbesuche/{row.pk}/absagen/"
    empty = client.post(url, {"grund": ""})
    assert empty.status_code == 200 and "Grund der Absage" in empty.content.decode()
    done = client.post(url, {"grund": "Frau Albers ist im Krankenhaus"})
    assert done.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.absagegrund) == ("abgesagt", "Frau Albers ist im Krankenhaus")
    assert row.wiedervorlage.done_at is not None
    assert AuditEvent.objects.filter(
        action="field.hausbesuch.abgesagt", reason="Frau Albers ist im Krankenhaus"
    ).exists()
    # Someone who may neither edit the Akte nor is its field worker: not found.
    other = factories.user(tenant, role="aussendienst", unit_=factories.unit(tenant))
    assert signed_in(other).get(f"/koffer/hausbesuche/{row.pk}/verlegen/").status_code == 404


def test_a_restricted_akte_sends_only_a_field_worker_named_on_it(
    tenant: Mandant,
    akte: Akte,
    team: Organisationseinheit,
    team_caseworker: User,
    aussendienst: User,
) -> None:
    lead = factories.user(tenant, role="teamleitung", unit_=team)
    akte = record_services.change_akte(
        actor=lead,
        akte=akte,
        reason="Schutzbedürftige Person",
        access_level="restricted",
        named_users=[team_caseworker, lead],
    )
    assert aussendienst not in field_access.aussendienste(akte)
    with pytest.raises(FieldError, match="keine Hausbesuche"):
        besuch(actor=team_caseworker, akte=akte, aussendienst=aussendienst)
    akte = record_services.change_akte(
        actor=lead,
        akte=akte,
        reason="Hausbesuch nötig",
        named_users=[team_caseworker, lead, aussendienst],
    )
    assert list(field_access.aussendienste(akte)) == [aussendienst]
    assert besuch(actor=team_caseworker, akte=akte, aussendienst=aussendienst).pk


def test_a_caseworkers_wiedervorlage_becomes_the_visit(
    tenant: Mandant, akte: Akte, team_caseworker: User, aussendienst: User
) -> None:
    tag = heute() + timedelta(days=3)
    wv = record_factories.wiedervorlage(
        akte, tag, assignee=team_caseworker, note="Pflegesituation vor Ort klären"
    )
    client = signed_in(team_caseworker)
    url = f"/akten/{akte.pk}/hausbesuch/"
    form = client.get(f"{url}?wiedervorlage={wv.pk}").content.decode()
    assert 'value="Pflegesituation vor Ort klären"' in form
    assert f'value="{tag.isoformat()}"' in form
    answer = client.post(
        url,
        {
            "aussendienst": str(aussendienst.pk),
            "datum": tag.isoformat(),
            "anlass": "Pflegesituation vor Ort klären",
            "aus_wiedervorlage": str(wv.pk),
        },
    )
    assert answer.status_code == 302
    wv.refresh_from_db()
    assert wv.done_at is not None
    row = Hausbesuch.objects.for_tenant(tenant).get()
    assert row.wiedervorlage is not None and row.wiedervorlage.assignee_id == aussendienst.pk
    event = AuditEvent.objects.filter(action="field.hausbesuch.create").get()
    assert event.changes["aus_wiedervorlage"] == str(wv.pk)
    # Taken over once: no longer offered, and refused when named again.
    assert 'name="aus_wiedervorlage"' not in client.get(url).content.decode()
    with pytest.raises(FieldError, match="nicht mehr offen"):
        services.planen(
            actor=team_caseworker,
            akte=akte,
            aussendienst=aussendienst,
            datum=tag,
            anlass="nochmal",
            aus_wiedervorlage=wv,
        )


def test_the_days_akten_not_yet_in_the_koffer_are_taken_along_from_the_list(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    akte: Akte,
    team_caseworker: User,
    aussendienst: User,
) -> None:
    zweite = akte_mit_person(
        caseworker=team_caseworker,
        plan=plan,
        unit=team,
        family_name="Brandt",
        street="Birkenweg 5",
        postal_code="12345",
    )
    besuch(actor=team_caseworker, akte=akte, aussendienst=aussendienst, uhrzeit=time(9))
    besuch(actor=team_caseworker, akte=zweite, aussendienst=aussendienst, uhrzeit=time(11))
    client = signed_in(aussendienst)
    geraet, _code = geraete.geraet_anlegen(actor=aussendienst, tenant_id=tenant.pk, name="Laptop 1")
    geraete.ausleihen(actor=aussendienst, geraet=geraet, akten=[akte])
    page = client.get(LIST).content.decode()
    assert "1 Akte dieses Tages in den Koffer nehmen" in page
    link = re.search(r'href="(/koffer/akten/\?aktenzeichen=[^"]+)"', page)
    assert link is not None and akte.aktenzeichen not in html.unescape(link.group(1))
    form = client.get(html.unescape(link.group(1))).content.decode()
    assert f"{zweite.aktenzeichen}</textarea>" in form
    client.post("/koffer/akten/", {"geraet": str(geraet.pk), "aktenzeichen": zweite.aktenzeichen})
    page = client.get(LIST).content.decode()
    assert "in den Koffer nehmen" not in page
    assert page.count("Im Koffer</dt><dd>ja, seit") == 2
