"""§ 47 SGB VIII notifications: filing, the yearly report from the Belegungen, the receipt
PDF, the Landesjugendamt's answers, the pages of both sides and the API."""

from __future__ import annotations

import io
import json
import threading
from datetime import date, timedelta
from typing import Any

import pikepdf
import pypdfium2
import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.placements.angebote import services as angebot_services
from koffer.placements.belegung import services as belegung_services
from koffer.placements.errors import Conflict, NotFound, PlacementsError
from koffer.placements.gesuche import services as gesuch_services
from koffer.placements.meldungen import selectors as meldung_selectors
from koffer.placements.meldungen import services as meldungen
from koffer.placements.models import (
    Angebot,
    Belegung,
    Betreuungsform,
    Fachbereich,
    Meldung,
    Region,
)
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in, test_today
from tests.factories import placements as placement_factories

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

TODAY = test_today()  # what the pinned clock shows (tests/conftest.py)
LAST_YEAR = TODAY.year - 1


@pytest.fixture
def lja(db: None) -> Mandant:
    return factories.mandant("Landesjugendamt Testland", kind=Mandant.Kind.LANDESJUGENDAMT)


@pytest.fixture
def lja_user(lja: Mandant) -> User:
    return factories.user(lja, role="landesjugendamt")


def _file(user: User, tenant: Mandant, einrichtung: Any, **overrides: Any) -> Meldung:
    overrides.setdefault("ereignis_datum", TODAY)
    return placement_factories.meldung(
        actor=user, tenant=tenant, einrichtung=einrichtung, **overrides
    )


def _pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


# --- services -------------------------------------------------------------------------------


def test_filing_numbers_deadline_retention_receipt_and_both_audit_chains(
    einrichtung, traeger, provider_user, lja
):
    meldung = _file(provider_user, traeger, einrichtung)
    assert meldung.number == f"M-{TODAY.year}-00001"
    assert meldung.jugendamt_id == lja.pk  # no aufsicht: the single active Landesjugendamt
    assert meldung.status == Meldung.Status.EINGEGANGEN
    assert meldung.frist == TODAY + timedelta(days=3)
    assert meldung.aufbewahren_bis == date(TODAY.year + 5, 12, 31)
    assert len(meldung.quittung_sha256) == 64

    second = _file(
        provider_user,
        traeger,
        einrichtung,
        art=Meldung.Art.AENDERUNG,
        ereignis_datum=TODAY + timedelta(days=60),  # a planned change may lie ahead
    )
    assert second.number == f"M-{TODAY.year}-00002"
    assert second.frist == TODAY + timedelta(days=14)

    for tenant_id in (traeger.pk, lja.pk):
        events = AuditEvent.objects.filter(
            tenant_id=tenant_id, action="placements.meldung.file", object_id=str(meldung.pk)
        )
        assert events.count() == 1
        assert events.get().changes["inhalt_sha256"]["new"] == meldungen.inhalt_sha256(meldung)


def test_receipt_is_a_real_pdf_with_number_hash_and_deadline(
    einrichtung, traeger, provider_user, lja
):
    meldung = _file(provider_user, traeger, einrichtung, betreff="#set text(red) $x$ [Topf]")
    with get_store().open(meldung.quittung_sha256) as stream:
        data = stream.read()
    assert data.startswith(b"%PDF")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1
        assert pdf.open_metadata().pdfa_status == "2A"  # tagged, and PDF/UA-1
        assert "/StructTreeRoot" in pdf.Root and str(pdf.Root.Lang) == "de-DE"
    text = _pdf_text(data)
    assert meldung.number in text
    assert "Eingangsbestätigung" in text
    assert lja.name in text and traeger.name in text and einrichtung.name in text
    assert "#set text(red) $x$ [Topf]" in text  # user text is data, never markup
    assert meldung.frist.strftime("%d.%m.%Y") in text
    digest = meldungen.inhalt_sha256(meldung)
    assert digest[:8] in text and digest[-8:] in text


def test_explicit_aufsicht_wins_and_missing_authority_is_a_clear_error(
    einrichtung, traeger, provider_user, catalogue, heim
):
    with pytest.raises(PlacementsError) as exc:
        _file(provider_user, traeger, einrichtung)  # no Landesjugendamt at all
    assert exc.value.code == "kein_landesjugendamt"

    first = factories.mandant("LJA Nord", kind=Mandant.Kind.LANDESJUGENDAMT)
    factories.mandant("LJA Süd", kind=Mandant.Kind.LANDESJUGENDAMT)
    with pytest.raises(PlacementsError) as exc:
        _file(provider_user, traeger, einrichtung)  # two: which one is unclear
    assert exc.value.code == "kein_landesjugendamt"

    supervised = angebot_services.create_einrichtung(
        actor=provider_user,
        tenant=traeger,
        fachbereich=catalogue,
        formen=[heim],
        aufsicht=first,
        name="Haus am See",
        street="Seeweg 1",
        postcode="60311",
        city="Musterstadt",
        lat=50.1,
        lon=8.6,
    )
    assert _file(provider_user, traeger, supervised).jugendamt_id == first.pk


def test_only_a_landesjugendamt_can_supervise_a_facility(traeger, provider_user, catalogue, heim):
    # The supervisor receives every notification about the facility (issue 12, item 2).
    kreis = factories.mandant("Landkreis Nachbar", kind=Mandant.Kind.KREIS)
    with pytest.raises(PlacementsError) as exc:
        angebot_services.create_einrichtung(
            actor=provider_user,
            tenant=traeger,
            fachbereich=catalogue,
            formen=[heim],
            aufsicht=kreis,
            name="Haus am Berg",
            street="Bergweg 1",
            postcode="60311",
            city="Musterstadt",
            lat=50.1,
            lon=8.6,
        )
    assert exc.value.code == "aufsicht_kind" and "kein Landesjugendamt" in exc.value.message


def test_bad_input_gets_clear_german_errors(einrichtung, traeger, provider_user, lja):
    cases: list[tuple[dict[str, Any], str]] = [
        ({"ereignis_datum": TODAY + timedelta(days=1)}, "datum_in_zukunft"),
        ({"betreff": "   "}, "betreff_fehlt"),
        ({"inhalt": ""}, "inhalt_fehlt"),
        ({"betreff": "x" * 201}, "betreff_zu_lang"),
        ({"art": "quatsch"}, "art_unbekannt"),
        ({"ereignis_datum": None}, "datum_fehlt"),
        ({"ereignis_datum": date(1999, 1, 1)}, "datum_zu_alt"),
        (
            {"art": Meldung.Art.SCHLIESSUNG, "ereignis_datum": TODAY + timedelta(days=800)},
            "datum_zu_weit",
        ),
        ({"art": Meldung.Art.JAHRESMELDUNG, "ereignis_datum": TODAY}, "jahr_nicht_abgeschlossen"),
        ({"daten": ["keine", "Zuordnung"]}, "daten_ungueltig"),
        ({"daten": {"wert": float("nan")}}, "daten_ungueltig"),
        ({"daten": {"wert": "a\x00b"}}, "daten_ungueltig"),
        ({"inhalt": "a\x00b"}, "inhalt_ungueltig"),
    ]
    for overrides, code in cases:
        with pytest.raises(PlacementsError) as exc:
            _file(provider_user, traeger, einrichtung, **overrides)
        assert exc.value.code == code, overrides
        assert exc.value.message and exc.value.message[0].isupper()

    other = factories.mandant("Anderer Träger", kind=Mandant.Kind.TRAEGER)
    with pytest.raises(NotFound) as missing:
        _file(factories.user(other, role="platzverwaltung"), other, einrichtung)
    assert missing.value.code == "not_found"
    with pytest.raises(NotFound):
        _file(provider_user, traeger, "keine-uuid")
    with pytest.raises(PlacementsError) as kind:
        _file(provider_user, lja, einrichtung)
    assert kind.value.code == "kein_traeger"
    assert not Meldung.objects.for_tenant(traeger).exists()


def test_no_meldepflicht_outside_youth_welfare(traeger, provider_user, lja, catalogue):
    pflege = Fachbereich.objects.get(code="pflege")
    heim = angebot_services.create_einrichtung(
        actor=provider_user,
        tenant=traeger,
        fachbereich=pflege,
        formen=[pflege.formen.first()],
        name="Seniorenheim",
        street="a",
        postcode="1",
        city="c",
        lat=50,
        lon=8,
        age_min=60,
        age_max=120,
    )
    with pytest.raises(PlacementsError) as exc:
        _file(provider_user, traeger, heim)
    assert exc.value.code == "keine_meldepflicht"


@pytest.fixture
def belegt(
    angebot: Angebot,
    provider_user: User,
    jugendamt: Mandant,
    jugendamt_user: User,
    heim: Betreuungsform,
    region: Region,
) -> list[Belegung]:
    """Last year: two places all year; a girl of 12 from 1 March to 30 June, a boy of 16
    from 1 November, still there at the year's end."""
    angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=2,
        valid_from=date(LAST_YEAR, 1, 1),
        frei_ab=date(LAST_YEAR, 1, 1),
    )
    placed = []
    for alter, geschlecht, beginn in (
        (12, "w", date(LAST_YEAR, 3, 1)),
        (16, "m", date(LAST_YEAR, 11, 1)),
    ):
        gesuch = gesuch_services.create_gesuch(
            actor=jugendamt_user,
            tenant=jugendamt,
            betreuungsform=heim,
            alter=alter,
            geschlecht=geschlecht,
            ab_datum=beginn,
            region=region,
        )
        hold = belegung_services.reserve(actor=jugendamt_user, gesuch=gesuch, angebot=angebot)
        placed.append(
            belegung_services.confirm(
                actor=provider_user,
                tenant=angebot.einrichtung.tenant,
                reservierung_id=hold.pk,
                beginn=beginn,
            )
        )
    belegung_services.end_belegung(
        actor=provider_user,
        tenant=angebot.einrichtung.tenant,
        belegung=placed[0],
        ende=date(LAST_YEAR, 6, 30),
        grund=Belegung.Endegrund.PLANMAESSIG,
    )
    return placed


def test_prefill_jahresmeldung_from_belegungen(einrichtung, angebot, belegt):
    daten = meldungen.prefill_jahresmeldung(einrichtung, LAST_YEAR)
    days_in_year = (date(LAST_YEAR, 12, 31) - date(LAST_YEAR, 1, 1)).days + 1
    first_days = (date(LAST_YEAR, 6, 30) - date(LAST_YEAR, 3, 1)).days + 1
    second_days = 61
    summe = daten["summe"]
    assert summe["plaetze"] == 2
    assert summe["platztage"] == 2 * days_in_year
    assert summe["belegungen"] == 2
    assert summe["belegungstage"] == first_days + second_days
    assert summe["aufnahmen"] == 2 and summe["entlassungen"] == 1
    assert summe["belegt_am_stichtag"] == 1
    expected = round((first_days + second_days) * 100 / (2 * days_in_year), 1)
    assert summe["auslastung_prozent"] == f"{expected:.1f}"
    assert [z["titel"] for z in daten["angebote"]] == ["Regelgruppe"]
    assert {g["code"]: g["belegungen"] for g in daten["nach_geschlecht"]} == {
        "w": 1,
        "m": 1,
        "d": 0,
    }
    gruppen = {g["altersgruppe"]: g["belegungen"] for g in daten["nach_altersgruppe"]}
    assert gruppen["12 bis unter 15 Jahre"] == 1 and gruppen["15 bis unter 18 Jahre"] == 1
    assert daten["nach_betreuungsform"][0]["belegungen"] == 2
    assert {g["code"]: g["anzahl"] for g in daten["nach_endegrund"]}["planmaessig"] == 1
    json.dumps(daten)  # storable as it is

    # Nothing in the year before: zeros, no division by zero.
    empty = meldungen.prefill_jahresmeldung(einrichtung, LAST_YEAR - 1)
    assert empty["summe"]["belegungstage"] == 0 and empty["summe"]["auslastung_prozent"] is None


def test_jahresmeldung_is_computed_confirmed_and_filed_once(
    einrichtung, traeger, provider_user, lja, belegt
):
    preview = meldungen.prefill_jahresmeldung(einrichtung, LAST_YEAR)
    with pytest.raises(Conflict) as changed:
        _file(
            provider_user,
            traeger,
            einrichtung,
            art=Meldung.Art.JAHRESMELDUNG,
            ereignis_datum=date(LAST_YEAR, 5, 5),
            stand="veraltet",
        )
    assert changed.value.code == "zahlen_geaendert"
    meldung = _file(
        provider_user,
        traeger,
        einrichtung,
        art=Meldung.Art.JAHRESMELDUNG,
        ereignis_datum=date(LAST_YEAR, 5, 5),
        daten={"ignoriert": True},
        stand=meldungen.daten_stand(preview),
    )
    assert meldung.ereignis_datum == date(LAST_YEAR, 12, 31)
    assert meldung.daten == preview
    assert meldung.frist == TODAY + timedelta(days=30)
    with get_store().open(meldung.quittung_sha256) as stream:
        text = _pdf_text(stream.read())
    assert f"Belegungszahlen {LAST_YEAR}" in text and "Regelgruppe" in text

    with pytest.raises(Conflict) as twice:
        _file(
            provider_user,
            traeger,
            einrichtung,
            art=Meldung.Art.JAHRESMELDUNG,
            ereignis_datum=date(LAST_YEAR, 12, 31),
        )
    assert twice.value.code == "jahresmeldung_doppelt"
    # The failed attempt returned its number: the counter stays gap-free.
    nxt = _file(provider_user, traeger, einrichtung)
    assert nxt.number == f"M-{TODAY.year}-00002"


def test_landesjugendamt_acknowledges_once_asks_back_and_closes(
    einrichtung, traeger, provider_user, lja, lja_user
):
    meldung = _file(provider_user, traeger, einrichtung)
    with pytest.raises(NotFound):  # the provider is not the receiver
        meldungen.acknowledge(actor=provider_user, tenant=traeger, meldung=meldung)
    done = meldungen.acknowledge(actor=lja_user, tenant=lja, meldung=meldung, antwort="Danke.")
    assert done.status == Meldung.Status.BESTAETIGT and done.bestaetigt_by == lja_user
    assert done.antwort == "Danke."
    with pytest.raises(Conflict) as twice:
        meldungen.acknowledge(actor=lja_user, tenant=lja, meldung=meldung)
    assert twice.value.code == "bereits_bestaetigt"
    with pytest.raises(PlacementsError) as empty:
        meldungen.ask_back(actor=lja_user, tenant=lja, meldung=meldung, text="  ")
    assert empty.value.code == "text_fehlt"
    asked = meldungen.ask_back(
        actor=lja_user, tenant=lja, meldung=meldung, text="Wer hat die Feuerwehr gerufen?"
    )
    assert asked.status == Meldung.Status.RUECKFRAGE
    closed = meldungen.close(actor=lja_user, tenant=lja, meldung=meldung)
    assert closed.status == Meldung.Status.ABGESCHLOSSEN
    assert closed.antwort == "Wer hat die Feuerwehr gerufen?"  # kept when closing without text
    with pytest.raises(Conflict) as after:
        meldungen.ask_back(actor=lja_user, tenant=lja, meldung=meldung, text="Noch etwas")
    assert after.value.code == "abgeschlossen"

    actions = [e.action for e in meldung_selectors.verlauf(traeger, meldung)]
    assert actions == [
        "placements.meldung.file",
        "placements.meldung.acknowledge",
        "placements.meldung.ask_back",
        "placements.meldung.close",
    ]
    assert [e.action for e in meldung_selectors.verlauf(lja, meldung)] == actions


def test_ask_back_first_also_confirms_receipt_and_deadline_rules(
    einrichtung, traeger, provider_user, lja, lja_user
):
    meldung = _file(provider_user, traeger, einrichtung)
    assert not meldungen.is_overdue(meldung)
    assert meldungen.is_overdue(meldung, meldung.frist + timedelta(days=1))
    asked = meldungen.ask_back(actor=lja_user, tenant=lja, meldung=meldung, text="Bitte Bericht")
    assert asked.bestaetigt_at is not None
    assert not meldungen.is_overdue(asked, asked.frist + timedelta(days=1))  # ball with provider
    with pytest.raises(Conflict):
        meldungen.acknowledge(actor=lja_user, tenant=lja, meldung=meldung)


def test_lost_receipt_is_rendered_again(
    einrichtung, traeger, provider_user, lja, settings, tmp_path
):
    meldung = _file(provider_user, traeger, einrichtung)
    settings.KOFFER_BLOB_DIR = tmp_path / "leer"  # a restore without the blobs
    with meldungen.open_quittung(actor=provider_user, meldung=meldung) as stream:
        assert meldung.number in _pdf_text(stream.read())
    assert AuditEvent.objects.filter(
        tenant_id=lja.pk, action="placements.meldung.quittung", object_id=str(meldung.pk)
    ).exists()


# --- pages ----------------------------------------------------------------------------------


def test_provider_pages_file_and_download(einrichtung, traeger, provider_user, lja):
    client = signed_in(provider_user)
    assert client.get(reverse("placements:meldungen_list")).status_code == 200
    form = client.get(reverse("placements:meldungen_neu"))
    assert form.status_code == 200 and "Wohngruppe Linde" in form.content.decode()

    bad = client.post(
        reverse("placements:meldungen_neu"),
        {
            "formular": "meldung",
            "einrichtung": einrichtung.pk,
            "art": "vorkommnis",
            "ereignis_datum": (TODAY + timedelta(days=2)).isoformat(),
            "betreff": "Unfall",
            "inhalt": "Beim Spielen",
        },
    )
    assert bad.status_code == 400
    assert "nicht in der Zukunft" in bad.content.decode()
    empty = client.post(reverse("placements:meldungen_neu"), {"formular": "meldung"})
    assert empty.status_code == 400 and "Bitte prüfen Sie Ihre Eingaben" in empty.content.decode()

    ok = client.post(
        reverse("placements:meldungen_neu"),
        {
            "formular": "meldung",
            "einrichtung": einrichtung.pk,
            "art": "vorkommnis",
            "ereignis_datum": TODAY.isoformat(),
            "betreff": "Unfall beim Spielen",
            "inhalt": "Ein Kind hat sich den Arm verstaucht.",
        },
    )
    assert ok.status_code == 302
    meldung = Meldung.objects.for_tenant(traeger).get()
    assert ok["Location"] == reverse("placements:meldungen_detail", args=[meldung.pk])
    detail = client.get(ok["Location"])
    body = detail.content.decode()
    assert detail.status_code == 200 and meldung.number in body and "Eingang bestätigen" not in body
    listing = client.get(reverse("placements:meldungen_list") + "?art=vorkommnis&status=offen")
    assert meldung.number in listing.content.decode()
    pdf = client.get(reverse("placements:meldungen_quittung", args=[meldung.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert meldung.number in _pdf_text(b"".join(pdf.streaming_content))
    # The provider cannot answer its own notification.
    answer = client.post(reverse("placements:meldungen_bestaetigen", args=[meldung.pk]))
    assert answer.status_code == 404
    assert client.get(reverse("placements:meldungen_inbox")).status_code == 403


def test_jahresmeldung_pages_show_figures_then_file(
    einrichtung, traeger, provider_user, lja, belegt
):
    client = signed_in(provider_user)
    form = client.get(reverse("placements:meldungen_neu") + "?formular=jahresmeldung")
    assert form.status_code == 200 and "Berichtsjahr" in form.content.decode()
    data = {"formular": "jahresmeldung", "einrichtung": einrichtung.pk, "jahr": LAST_YEAR}
    confirm = client.post(reverse("placements:meldungen_neu"), data)
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "Zahlen bestätigen und einreichen" in body
    assert "Regelgruppe" in body and "Belegungen nach Alter bei Aufnahme" in body
    assert not Meldung.objects.for_tenant(traeger).exists()
    stand = meldungen.daten_stand(meldungen.prefill_jahresmeldung(einrichtung, LAST_YEAR))
    assert stand in body

    back = client.post(reverse("placements:meldungen_neu"), {**data, "schritt": "aendern"})
    assert back.status_code == 200 and "Zahlen anzeigen" in back.content.decode()
    stale = client.post(
        reverse("placements:meldungen_neu"), {**data, "schritt": "einreichen", "stand": "alt"}
    )
    assert stale.status_code == 409 and "geändert" in stale.content.decode()
    filed = client.post(
        reverse("placements:meldungen_neu"), {**data, "schritt": "einreichen", "stand": stand}
    )
    assert filed.status_code == 302
    meldung = Meldung.objects.for_tenant(traeger).get()
    assert meldung.art == Meldung.Art.JAHRESMELDUNG
    assert client.get(filed["Location"]).status_code == 200
    twice = client.post(reverse("placements:meldungen_neu"), data)
    assert twice.status_code == 409 and "bereits eingereicht" in twice.content.decode()


def test_landesjugendamt_inbox_detail_and_answers(
    einrichtung, traeger, provider_user, lja, lja_user
):
    late = _file(provider_user, traeger, einrichtung, betreff="Alte Meldung")
    Meldung.objects.for_tenant(traeger).filter(pk=late.pk).update(frist=TODAY - timedelta(days=2))
    fresh = _file(
        provider_user, traeger, einrichtung, art=Meldung.Art.AENDERUNG, betreff="Neue Leitung"
    )
    client = signed_in(lja_user)
    inbox = client.get(reverse("placements:meldungen_inbox"))
    body = inbox.content.decode()
    assert inbox.status_code == 200
    assert body.index(late.number) < body.index(fresh.number)  # by deadline
    assert "koffer-meldung--ueberfaellig" in body and "1 überfällig" in body
    only = client.get(reverse("placements:meldungen_inbox") + "?art=aenderung").content.decode()
    assert fresh.number in only and late.number not in only
    assert client.get(reverse("placements:meldungen_list")).status_code == 403

    detail = client.get(reverse("placements:meldungen_detail", args=[late.pk]))
    assert detail.status_code == 200 and "Eingang bestätigen" in detail.content.decode()
    empty = client.post(
        reverse("placements:meldungen_rueckfrage", args=[late.pk]), {"rueckfrage-text": ""}
    )
    assert (
        empty.status_code == 400 and "Bitte schreiben Sie Ihre Rückfrage" in empty.content.decode()
    )
    ok = client.post(reverse("placements:meldungen_bestaetigen", args=[late.pk]), {})
    assert ok.status_code == 302
    again = client.post(
        reverse("placements:meldungen_bestaetigen", args=[late.pk]), {}, follow=True
    )
    assert "bereits am" in again.content.decode()
    client.post(
        reverse("placements:meldungen_rueckfrage", args=[late.pk]),
        {"rueckfrage-text": "Bitte den Brandbericht nachreichen."},
    )
    client.post(reverse("placements:meldungen_abschliessen", args=[late.pk]), {})
    late.refresh_from_db()
    assert late.status == Meldung.Status.ABGESCHLOSSEN
    assert client.get(reverse("placements:meldungen_quittung", args=[late.pk])).status_code == 200

    provider_view = signed_in(provider_user).get(
        reverse("placements:meldungen_detail", args=[late.pk])
    )
    assert "Bitte den Brandbericht nachreichen." in provider_view.content.decode()


def test_pages_of_other_mandanten_are_404(einrichtung, traeger, provider_user, lja, lja_user):
    meldung = _file(provider_user, traeger, einrichtung)
    other_traeger = factories.mandant("Fremder Träger", kind=Mandant.Kind.TRAEGER)
    other_lja = factories.mandant("Fremdes LJA", kind=Mandant.Kind.LANDESJUGENDAMT)
    for stranger in (
        factories.user(other_traeger, role="platzverwaltung"),
        factories.user(other_lja, role="landesjugendamt"),
    ):
        client = signed_in(stranger)
        for name in ("meldungen_detail", "meldungen_quittung"):
            assert client.get(reverse(f"placements:{name}", args=[meldung.pk])).status_code == 404
        for name in ("meldungen_bestaetigen", "meldungen_rueckfrage", "meldungen_abschliessen"):
            assert client.post(reverse(f"placements:{name}", args=[meldung.pk])).status_code == 404
        assert (
            meldung.number not in client.get(reverse("placements:meldungen_list")).content.decode()
        )
    assert (
        meldung.number
        not in signed_in(factories.user(other_lja, role="landesjugendamt"))
        .get(reverse("placements:meldungen_inbox"))
        .content.decode()
    )
    # A youth office (no right for either side) is refused.
    kreis = factories.mandant("Kreis", kind=Mandant.Kind.KREIS)
    office = signed_in(factories.user(kreis, role="sachbearbeitung"))
    assert office.get(reverse("placements:meldungen_detail", args=[meldung.pk])).status_code == 403


def test_nav_entry_for_both_roles(provider_user, lja_user, lja):
    for user, url in (
        (provider_user, reverse("placements:meldungen_list")),
        (lja_user, reverse("placements:meldungen_inbox")),
    ):
        page = signed_in(user).get(url)
        assert page.status_code == 200
        assert f'href="{url}" aria-current="page">Meldungen § 47' in page.content.decode()


# --- API ------------------------------------------------------------------------------------

API = "/api/v1/platzboerse/meldungen"


def _json(client: Client, method: str, url: str, body: Any = None) -> Any:
    return client.generic(
        method, url, json.dumps(body) if body is not None else "", content_type="application/json"
    )


def test_api_file_list_get_acknowledge_and_receipt(
    einrichtung, traeger, provider_user, lja, lja_user
):
    provider = signed_in(provider_user)
    created = _json(
        provider,
        "POST",
        API,
        {
            "einrichtung_id": str(einrichtung.pk),
            "art": "vorkommnis",
            "ereignis_datum": TODAY.isoformat(),
            "betreff": "Sturmschaden",
            "inhalt": "Ein Baum fiel auf das Dach.",
            "daten": {"verletzte": 0},
        },
    )
    assert created.status_code == 201, created.content
    item = created.json()
    assert item["number"] == f"M-{TODAY.year}-00001" and item["daten"] == {"verletzte": 0}
    assert item["landesjugendamt_id"] == str(lja.pk) and item["status"] == "eingegangen"

    future = _json(
        provider,
        "POST",
        API,
        {
            "einrichtung_id": str(einrichtung.pk),
            "art": "vorkommnis",
            "ereignis_datum": (TODAY + timedelta(days=3)).isoformat(),
            "betreff": "x",
            "inhalt": "y",
        },
    )
    assert future.status_code == 422
    assert future["Content-Type"].startswith("application/problem+json")
    assert future.json()["code"] == "datum_in_zukunft"
    foreign = _json(
        provider,
        "POST",
        API,
        {
            "einrichtung_id": "00000000-0000-7000-8000-000000000000",
            "art": "vorkommnis",
            "ereignis_datum": TODAY.isoformat(),
            "betreff": "x",
            "inhalt": "y",
        },
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"

    listed = provider.get(API + "?rolle=traeger")
    assert [m["number"] for m in listed.json()["items"]] == [item["number"]]
    assert provider.get(f"{API}/{item['id']}").json()["betreff"] == "Sturmschaden"

    office = signed_in(lja_user)
    inbox = office.get(API + "?status=offen")
    assert [m["id"] for m in inbox.json()["items"]] == [item["id"]]
    forbidden = _json(
        provider,
        "POST",
        f"{API}/{item['id']}/bestaetigen",
        {"antwort": ""},
    )
    assert forbidden.status_code == 404
    ack = _json(office, "POST", f"{API}/{item['id']}/bestaetigen", {"antwort": "Gesehen"})
    assert ack.status_code == 200 and ack.json()["status"] == "bestaetigt"
    twice = _json(office, "POST", f"{API}/{item['id']}/bestaetigen", {})
    assert twice.status_code == 409 and twice.json()["code"] == "bereits_bestaetigt"
    back = _json(office, "POST", f"{API}/{item['id']}/rueckfrage", {"text": "Wie groß?"})
    assert back.status_code == 200 and back.json()["antwort"] == "Wie groß?"
    no_text = _json(office, "POST", f"{API}/{item['id']}/rueckfrage", {"text": ""})
    assert no_text.status_code == 422
    closed = _json(office, "POST", f"{API}/{item['id']}/abschliessen", {})
    assert closed.json()["status"] == "abgeschlossen"

    for client in (provider, office):
        pdf = client.get(f"{API}/{item['id']}/eingangsbestaetigung")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert item["number"] in _pdf_text(b"".join(pdf.streaming_content))

    stranger = signed_in(
        factories.user(
            factories.mandant("LJA X", kind=Mandant.Kind.LANDESJUGENDAMT), role="landesjugendamt"
        )
    )
    assert stranger.get(f"{API}/{item['id']}").status_code == 404
    assert stranger.get(f"{API}/{item['id']}/eingangsbestaetigung").status_code == 404
    assert stranger.get(API).json()["items"] == []


def test_api_jahresmeldung_preview_and_filing(einrichtung, traeger, provider_user, lja, belegt):
    provider = signed_in(provider_user)
    preview = provider.get(
        f"{API}/vorschau/jahresmeldung?einrichtung_id={einrichtung.pk}&jahr={LAST_YEAR}"
    )
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["daten"]["summe"]["belegungen"] == 2
    created = _json(
        provider,
        "POST",
        API,
        {
            "einrichtung_id": str(einrichtung.pk),
            "art": "jahresmeldung",
            "ereignis_datum": f"{LAST_YEAR}-12-31",
            "betreff": f"Jahresmeldung {LAST_YEAR}",
            "inhalt": "Siehe Zahlen.",
            "stand": body["stand"],
        },
    )
    assert created.status_code == 201 and created.json()["daten"] == body["daten"]
    again = _json(
        provider,
        "POST",
        API,
        {
            "einrichtung_id": str(einrichtung.pk),
            "art": "jahresmeldung",
            "ereignis_datum": f"{LAST_YEAR}-06-01",
            "betreff": "nochmal",
            "inhalt": "nochmal",
        },
    )
    assert again.status_code == 409 and again.json()["code"] == "jahresmeldung_doppelt"
    running = provider.get(
        f"{API}/vorschau/jahresmeldung?einrichtung_id={einrichtung.pk}&jahr={TODAY.year}"
    )
    assert running.status_code == 422
    assert running.json()["code"] == "jahr_nicht_abgeschlossen"


@pytest.mark.django_db(transaction=True)
def test_parallel_jahresmeldungen_file_once(einrichtung, traeger, provider_user, lja):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot be shared across threads")
    results: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            _file(
                provider_user,
                traeger,
                einrichtung.pk,
                art=Meldung.Art.JAHRESMELDUNG,
                ereignis_datum=date(LAST_YEAR, 12, 31),
            )
            outcome = "ok"
        except PlacementsError as exc:
            outcome = exc.code
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["jahresmeldung_doppelt"] * 3 + ["ok"]
    numbers = Meldung.objects.for_tenant(traeger).values_list("number", flat=True)
    assert list(numbers) == [f"M-{TODAY.year}-00001"]
