"""Statistik Platzbörse: exact counts, age groups, occupancy, costs across a rate change,
suppression for aggregate viewers, and the same numbers on the page, in CSV, XLSX and API."""

from __future__ import annotations

import csv
import io
import itertools
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.placements.angebote import services as angebot_services
from koffer.placements.belegung import services as belegung_services
from koffer.placements.gesuche import services as gesuch_services
from koffer.placements.models import (
    Angebot,
    Belegung,
    Betreuungsform,
    Einrichtung,
    Fachbereich,
    Region,
)
from koffer.placements.statistik import builders
from koffer.placements.statistik.disclosure import Quantity, suppress
from koffer.placements.statistik.scopes import Scope, scopes_for
from koffer.placements.statistik.sql import age_group
from koffer.placements.statistik.tables import AGE_GROUPS, TOTAL, Statistik
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
YEAR = 2026
END_OF_YEAR = date(2026, 12, 31)
_seq = itertools.count(1)


def _at(d: date) -> datetime:
    return datetime.combine(d, time(9, 0), tzinfo=BERLIN)


@dataclass
class World:
    traeger: Mandant
    provider_user: User
    ja1: Mandant
    ja1_user: User
    ja2: Mandant
    ja2_user: User
    nord: Einrichtung
    sued: Einrichtung
    heim_nord: Angebot
    heim_sued: Angebot
    inobhut_sued: Angebot
    heim: Betreuungsform
    inobhut: Betreuungsform
    region: Region
    fb: Fachbereich


def _einrichtung(
    w_tenant: Mandant, user: User, fb: Fachbereich, formen: list[Betreuungsform], **kw: Any
) -> Einrichtung:
    return angebot_services.create_einrichtung(
        actor=user,
        tenant=w_tenant,
        fachbereich=fb,
        formen=formen,
        street="Weg 1",
        postcode="60311",
        city="Musterstadt",
        lat=50.1,
        lon=8.7,
        age_min=0,
        age_max=21,
        **kw,
    )


def place(
    w: World,
    user: User,
    jugendamt: Mandant,
    angebot: Angebot,
    *,
    alter: int,
    geschlecht: str,
    beginn: date,
    ende: date | None = None,
    grund: str = "planmaessig",
) -> Belegung:
    """Need, hold, confirmation and (optionally) end, through the services."""
    gesuch = gesuch_services.create_gesuch(
        actor=user,
        tenant=jugendamt,
        betreuungsform=angebot.betreuungsform,
        alter=alter,
        geschlecht=geschlecht,
        ab_datum=beginn,
        region=w.region,
    )
    now = _at(beginn - timedelta(days=1))
    hold = belegung_services.reserve(actor=user, gesuch=gesuch, angebot=angebot, now=now)
    belegung = belegung_services.confirm(
        actor=w.provider_user,
        tenant=w.traeger,
        reservierung_id=hold.pk,
        beginn=beginn,
        now=now + timedelta(hours=1),
    )
    if ende is not None:
        belegung = belegung_services.end_belegung(
            actor=w.provider_user, tenant=w.traeger, belegung=belegung, ende=ende, grund=grund
        )
    return belegung


@pytest.fixture
def world(
    catalogue: Fachbereich,
    heim: Betreuungsform,
    traeger: Mandant,
    provider_user: User,
    jugendamt: Mandant,
    region: Region,
) -> World:
    inobhut = Betreuungsform.objects.get(fachbereich=catalogue, code="inobhut-42")
    ja1_user = factories.user(jugendamt, role="teamleitung")
    ja2 = factories.mandant("Stadt Nebenan", kind=Mandant.Kind.KREIS)
    ja2_user = factories.user(ja2, role="sachbearbeitung")
    nord = _einrichtung(
        traeger, provider_user, catalogue, [heim], name="Haus Nord", region="Nordkreis"
    )
    sued = _einrichtung(
        traeger, provider_user, catalogue, [heim, inobhut], name="Haus Süd", region="Südkreis"
    )
    heim_nord = angebot_services.create_angebot(
        actor=provider_user, einrichtung=nord, betreuungsform=heim, title="Gruppe Nord"
    )
    heim_sued = angebot_services.create_angebot(
        actor=provider_user, einrichtung=sued, betreuungsform=heim, title="Gruppe Süd"
    )
    inobhut_sued = angebot_services.create_angebot(
        actor=provider_user, einrichtung=sued, betreuungsform=inobhut, title="Inobhutnahme"
    )
    # Nord: 100 € a day until 15 March, then 120 € (a rate change in the middle of March).
    angebot_services.set_entgelt(
        actor=provider_user,
        angebot=heim_nord,
        valid_from=date(2025, 1, 1),
        valid_to=date(2026, 3, 15),
        leistungsentgelt=Decimal("80.00"),
        grundleistung=Decimal("15.00"),
        investitionsbetrag=Decimal("5.00"),
    )
    angebot_services.set_entgelt(
        actor=provider_user,
        angebot=heim_nord,
        valid_from=date(2026, 3, 16),
        valid_to=None,
        leistungsentgelt=Decimal("120.00"),
    )
    angebot_services.set_entgelt(
        actor=provider_user,
        angebot=heim_sued,
        valid_from=date(2025, 1, 1),
        valid_to=None,
        leistungsentgelt=Decimal("150.00"),
    )
    angebot_services.set_entgelt(
        actor=provider_user,
        angebot=inobhut_sued,
        valid_from=date(2026, 1, 1),
        valid_to=None,
        leistungsentgelt=Decimal("200.50"),
    )
    start = date(2026, 1, 1)
    angebot_services.add_plaetze(
        actor=provider_user, angebot=heim_nord, count=3, valid_from=start, frei_ab=start
    )
    angebot_services.add_plaetze(
        actor=provider_user,
        angebot=heim_sued,
        count=2,
        valid_from=date(2025, 1, 1),
        frei_ab=date(2025, 1, 1),
    )
    angebot_services.add_plaetze(
        actor=provider_user,
        angebot=inobhut_sued,
        count=2,
        valid_from=date(2026, 2, 1),
        frei_ab=date(2026, 2, 1),
    )
    w = World(
        traeger=traeger,
        provider_user=provider_user,
        ja1=jugendamt,
        ja1_user=ja1_user,
        ja2=ja2,
        ja2_user=ja2_user,
        nord=nord,
        sued=sued,
        heim_nord=heim_nord,
        heim_sued=heim_sued,
        inobhut_sued=inobhut_sued,
        heim=heim,
        inobhut=inobhut,
        region=region,
        fb=catalogue,
    )
    # B0: begun 2025, runs through 2026 (occupancy yes, "begonnen 2026" no).
    place(w, ja1_user, jugendamt, heim_sued, alter=10, geschlecht="m", beginn=date(2025, 12, 1))
    # B1..B3 in Haus Nord.
    place(
        w,
        ja1_user,
        jugendamt,
        heim_nord,
        alter=2,
        geschlecht="w",
        beginn=date(2026, 1, 1),
        ende=date(2026, 3, 31),
    )
    place(w, ja1_user, jugendamt, heim_nord, alter=7, geschlecht="m", beginn=date(2026, 3, 1))
    place(
        w,
        ja2_user,
        ja2,
        heim_nord,
        alter=14,
        geschlecht="d",
        beginn=date(2026, 3, 10),
        ende=date(2026, 4, 20),
        grund="abbruch",
    )
    # B4 in Haus Süd (Heim), B5 and B6 in its Inobhutnahme.
    place(w, ja1_user, jugendamt, heim_sued, alter=16, geschlecht="w", beginn=date(2026, 2, 1))
    place(
        w,
        ja2_user,
        ja2,
        inobhut_sued,
        alter=12,
        geschlecht="m",
        beginn=date(2026, 2, 15),
        ende=date(2026, 2, 28),
        grund="rueckfuehrung",
    )
    place(w, ja1_user, jugendamt, inobhut_sued, alter=17, geschlecht="w", beginn=date(2026, 5, 1))
    return w


def _scope(kind: str, tenant: Mandant) -> Scope:
    return Scope(kind=kind, tenant_id=tenant.pk, tenant_name=tenant.name)  # type: ignore[arg-type]


def _stat(scope: Scope, fb: Fachbereich | None = None, today: date = END_OF_YEAR) -> Statistik:
    return builders.statistik(scope=scope, year=YEAR, fachbereich=fb, today=today)


def _value(stat: Statistik, key: str, labels: tuple[str, ...], column: str) -> Any:
    return stat.table(key).cell(labels, column).value


# --- counts -----------------------------------------------------------------------------------


def test_begun_and_ended_by_form_age_and_gender(world: World) -> None:
    stat = _stat(_scope("provider", world.traeger), world.fb)
    heim, inobhut = str(world.heim), str(world.inobhut)
    overview = stat.table("uebersicht")
    assert [r.labels[0] for r in overview.rows] == [heim, inobhut, "Insgesamt"]
    assert _value(stat, "uebersicht", (heim,), "begonnen") == 4
    assert _value(stat, "uebersicht", (heim,), "beendet") == 2
    assert _value(stat, "uebersicht", (inobhut,), "begonnen") == 2
    assert _value(stat, "uebersicht", (inobhut,), "beendet") == 1
    assert _value(stat, "uebersicht", ("Insgesamt",), "begonnen") == 6

    # Age groups of the KJH statistics: 2 → unter 3, 7 → 6–9, 14 → 12–15, 16 → 15–18.
    begun = stat.table("begonnen")
    assert _value(stat, "begonnen", (heim, "unter 3"), "weiblich") == 1
    assert _value(stat, "begonnen", (heim, "6 bis unter 9"), "männlich") == 1
    assert _value(stat, "begonnen", (heim, "12 bis unter 15"), "divers") == 1
    assert _value(stat, "begonnen", (heim, "15 bis unter 18"), "weiblich") == 1
    assert _value(stat, "begonnen", (heim, "9 bis unter 12"), "Insgesamt") == 0  # B0 is 2025
    assert _value(stat, "begonnen", (heim, "zusammen"), "Insgesamt") == 4
    assert _value(stat, "begonnen", (inobhut, "12 bis unter 15"), "männlich") == 1
    assert _value(stat, "begonnen", (inobhut, "15 bis unter 18"), "weiblich") == 1
    assert _value(stat, "begonnen", ("Insgesamt", "zusammen"), "weiblich") == 3
    assert _value(stat, "begonnen", ("Insgesamt", "zusammen"), "Insgesamt") == 6
    assert begun.columns == ("Insgesamt", "weiblich", "männlich", "divers")
    assert [r.labels[1] for r in begun.rows[:10]] == [
        "unter 3",
        "3 bis unter 6",
        "6 bis unter 9",
        "9 bis unter 12",
        "12 bis unter 15",
        "15 bis unter 18",
        "18 bis unter 21",
        "21 bis unter 27",
        "27 und älter",
        "zusammen",
    ]
    assert begun.rows[0].spans == (10, 1) and begun.rows[1].spans == (0, 1)

    assert _value(stat, "beendet", (heim, "unter 3"), "weiblich") == 1
    assert _value(stat, "beendet", (heim, "12 bis unter 15"), "divers") == 1
    assert _value(stat, "beendet", (inobhut, "12 bis unter 15"), "männlich") == 1
    assert _value(stat, "beendet", ("Insgesamt", "zusammen"), "Insgesamt") == 3
    assert _value(stat, "endegrund", (heim,), "planmäßige Beendigung") == 1
    assert _value(stat, "endegrund", (heim,), "Abbruch") == 1
    assert _value(stat, "endegrund", (inobhut,), "Rückkehr in die Familie") == 1
    assert _value(stat, "endegrund", ("Insgesamt",), "Insgesamt") == 3
    assert not stat.has_suppressed


def test_age_group_boundaries() -> None:
    groups = [AGE_GROUPS[age_group(a)][0] for a in (0, 2, 3, 5, 6, 17, 18)]
    assert groups == [
        "unter 3",
        "unter 3",
        "3 bis unter 6",
        "3 bis unter 6",
        "6 bis unter 9",
        "15 bis unter 18",
        "18 bis unter 21",
    ]
    assert AGE_GROUPS[age_group(21)][0] == "21 bis unter 27"
    assert AGE_GROUPS[age_group(26)][0] == "21 bis unter 27"
    assert AGE_GROUPS[age_group(27)][0] == "27 und älter"


def test_stand_cuts_off_what_lies_ahead(world: World) -> None:
    """On 15 March: B2 (1 March) and B3 (10 March) have begun, B3's end lies ahead."""
    stat = _stat(_scope("provider", world.traeger), world.fb, today=date(2026, 3, 15))
    heim = str(world.heim)
    assert _value(stat, "uebersicht", (heim,), "begonnen") == 4
    assert _value(stat, "uebersicht", (heim,), "beendet") == 0
    cell = stat.table("auslastung_einrichtung").cell(("Haus Nord",), "Apr")
    assert cell.value is None and cell.later and cell.sign == "…"
    # March up to the 15th: B1 15 + B2 15 + B3 6 days of 3 × 15 place-days.
    assert _value(stat, "auslastung_einrichtung", ("Haus Nord",), "Mär") == Decimal("80.0")


# --- occupancy and costs ----------------------------------------------------------------------


def test_occupancy_per_month(world: World) -> None:
    stat = _stat(_scope("provider", world.traeger), world.fb)
    t = "auslastung_einrichtung"
    # Haus Nord, 3 places from 1 January.
    assert _value(stat, t, ("Haus Nord",), "Jan") == Decimal("33.3")  # 31 / 93
    assert _value(stat, t, ("Haus Nord",), "Feb") == Decimal("33.3")  # 28 / 84
    assert _value(stat, t, ("Haus Nord",), "Mär") == Decimal("90.3")  # (31+31+22) / 93
    assert _value(stat, t, ("Haus Nord",), "Apr") == Decimal("55.6")  # (30+20) / 90
    assert _value(stat, t, ("Haus Nord",), "Mai") == Decimal("33.3")  # 31 / 93
    # Year: B1 90 + B2 306 + B3 42 = 438 of 3 × 365.
    assert _value(stat, t, ("Haus Nord",), "Jahr") == Decimal("40.0")
    # Haus Süd: 2 Heim places (B0 all year, B4 from 1 Feb), 2 Inobhutnahme places from Feb.
    # January: 31 occupied of 62 (Heim only; the Inobhutnahme places start in February).
    assert _value(stat, t, ("Haus Süd",), "Jan") == Decimal("50.0")
    # February: Heim 28 + 28, Inobhutnahme B5 14 days; 4 places × 28.
    assert _value(stat, t, ("Haus Süd",), "Feb") == Decimal("62.5")
    # All facilities in January: (31 + 31) of (93 + 62); the same in every dimension.
    assert _value(stat, t, ("Insgesamt",), "Jan") == Decimal("40.0")
    for key in ("auslastung_betreuungsform", "auslastung_region"):
        assert _value(stat, key, ("Insgesamt",), "Jan") == Decimal("40.0")
    form = "auslastung_betreuungsform"
    assert _value(stat, form, (str(world.inobhut),), "Jan") is None  # no places yet: "x"
    assert stat.table(form).cell((str(world.inobhut),), "Jan").sign == "x"
    assert _value(stat, form, (str(world.inobhut),), "Feb") == Decimal("25.0")  # 14 / 56
    region = "auslastung_region"
    assert _value(stat, region, ("Nordkreis",), "Mär") == Decimal("90.3")
    # Youth offices: Belegungstage (places are not theirs).
    ja = "belegungstage_jugendamt"
    assert _value(stat, ja, (world.ja2.name,), "Mär") == 22
    assert _value(stat, ja, (world.ja2.name,), "Feb") == 14
    assert _value(stat, ja, (world.ja2.name,), "Jahr") == 42 + 14
    assert stat.line_unit == "percent"
    nord_total = next(s for s in stat.line_series if s.total)
    assert nord_total.label == "Insgesamt" and len(nord_total.values) == 12


def test_costs_follow_the_rate_valid_on_each_day(world: World) -> None:
    stat = _stat(_scope("provider", world.traeger), world.fb)
    t = "kosten_einrichtung"
    assert _value(stat, t, ("Haus Nord",), "Jan") == Decimal("3100.00")
    assert _value(stat, t, ("Haus Nord",), "Feb") == Decimal("2800.00")
    # March: 1–15 at 100 €, 16–31 at 120 €. B1 and B2 the whole month, B3 from the 10th.
    march = 2 * (15 * 100 + 16 * 120) + (6 * 100 + 16 * 120)
    assert _value(stat, t, ("Haus Nord",), "Mär") == Decimal(march)
    # April: B2 30 days, B3 20 days, at 120 €.
    assert _value(stat, t, ("Haus Nord",), "Apr") == Decimal(50 * 120)
    inobhut = _value(stat, "kosten_betreuungsform", (str(world.inobhut),), "Feb")
    assert inobhut == Decimal("2807.00")  # 14 × 200.50
    year_nord = (90 + 306 + 42) * 120 - (  # every day at 120 €, minus 20 € before 16 March
        (31 + 28 + 15) + (15) + (6)
    ) * 20
    assert _value(stat, t, ("Haus Nord",), "Jahr") == Decimal(year_nord)
    total = _value(stat, t, ("Insgesamt",), "Jahr")
    assert total == _value(stat, "kosten_region", ("Insgesamt",), "Jahr")
    assert total == _value(stat, "kosten_jugendamt", ("Insgesamt",), "Jahr")
    assert total == sum(
        (_value(stat, t, (name,), "Jahr") for name in ("Haus Nord", "Haus Süd")), Decimal(0)
    )


def test_youth_office_sees_only_its_own_belegungen(world: World) -> None:
    stat = _stat(_scope("requester", world.ja2), world.fb)
    assert _value(stat, "uebersicht", ("Insgesamt",), "begonnen") == 2  # B3 and B5
    assert [t.key for t in stat.section("auslastung")] == [
        "belegungstage_einrichtung",
        "belegungstage_betreuungsform",
        "belegungstage_region",
    ]
    assert _value(stat, "belegungstage_einrichtung", ("Haus Nord",), "Jahr") == 42
    assert _value(stat, "belegungstage_einrichtung", ("Haus Süd",), "Jahr") == 14
    assert _value(stat, "kosten_einrichtung", ("Haus Süd",), "Feb") == Decimal("2807.00")
    assert stat.line_unit == "days"
    other = _stat(_scope("requester", world.ja1), world.fb)
    assert _value(other, "uebersicht", ("Insgesamt",), "begonnen") == 4  # B1, B2, B4, B6


def test_fachbereich_filter(world: World) -> None:
    pflege = Fachbereich.objects.get(code="pflege")
    stat = _stat(_scope("provider", world.traeger), pflege)
    assert _value(stat, "uebersicht", ("Insgesamt",), "begonnen") == 0
    assert _value(stat, "kosten_einrichtung", ("Insgesamt",), "Jahr") == Decimal("0.00")


def test_scopes_follow_roles(world: World) -> None:
    def kinds(tenant: Mandant, role: str) -> list[str]:
        user = factories.user(tenant, role=role)
        return [s.kind for s in scopes_for(Access.for_user(user.pk, tenant.pk), tenant)]

    lja = factories.mandant("Landesjugendamt", kind=Mandant.Kind.LANDESJUGENDAMT)
    ministerium = factories.mandant("Ministerium", kind=Mandant.Kind.MINISTERIUM)
    assert kinds(world.traeger, "platzverwaltung") == ["provider"]
    assert kinds(world.ja1, "teamleitung") == ["requester"]
    assert kinds(world.ja1, "sachbearbeitung") == []
    assert kinds(world.ja1, "platzverwaltung") == ["provider"]  # a Kreis with own places
    assert kinds(lja, "landesjugendamt") == ["aggregate"]
    assert kinds(ministerium, "statistik") == ["aggregate"]
    both = factories.user(world.ja1, role="teamleitung")
    factories.add_role(both, world.ja1, "platzverwaltung")
    access = Access.for_user(both.pk, world.ja1.pk)
    assert [s.kind for s in scopes_for(access, world.ja1)] == ["requester", "provider"]


# --- suppression ------------------------------------------------------------------------------


def test_suppress_hides_small_cells_and_one_more_per_sum() -> None:
    """A 2 × 2 table with margins: one cell of 2 needs three more hidden cells."""
    counts = {("a", "x"): 2, ("a", "y"): 5, ("b", "x"): 7, ("b", "y"): 9}
    cells: dict[tuple[Any, ...], Quantity] = {}
    for (r, c), n in counts.items():
        for key in [(r, c), (r, TOTAL), (TOTAL, c), (TOTAL, TOTAL)]:
            cells.setdefault(key, Quantity()).add(n, n)
    hidden = suppress(cells, [["a", "b"], ["x", "y"]])
    # Row a: (a,x) hidden, the smallest other member (a,y)=5. Column x: (b,x)=7. Then
    # column y has (a,y) hidden alone: (b,y)=9 is smaller than the sum 14. Margins stay.
    assert hidden == {("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")}
    assert not any(k for k in hidden if TOTAL in k)


def _equations_hold_no_single_hidden(stat: Statistik) -> None:
    """On the published tables themselves: in every sum with its parts, never exactly one
    hidden cell (it could be recomputed), and no visible count of 1 or 2."""
    for key in ("begonnen", "beendet"):
        t = stat.table(key)
        blocks: dict[str, list[Any]] = {}
        for row in t.rows:
            blocks.setdefault(row.labels[0], []).append(row)
        for rows in blocks.values():
            for row in rows:  # Insgesamt = weiblich + männlich + divers
                assert sum(c.suppressed for c in row.cells) != 1, (key, row.labels)
            for col in range(len(t.columns)):  # zusammen = sum of the age groups
                assert sum(r.cells[col].suppressed for r in rows) != 1, (key, col)
        forms = [name for name in blocks if name != "Insgesamt"]
        for i in range(len(rows)):  # Insgesamt block = sum of the forms (others are 0)
            for col in range(len(t.columns)):
                members = [blocks[f][i].cells[col] for f in forms] + [
                    blocks["Insgesamt"][i].cells[col]
                ]
                assert sum(c.suppressed for c in members) != 1, (key, i, col)
    for t in stat.tables:
        for row in t.rows:
            for cell in row.cells:
                if t.unit == "count" and cell.value is not None:
                    assert cell.value == 0 or cell.value >= 3, (t.key, row.labels)
        if t.columns[-1] == "Jahr":
            for row in t.rows:
                assert sum(c.suppressed for c in row.cells) != 1, (t.key, row.labels)
            for col in range(len(t.columns)):
                assert sum(r.cells[col].suppressed for r in t.rows) != 1, (t.key, col)


def test_aggregates_for_lja_suppress_small_cells(world: World) -> None:
    # Three more Heim placements of 16-year-old girls in Haus Süd by youth office 1
    # (visible: 1 + 3 = 4), three more Inobhutnahmen of boys (2 + 3 = 5 Inobhutnahme).
    angebot_services.add_plaetze(
        actor=world.provider_user,
        angebot=world.heim_sued,
        count=3,
        valid_from=date(2026, 1, 1),
        frei_ab=date(2026, 1, 1),
    )
    angebot_services.add_plaetze(
        actor=world.provider_user,
        angebot=world.inobhut_sued,
        count=3,
        valid_from=date(2026, 1, 1),
        frei_ab=date(2026, 1, 1),
    )
    for day in (3, 4, 5):
        place(
            world,
            world.ja1_user,
            world.ja1,
            world.heim_sued,
            alter=16,
            geschlecht="w",
            beginn=date(2026, 6, day),
        )
    for day in (3, 4, 5):
        place(
            world,
            world.ja2_user,
            world.ja2,
            world.inobhut_sued,
            alter=13,
            geschlecht="m",
            beginn=date(2026, 7, day),
            ende=date(2026, 7, day + 10),
        )
    lja = factories.mandant("Landesjugendamt Test", kind=Mandant.Kind.LANDESJUGENDAMT)
    stat = _stat(_scope("aggregate", lja), world.fb)
    heim, inobhut = str(world.heim), str(world.inobhut)
    assert stat.has_suppressed
    begun = stat.table("begonnen")
    # Primary: B1 alone in "unter 3".
    assert begun.cell((heim, "unter 3"), "weiblich").suppressed
    # Secondary: the 4 girls aged 15–18 in Heim would give away B1 through the column
    # sum (5 girls in Heim), so they are hidden too, and with them their row total.
    assert begun.cell((heim, "15 bis unter 18"), "weiblich").suppressed
    assert begun.cell((heim, "15 bis unter 18"), "Insgesamt").suppressed
    # Sums that rest on enough Belegungen and give nothing away stay visible.
    assert _value(stat, "uebersicht", (heim,), "begonnen") == 7
    assert _value(stat, "uebersicht", (inobhut,), "begonnen") == 5
    assert _value(stat, "begonnen", ("Insgesamt", "zusammen"), "Insgesamt") == 12
    assert _value(stat, "begonnen", ("Insgesamt", "zusammen"), "weiblich") == 6
    assert _value(stat, "begonnen", ("Insgesamt", "12 bis unter 15"), "Insgesamt") == 5
    assert _value(stat, "endegrund", ("Insgesamt",), "planmäßige Beendigung") == 4
    assert stat.table("endegrund").cell(("Insgesamt",), "Abbruch").suppressed
    # March: 146 occupied of 403 place-days (3 + 5 + 5 places × 31).
    assert _value(stat, "auslastung_betreuungsform", ("Insgesamt",), "Mär") == Decimal("36.2")
    _equations_hold_no_single_hidden(stat)
    # No per-facility rows for aggregate viewers.
    keys = [t.key for t in stat.tables]
    assert "auslastung_einrichtung" not in keys and "kosten_einrichtung" not in keys
    assert {"auslastung_region", "auslastung_betreuungsform", "kosten_jugendamt"} <= set(keys)
    # ja2 in March: only B3 → a Belegung count of 1 hides days and costs alike.
    assert stat.table("belegungstage_jugendamt").cell((world.ja2.name,), "Mär").suppressed
    assert stat.table("kosten_jugendamt").cell((world.ja2.name,), "Mär").suppressed
    # The same month total appears in every dimension: hidden in all or none.
    totals = {
        key: stat.table(key).cell(("Insgesamt",), "Mär").suppressed
        for key in ("auslastung_region", "auslastung_betreuungsform", "kosten_jugendamt")
    }
    assert len(set(totals.values())) == 1, totals


# --- pages, exports, API ----------------------------------------------------------------------


@pytest.fixture
def frozen_today() -> Any:
    """The page counts up to today; the data set is 2026: pretend it is New Year's Eve."""
    with mock.patch("django.utils.timezone.localdate", return_value=END_OF_YEAR):
        yield


def _page_cells(html: str, key: str) -> list[list[str]]:
    """The data cells of one table on the page, as displayed (for comparisons)."""
    start = html.index(f'id="tabelle-{key}"')
    end = html.index("</table>", start)
    rows = []
    for tr in html[start:end].split("<tr")[2:]:
        cells = [part.split("<")[0] for part in tr.split('kern-table__cell--numeric">')[1:]]
        rows.append(cells)
    return rows


def _display_number(text: str) -> str:
    """Page format (1.234,5) to CSV format (1234,5)."""
    return text.replace(".", "")


def test_page_csv_xlsx_and_api_show_the_same_numbers(world: World, frozen_today: Any) -> None:
    lja = factories.mandant("Landesjugendamt Export", kind=Mandant.Kind.LANDESJUGENDAMT)
    client = signed_in(factories.user(lja, role="landesjugendamt"))
    params = {"jahr": str(YEAR), "fachbereich": "jugendhilfe"}
    page = client.get(reverse("placements:statistik"), params)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Werte unter 3 unterdrückt" in html
    assert 'role="img"' in html and 'aria-labelledby="chart-bewegungen-title' in html
    assert " style=" not in html and "<script>" not in html
    assert "Haus Nord" not in html and "Haus Süd" not in html  # no facility names

    stat = _stat(_scope("aggregate", lja), world.fb)
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("placements:statistik_xlsx"), params).content)
    )
    assert len(book.sheetnames) == len(stat.tables)
    api = client.get("/api/v1/platzboerse/statistik", {"jahr": YEAR, "fachbereich": "jugendhilfe"})
    assert api.status_code == 200
    api_tables = {t["schluessel"]: t for t in json.loads(api.content)["tabellen"]}
    for sheet_name, table in zip(book.sheetnames, stat.tables, strict=True):
        response = client.get(reverse("placements:statistik_csv"), {**params, "tabelle": table.key})
        assert response.status_code == 200
        body = response.content
        assert body.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
        assert lines[1] == [*table.stub, *table.columns]
        data = lines[2 : 2 + len(table.rows)]
        page_rows = _page_cells(html, table.key)
        sheet = book[sheet_name]
        for i, (row, csv_row, page_row) in enumerate(zip(table.rows, data, page_rows, strict=True)):
            csv_cells = csv_row[len(table.stub) :]
            assert csv_row[: len(table.stub)] == list(row.labels)
            assert [_display_number(p) for p in page_row] == csv_cells, (table.key, row.labels)
            api_row = api_tables[table.key]["zeilen"][i]
            for j, cell in enumerate(row.cells):
                xl = sheet.cell(row=4 + i, column=len(table.stub) + 1 + j).value
                if cell.value is None:
                    assert xl == csv_cells[j] == cell.sign
                    assert api_row["werte"][j] is None
                    assert api_row["unterdrueckt"][j] == cell.suppressed
                else:
                    expected = Decimal(csv_cells[j].replace(",", "."))
                    assert Decimal(str(xl)) == expected == Decimal(str(api_row["werte"][j]))
                    assert cell.value == expected
        assert any("Stand: 31.12.2026" in " ".join(line) for line in lines)
    assert any(c.suppressed for t in stat.tables for r in t.rows for c in r.cells)


def test_csv_uses_decimal_comma(world: World, frozen_today: Any) -> None:
    client = signed_in(world.provider_user)
    response = client.get(
        reverse("placements:statistik_csv"),
        {"jahr": str(YEAR), "fachbereich": "jugendhilfe", "tabelle": "kosten_einrichtung"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8-sig")
    assert "Haus Nord;3100,00;2800,00;9360,00;6000,00;" in text
    assert (
        'filename="statistik-platzboerse-2026-jugendhilfe-kosten-einrichtung.csv"'
        in (response["Content-Disposition"])
    )


@pytest.mark.parametrize(
    ("kind", "role", "status"),
    [
        (Mandant.Kind.TRAEGER, "platzverwaltung", 200),
        (Mandant.Kind.KREIS, "teamleitung", 200),
        (Mandant.Kind.LANDESJUGENDAMT, "landesjugendamt", 200),
        (Mandant.Kind.MINISTERIUM, "statistik", 200),
        (Mandant.Kind.KREIS, "sachbearbeitung", 403),
        (Mandant.Kind.KREIS, "poststelle", 403),
        (Mandant.Kind.JOBCENTER, "teamleitung", 403),
        (Mandant.Kind.LANDESJUGENDAMT, "mandant_admin", 403),
    ],
)
def test_access_per_role(
    world: World, frozen_today: Any, kind: str, role: str, status: int
) -> None:
    tenant = world.traeger if kind == Mandant.Kind.TRAEGER else factories.mandant(kind=kind)
    client = signed_in(factories.user(tenant, role=role))
    page = client.get(reverse("placements:statistik"))
    assert page.status_code == status
    csv_response = client.get(
        reverse("placements:statistik_csv"), {"jahr": "2026", "tabelle": "uebersicht"}
    )
    assert csv_response.status_code == status
    assert client.get(reverse("placements:statistik_xlsx")).status_code == status
    api = client.get("/api/v1/platzboerse/statistik")
    assert api.status_code == status
    if status == 200:
        html = page.content.decode()
        assert "Statistik Platzbörse" in html
        assert html.count('href="/plaetze/statistik/"') >= 1  # the navigation entry
    else:
        assert json.loads(api.content)["code"] == "forbidden"


def test_anonymous_is_sent_to_sign_in(db: None) -> None:
    response = Client().get(reverse("placements:statistik"))
    assert response.status_code == 302 and "/anmelden" in response["Location"]


def test_bad_input_gets_a_clear_message(world: World, frozen_today: Any) -> None:
    client = signed_in(world.provider_user)
    page = client.get(reverse("placements:statistik"), {"jahr": "1999"})
    assert page.status_code == 400
    assert "Bitte ein Jahr aus der Liste wählen" in page.content.decode()
    page = client.get(reverse("placements:statistik"), {"fachbereich": "gibtsnicht"})
    assert page.status_code == 400 and "Diesen Fachbereich gibt es nicht" in page.content.decode()
    page = client.get(reverse("placements:statistik"), {"sicht": "aggregate"})
    assert page.status_code == 400  # a provider cannot ask for the aggregate view
    response = client.get(reverse("placements:statistik_csv"), {"tabelle": "nichts"})
    assert response.status_code == 400 and "Tabelle gibt es nicht" in response.content.decode()
    api = client.get("/api/v1/platzboerse/statistik", {"jahr": 1990})
    assert api.status_code == 422 and json.loads(api.content)["code"] == "jahr"
    api = client.get("/api/v1/platzboerse/statistik", {"sicht": "aggregate"})
    assert api.status_code == 403
    api = client.get("/api/v1/platzboerse/statistik", {"jahr": "zwanzig"})
    assert api.status_code == 422


def test_page_renders_charts_with_tables(world: World, frozen_today: Any) -> None:
    client = signed_in(world.provider_user)
    html = client.get(reverse("placements:statistik")).content.decode()
    assert html.count('<svg class="koffer-chart" role="img"') == 2
    assert '<title id="chart-auslastung-title">' in html
    assert '<desc id="chart-auslastung-desc">' in html
    # The line chart's data table follows right after the chart.
    chart = html.index('id="chart-auslastung-title"')
    assert html.index('id="tabelle-auslastung_betreuungsform"', chart) < html.index(
        'id="tabelle-auslastung_einrichtung"', chart
    )
    assert "<caption" in html and "90,3" in html and "9.360,00" in html
    assert " style=" not in html


def test_query_count_does_not_grow_with_belegungen(
    world: World, django_assert_max_num_queries: Any
) -> None:
    lja = factories.mandant("Landesjugendamt Zähl", kind=Mandant.Kind.LANDESJUGENDAMT)
    with django_assert_max_num_queries(8):
        _stat(_scope("aggregate", lja), world.fb)
    with django_assert_max_num_queries(8):
        _stat(_scope("provider", world.traeger), None)
