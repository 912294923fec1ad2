"""The provider's own data through the pages and the API: facility data, a new day rate
from a date, standby places, absence days."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from koffer.audit.models import AuditEvent
from koffer.placements.abrechnung import services as billing
from koffer.placements.angebote import services as angebot_services
from koffer.placements.belegung import services as belegung_services
from koffer.placements.errors import Conflict, PlacementsError
from koffer.placements.gesuche import services as gesuch_services
from koffer.placements.models import (
    Abwesenheit,
    Belegung,
    Betreuungsform,
    Einrichtung,
    Entgelt,
    Fachbereich,
    Merkmal,
    Platz,
)
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def _events(tenant: Mandant, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(tenant_id=tenant.pk, action=action).order_by("seq"))


def _edit_data(einrichtung: Einrichtung, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": einrichtung.name,
        "formen": [f.pk for f in einrichtung.formen.all()],
        "street": einrichtung.street,
        "postcode": einrichtung.postcode,
        "city": einrichtung.city,
        "lat": str(einrichtung.lat),
        "lon": str(einrichtung.lon),
        "age_min": str(einrichtung.age_min),
        "age_max": str(einrichtung.age_max),
        "accepts_w": "on",
        "accepts_m": "on",
        "accepts_d": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- 1. facility data -----------------------------------------------------------------------


def test_provider_edits_licence_forms_ages_gender_and_address_on_the_page(
    einrichtung, provider_user, traeger, catalogue
):
    client = signed_in(provider_user)
    url = reverse("placements:einrichtung_bearbeiten", args=[einrichtung.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Einrichtung bearbeiten" in html
    assert 'value="Wohngruppe Linde"' in html
    assert "kern-form-input__input" in html
    # The Fachbereich stays: its forms of care only.
    assert 'name="fachbereich"' not in html
    linked = client.get(reverse("placements:einrichtung", args=[einrichtung.pk])).content.decode()
    assert url in linked

    inobhut = Betreuungsform.objects.get(fachbereich=catalogue, code="inobhut-42")
    merkmal = Merkmal.objects.filter(fachbereich=catalogue).first()
    assert merkmal is not None
    saved = client.post(
        url,
        _edit_data(
            einrichtung,
            formen=[f.pk for f in einrichtung.formen.all()] + [inobhut.pk],
            merkmale=[merkmal.pk],
            licence_number="LJA-45-2026-17",
            licence_date="2026-03-01",
            licence_conditions="Höchstens 8 Plätze",
            age_min="10",
            age_max="17",
            accepts_m=None,
            street="Lindenweg 5",
            lat="50.2",
            lon="8.75",
        ),
    )
    assert saved.status_code == 302, saved.content.decode()
    fresh = Einrichtung.objects.for_tenant(traeger).get(pk=einrichtung.pk)
    assert fresh.licence_number == "LJA-45-2026-17"
    assert fresh.licence_date == date(2026, 3, 1)
    assert fresh.licence_conditions == "Höchstens 8 Plätze"
    assert (fresh.age_min, fresh.age_max) == (10, 17)
    assert (fresh.accepts_w, fresh.accepts_m, fresh.accepts_d) == (True, False, True)
    assert fresh.street == "Lindenweg 5" and fresh.lat == 50.2
    assert set(fresh.formen.values_list("code", flat=True)) == {"heim-34", "inobhut-42"}
    assert list(fresh.merkmale.all()) == [merkmal]
    [event] = _events(traeger, "placements.einrichtung.update")
    assert event.changes["licence_number"]["new"] == "LJA-45-2026-17"
    assert event.changes["accepts_m"] == {"old": True, "new": False}
    assert "formen" in event.changes and "merkmale" in event.changes

    bad = client.post(url, _edit_data(fresh, age_min="17", age_max="3"))
    assert bad.status_code == 400
    assert "Höchstalter" in bad.content.decode()


def test_a_form_of_care_in_use_cannot_be_dropped(einrichtung, angebot, provider_user, catalogue):
    inobhut = Betreuungsform.objects.get(fachbereich=catalogue, code="inobhut-42")
    client = signed_in(provider_user)
    page = client.post(
        reverse("placements:einrichtung_bearbeiten", args=[einrichtung.pk]),
        _edit_data(einrichtung, formen=[inobhut.pk]),
    )
    assert page.status_code == 400
    assert "wird vom Angebot „Regelgruppe“ genutzt" in page.content.decode()
    assert list(einrichtung.formen.values_list("code", flat=True)) == ["heim-34"]


def test_facility_api_patch_changes_only_what_is_sent(einrichtung, provider_user, traeger):
    client = signed_in(provider_user)
    url = f"/api/v1/platzboerse/einrichtungen/{einrichtung.pk}"
    assert client.get(url).json()["licence_date"] is None
    ok = client.patch(
        url,
        {"licence_date": "2026-02-01", "accepts_d": False, "region": "Kreis Muster"},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["licence_date"] == "2026-02-01"
    assert body["accepts_d"] is False and body["accepts_w"] is True
    assert body["name"] == "Wohngruppe Linde"
    bad = client.patch(url, {"age_min": 17, "age_max": 3}, content_type="application/json")
    assert bad.status_code == 422 and bad["Content-Type"] == PROBLEM
    assert bad.json()["code"] == "age_range"
    nulled = client.patch(url, {"name": None}, content_type="application/json")
    assert nulled.status_code == 422 and nulled.json()["code"] == "null_value"
    stranger = factories.user(factories.mandant(kind="traeger"), role="platzverwaltung")
    other = signed_in(stranger).patch(url, {"city": "X"}, content_type="application/json")
    assert other.status_code == 404 and other["Content-Type"] == PROBLEM
    assert Einrichtung.objects.for_tenant(traeger).get(pk=einrichtung.pk).city == "Musterstadt"


# --- 2. a new day rate from a date ------------------------------------------------------------


def test_new_day_rate_ends_the_open_one_the_day_before(angebot, provider_user, traeger):
    client = signed_in(provider_user)
    url = reverse("placements:entgelt_wechsel", args=[angebot.pk])
    assert (
        url
        in client.get(
            reverse("placements:einrichtung", args=[angebot.einrichtung_id])
        ).content.decode()
    )
    page = client.get(url)
    assert page.status_code == 200 and "Neuer Tagessatz gilt ab" in page.content.decode()
    before = len(_events(traeger, "placements.entgelt.change"))
    saved = client.post(
        url,
        {
            "valid_from": "2027-01-01",
            "leistungsentgelt": "160.00",
            "grundleistung": "21.00",
            "investitionsbetrag": "12.00",
            "absence_share": "80",
        },
    )
    assert saved.status_code == 302, saved.content.decode()
    old, new = Entgelt.objects.for_tenant(traeger).filter(angebot=angebot).order_by("valid_from")
    assert old.valid_to == date(2026, 12, 31)
    assert (new.valid_from, new.valid_to, new.tagessatz) == (date(2027, 1, 1), None, Decimal("193"))
    assert new.absence_share == Decimal("80")
    [event] = _events(traeger, "placements.entgelt.change")[before:]
    assert event.changes["tagessatz"] == {"old": "182.50", "new": "193.00"}
    assert event.changes["bisheriges_bis"]["new"] == "2026-12-31"

    # Bad input: before the current rate began, and again on the same day.
    early = client.post(
        url,
        {
            "valid_from": "2027-01-01",
            "leistungsentgelt": "170",
            "grundleistung": "0",
            "investitionsbetrag": "0",
            "absence_share": "75",
        },
    )
    assert early.status_code == 400
    assert "beginnt erst am 01.01.2027" in early.content.decode()
    zero = client.post(
        url,
        {
            "valid_from": "2027-06-01",
            "leistungsentgelt": "0",
            "grundleistung": "0",
            "investitionsbetrag": "0",
            "absence_share": "75",
        },
    )
    assert zero.status_code == 400 and "größer als 0 €" in zero.content.decode()
    assert Entgelt.objects.for_tenant(traeger).filter(angebot=angebot).count() == 2


def test_new_day_rate_refuses_a_later_rate_no_rate_and_billed_days(
    angebot, provider_user, traeger, einrichtung, heim
):
    with pytest.raises(PlacementsError) as none:
        angebot_services.change_entgelt(
            actor=provider_user,
            angebot=angebot,
            valid_from=date(2025, 6, 1),
            leistungsentgelt=Decimal("100"),
        )
    assert none.value.code == "no_current_rate"
    with pytest.raises(PlacementsError) as gap:
        angebot_services.change_entgelt(
            actor=provider_user,
            angebot=angebot,
            valid_from=date(2026, 7, 1),
            valid_to=date(2026, 9, 30),
            leistungsentgelt=Decimal("155"),
        )
    assert gap.value.code == "rate_gap"
    assert "bis auf Weiteres" in gap.value.message
    angebot_services.change_entgelt(
        actor=provider_user,
        angebot=angebot,
        valid_from=date(2027, 1, 1),
        leistungsentgelt=Decimal("160"),
    )
    with pytest.raises(Conflict) as later:
        angebot_services.change_entgelt(
            actor=provider_user,
            angebot=angebot,
            valid_from=date(2026, 7, 1),
            leistungsentgelt=Decimal("155"),
        )
    assert later.value.code == "rate_overlap"
    assert "01.01.2027" in later.value.message
    # No gap anywhere: every day from the first rate on has exactly one rate.
    rates = list(Entgelt.objects.for_tenant(traeger).filter(angebot=angebot).order_by("valid_from"))
    for a, b in itertools.pairwise(rates):
        assert a.valid_to == b.valid_from - timedelta(days=1)


def test_new_day_rate_through_the_api(angebot, provider_user, traeger):
    client = signed_in(provider_user)
    url = f"/api/v1/platzboerse/angebote/{angebot.pk}/entgeltwechsel"
    made = client.post(
        url,
        {"valid_from": "2027-03-01", "leistungsentgelt": "170.00"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["tagessatz"] == "170.00"
    # Without a share, the Fachbereich's configured default applies.
    assert Decimal(made.json()["absence_share"]) == Decimal("75")
    rates = client.get(f"/api/v1/platzboerse/angebote/{angebot.pk}/entgelte").json()
    assert [r["valid_to"] for r in rates] == ["2027-02-28", None]
    again = client.post(
        url,
        {"valid_from": "2027-02-01", "leistungsentgelt": "150.00"},
        content_type="application/json",
    )
    assert again.status_code == 409 and again["Content-Type"] == PROBLEM
    assert again.json()["code"] == "rate_overlap"


# --- 3. standby places ---------------------------------------------------------------------


def test_standby_places_from_the_page_and_the_api(angebot, provider_user, traeger, jugendamt):
    client = signed_in(provider_user)
    url = reverse("placements:plaetze_neu", args=[angebot.pk])
    page = client.get(url).content.decode()
    assert "Vorhalteplatz, bezahlt von" in page
    assert jugendamt.name in page
    made = client.post(
        url, {"count": "2", "valid_from": "2026-01-01", "standby_jugendamt": str(jugendamt.pk)}
    )
    assert made.status_code == 302, made.content.decode()
    standby = Platz.objects.for_tenant(traeger).filter(angebot=angebot, is_standby=True)
    assert standby.count() == 2
    assert {p.standby_jugendamt_id for p in standby} == {jugendamt.pk}
    plain = client.post(url, {"count": "1", "valid_from": "2026-01-01"})
    assert plain.status_code == 302
    assert Platz.objects.for_tenant(traeger).filter(is_standby=False).count() == 1

    api = client.post(
        f"/api/v1/platzboerse/angebote/{angebot.pk}/plaetze",
        {"count": 1, "valid_from": "2026-01-01", "standby_jugendamt": str(jugendamt.pk)},
        content_type="application/json",
    )
    assert api.status_code == 201, api.content
    assert [p["is_standby"] for p in api.json()] == [True]
    aufsicht = factories.mandant(kind=Mandant.Kind.LANDESJUGENDAMT)
    wrong = client.post(
        f"/api/v1/platzboerse/angebote/{angebot.pk}/plaetze",
        {"count": 1, "valid_from": "2026-01-01", "standby_jugendamt": str(aufsicht.pk)},
        content_type="application/json",
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "standby_payer"


# --- 4. absence days --------------------------------------------------------------------------


@pytest.fixture
def belegung(angebot, provider_user, traeger, jugendamt, jugendamt_user, heim, region) -> Belegung:
    [platz] = angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=1,
        valid_from=date(2026, 1, 1),
        frei_ab=timezone.localdate(),
    )
    gesuch = gesuch_services.create_gesuch(
        actor=jugendamt_user,
        tenant=jugendamt,
        betreuungsform=heim,
        alter=12,
        geschlecht="w",
        ab_datum=timezone.localdate(),
        region=region,
    )
    hold = belegung_services.reserve(actor=jugendamt_user, gesuch=gesuch, platz=platz)
    return belegung_services.confirm(
        actor=provider_user,
        tenant=traeger,
        reservierung_id=hold.pk,
        beginn=date(2026, 11, 2),
    )


@pytest.mark.today("2026-11-25")  # the Belegung begins on 2.11.2026, asked for today
def test_absences_are_entered_on_the_page_with_german_messages(
    belegung, provider_user, traeger, jugendamt, jugendamt_user
):
    client = signed_in(provider_user)
    listing = client.get(reverse("placements:anfragen")).content.decode()
    url = reverse("placements:belegung_abwesenheiten", args=[belegung.pk])
    assert url in listing
    assert client.get(url).status_code == 200
    ok = client.post(url, {"von": "2026-11-10", "bis": "2026-11-12", "grund": "Heimfahrt"})
    assert ok.status_code == 302
    page = client.get(url).content.decode()
    assert "10.11.2026 bis 12.11.2026: Heimfahrt" in page
    overlap = client.post(url, {"von": "2026-11-12", "bis": "2026-11-14", "grund": "Klinik"})
    assert overlap.status_code == 400
    assert "schon eine Abwesenheit erfasst (10.11.2026 bis 12.11.2026)" in (
        overlap.content.decode()
    )
    outside = client.post(url, {"von": "2026-10-30", "bis": "2026-11-01", "grund": "Ferien"})
    assert outside.status_code == 400
    assert "außerhalb der Belegung (02.11.2026 bis offen)" in outside.content.decode()
    backwards = client.post(url, {"von": "2026-11-20", "bis": "2026-11-18", "grund": "Ferien"})
    assert backwards.status_code == 400
    assert "letzte Tag liegt vor dem ersten Tag" in backwards.content.decode()
    assert Abwesenheit.objects.for_tenant(traeger).count() == 1
    # Both parties' chains hold the write.
    assert len(_events(traeger, "placements.abwesenheit.create")) == 1
    assert len(_events(jugendamt, "placements.abwesenheit.create")) == 1
    # The youth office's people cannot reach the provider's form.
    assert signed_in(jugendamt_user).get(url).status_code in (403, 404)


@pytest.mark.today("2026-11-25")  # the Belegung begins on 2.11.2026, asked for today
def test_absences_through_the_api(belegung, provider_user, traeger):
    client = signed_in(provider_user)
    url = f"/api/v1/platzboerse/belegungen/{belegung.pk}/abwesenheiten"
    made = client.post(
        url,
        {"von": "2026-11-03", "bis": "2026-11-04", "grund": "Krankenhaus"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    again = client.post(
        url,
        {"von": "2026-11-04", "bis": "2026-11-05", "grund": "Krankenhaus"},
        content_type="application/json",
    )
    assert again.status_code == 409 and again["Content-Type"] == PROBLEM
    assert again.json()["code"] == "absence_overlap"
    outside = client.post(
        url,
        {"von": "2026-10-01", "bis": "2026-10-02", "grund": "Ferien"},
        content_type="application/json",
    )
    assert outside.status_code == 422 and outside.json()["code"] == "outside"
    assert [a["von"] for a in client.get(url).json()] == ["2026-11-03"]
    stranger = factories.user(factories.mandant(kind="traeger"), role="platzverwaltung")
    assert signed_in(stranger).get(url).status_code == 404


# --- 8. the absence share comes from the configuration ---------------------------------------


def test_absence_share_default_comes_from_the_fachbereich(
    angebot, provider_user, traeger, catalogue
):
    Fachbereich.objects.filter(pk=catalogue.pk).update(absence_share_default=Decimal("60"))
    client = signed_in(provider_user)
    page = client.get(reverse("placements:entgelt_neu", args=[angebot.pk])).content.decode()
    assert 'name="absence_share" value="60' in page
    rate = angebot_services.change_entgelt(
        actor=provider_user,
        angebot=angebot.__class__.objects.for_tenant(traeger)
        .select_related("betreuungsform__fachbereich")
        .get(pk=angebot.pk),
        valid_from=date(2027, 1, 1),
        leistungsentgelt=Decimal("150"),
    )
    assert rate.absence_share == Decimal("60")


def test_new_day_rate_cannot_reach_back_into_billed_days(make_belegung, provider_user, angebot):
    belegung = make_belegung(date(2026, 10, 1))
    nachweis = billing.compute_nachweis(
        actor=provider_user, belegung=belegung, monat=date(2026, 10, 1), today=date(2026, 11, 5)
    )
    billing.confirm_nachweis(actor=provider_user, nachweis=nachweis)
    with pytest.raises(Conflict) as err:
        angebot_services.change_entgelt(
            actor=provider_user,
            angebot=angebot,
            valid_from=date(2026, 10, 15),
            leistungsentgelt=Decimal("190"),
        )
    assert err.value.code == "rate_billed"
    assert "frühestens ab 01.11.2026" in err.value.message
    angebot_services.change_entgelt(
        actor=provider_user,
        angebot=angebot,
        valid_from=date(2026, 11, 1),
        leistungsentgelt=Decimal("190"),
    )
