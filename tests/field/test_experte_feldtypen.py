"""Every field type in an Expertensitzung: addresses, tables (rows added and removed),
boxes to tick, person fields edited live through the form's own controls; uploads and
signatures reach the expert only summarised and are written by no one in the session;
the form's conditions travel with every change; and a step saved through the form's own
page while a session is open moves the session's versions and tells both screens."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from koffer.accounts.access import Access
from koffer.audit.models import AuditEvent
from koffer.field.errors import Conflict, Veraltet
from koffer.field.experte import selectors, services
from koffer.field.models import Sitzung
from koffer.forms.ausfuellen import services as ausfuellen
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Entwurf
from koffer.records.models import Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.factories import records as record_factories

BLOB = "a" * 64


def _t(de: str) -> dict[str, str]:
    return {"de": de}


def _definition() -> dict[str, Any]:
    return {
        "format": 1,
        "schluessel": "alle-typen",
        "titel": _t("Alle Feldtypen (Test)"),
        "schritte": [
            {
                "id": "angaben",
                "titel": _t("Angaben"),
                "felder": [
                    {"id": "wohnung", "typ": "anschrift", "label": _t("Wohnung")},
                    {
                        "id": "leistungen",
                        "typ": "auswahl",
                        "mehrfach": True,
                        "label": _t("Leistungen"),
                        "optionen": [
                            {"wert": "miete", "label": _t("Miete")},
                            {"wert": "heizung", "label": _t("Heizung")},
                        ],
                    },
                    {"id": "untermiete", "typ": "janein", "label": _t("Untermiete?")},
                    {
                        "id": "untermieter",
                        "typ": "text",
                        "label": _t("Name der Untermieterin"),
                        "bedingung": {"feld": "untermiete", "ist": True},
                    },
                    {"id": "antragsteller", "typ": "person", "label": _t("Wer beantragt?")},
                    {
                        "id": "haushalt",
                        "typ": "tabelle",
                        "label": _t("Haushalt"),
                        "spalten": [
                            {"id": "name", "typ": "text", "label": _t("Name")},
                            {"id": "einkommen", "typ": "geld", "label": _t("Einkommen")},
                        ],
                    },
                ],
            },
            {
                "id": "unterlagen",
                "titel": _t("Unterlagen"),
                "felder": [
                    {"id": "nachweis", "typ": "datei", "label": _t("Nachweis")},
                    {"id": "unterschrift", "typ": "unterschrift", "label": _t("Unterschrift")},
                ],
            },
        ],
    }


@pytest.fixture
def feld(tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit) -> dict[str, Any]:
    admin = factories.user(tenant, role="mandant_admin")
    [ergebnis] = katalog.importieren(
        actor=admin,
        access=Access.for_user(admin.pk, tenant.pk),
        tenant=tenant,
        daten=_definition(),
    )
    aussendienst = factories.user(
        tenant, role="aussendienst", unit_=team, first_name="Frieda", last_name="Feld"
    )
    experte = factories.user(
        tenant,
        role="sachbearbeitung",
        unit_=factories.unit(tenant, "Wohngeldstelle"),
        first_name="Erik",
        last_name="Experte",
    )
    akte = record_factories.akte(
        caseworker=aussendienst, plan=plan, unit=team, family_name="Muster", given_names="Erna"
    )
    entwurf = ausfuellen.entwurf_beginnen(actor=aussendienst, formular=ergebnis.formular, akte=akte)
    row = services.starten(
        actor=aussendienst,
        entwurf=entwurf,
        experte=experte,
        einwilligung_von="Erna Muster",
        einwilligung_art=Sitzung.Einwilligung.MUENDLICH,
        eingewilligt=True,
    )
    row = services.beitreten(actor=experte, sitzung=row)
    return {"aussendienst": aussendienst, "experte": experte, "entwurf": entwurf, "sitzung": row}


def _antworten(feld: dict[str, Any]) -> dict[str, Any]:
    return Entwurf.objects.unscoped().get(pk=feld["entwurf"].pk).antworten


def _feld_post(client: Any, row: Sitzung, daten: dict[str, Any]) -> Any:
    return client.post(
        reverse("field:experte_feld", args=[row.pk]), daten, HTTP_X_REQUESTED_WITH="fetch"
    )


def test_address_boxes_and_table_rows_are_edited_live_on_the_session_page(
    feld: dict[str, Any],
) -> None:
    row, experte = feld["sitzung"], signed_in(feld["experte"])
    page = experte.get(reverse("field:experte_sitzung", args=[row.pk])).content.decode()
    # the form's own controls for each field with several of them
    for name in ("f-wohnung-strasse", "f-leistungen", "f-haushalt-0-einkommen", "f-antragsteller"):
        assert f'name="{name}"' in page

    antwort = _feld_post(
        experte,
        row,
        {
            "feld": "wohnung",
            "version": "0",
            "f-wohnung-strasse": "Lindenweg",
            "f-wohnung-hausnummer": "3",
            "f-wohnung-plz": "24103",
            "f-wohnung-ort": "Kiel",
        },
    )
    assert antwort.status_code == 200 and antwort.json() == {"version": 1}
    assert _feld_post(
        experte, row, {"feld": "leistungen", "version": "0", "f-leistungen": ["miete", "heizung"]}
    ).json() == {"version": 1}
    tabelle = {
        "feld": "haushalt",
        "version": "0",
        "f-haushalt-0-name": "Erna Muster",
        "f-haushalt-0-einkommen": "812,00",
        "f-haushalt-1-name": "Karl Muster",
        "f-haushalt-1-einkommen": "300,00",
    }
    assert _feld_post(experte, row, tabelle).json() == {"version": 1}
    antworten = _antworten(feld)
    assert antworten["wohnung"] == {
        "strasse": "Lindenweg",
        "hausnummer": "3",
        "plz": "24103",
        "ort": "Kiel",
    }
    assert antworten["leistungen"] == ["miete", "heizung"]
    assert [z["name"] for z in antworten["haushalt"]] == ["Erna Muster", "Karl Muster"]

    # The field worker removes the first row: „Zeile 1 entfernen“ posts the table without it.
    aussendienst = signed_in(feld["aussendienst"])
    box = aussendienst.get(reverse("field:experte_box", args=[row.pk, "haushalt"]))
    assert box.status_code == 200
    html = box.content.decode()
    assert "Zeile 1 entfernen" in html and "Zeile 2 entfernen" in html
    assert 'name="f-haushalt-2-name"' in html  # the empty row for the next entry
    weg = {**tabelle, "version": "1", "zeile_entfernen": "0"}
    assert _feld_post(aussendienst, row, weg).json() == {"version": 2}
    assert [z["name"] for z in _antworten(feld)["haushalt"]] == ["Karl Muster"]

    # Both screens learn the new values with their versions.
    ereignisse = selectors.ereignisse(row, feld["experte"].pk, 1)
    assert [(e["daten"]["feld"], e["daten"]["version"]) for e in ereignisse] == [
        ("wohnung", 1),
        ("leistungen", 1),
        ("haushalt", 2),
        ("haushalt", 2),
    ]
    assert ereignisse[-1]["daten"]["wert"] == [{"name": "Karl Muster", "einkommen": "300,00"}]
    assert ereignisse[-1]["daten"]["einfach"] is False
    # a stale table write is refused as for any field
    with pytest.raises(Veraltet):
        services.feld_setzen(
            actor=feld["experte"], sitzung=row, feld="haushalt", wert=[], version=1
        )


def test_the_conditions_travel_with_each_change(feld: dict[str, Any]) -> None:
    row = feld["sitzung"]
    sicht = selectors.sicht(row, feld["experte"].pk)
    assert not next(f for f in sicht.felder if f.id == "untermieter").gezeigt
    # A field not asked shows the sentence only: its controls hidden, out of the tab order.
    vorher = signed_in(feld["experte"]).get(reverse("field:experte_sitzung", args=[row.pk]))
    html = vorher.content.decode()
    assert "wird „Name der Untermieterin“ nicht gefragt" in html
    assert 'data-inhalt="untermieter" hidden>' in html
    assert 'data-inhalt="untermiete">' in html  # an asked field's controls are shown
    services.feld_setzen(
        actor=feld["aussendienst"], sitzung=row, feld="untermiete", wert="ja", version=0
    )
    [ereignis] = selectors.ereignisse(row, feld["experte"].pk, 1)
    assert "untermieter" in ereignis["daten"]["gezeigt"]
    sicht = selectors.sicht(row, feld["experte"].pk)
    assert next(f for f in sicht.felder if f.id == "untermieter").gezeigt
    page = signed_in(feld["experte"]).get(reverse("field:experte_sitzung", args=[row.pk]))
    assert "wird „Name der Untermieterin“ nicht gefragt" not in page.content.decode()
    assert 'data-inhalt="untermieter">' in page.content.decode()


def test_uploads_and_signatures_reach_the_expert_only_summarised(feld: dict[str, Any]) -> None:
    row = feld["sitzung"]
    datei = {"blob": BLOB, "name": "Arztbrief Dr. Kranz.pdf", "typ": "application/pdf"}
    ausfuellen.schritt_speichern(
        actor=feld["aussendienst"],
        entwurf=feld["entwurf"],
        schritt="unterlagen",
        antworten={
            "nachweis": [{**datei, "groesse": 245_760}],
            "unterschrift": {"art": "bildschirm", "name": "Erna Muster", "bild": "b" * 64},
        },
    )

    experte = selectors.sicht(row, feld["experte"].pk)
    nachweis = next(f for f in experte.felder if f.id == "nachweis")
    unterschrift = next(f for f in experte.felder if f.id == "unterschrift")
    assert nachweis.wert == [{"typ": "PDF", "groesse": 245_760}]
    assert nachweis.anzeige == "1 Datei: PDF, 240 KB"
    assert unterschrift.wert == {"stand": "unterschrieben"} and unterschrift.anzeige == (
        "unterschrieben"
    )
    assert not nachweis.editierbar and not unterschrift.editierbar
    ereignisse = selectors.ereignisse(row, feld["experte"].pk, 1)
    gesehen = repr(ereignisse) + repr(experte.felder)
    for geheim in ("Arztbrief", BLOB, "b" * 64, "Erna Muster"):
        assert geheim not in gesehen
    assert {e["daten"]["feld"] for e in ereignisse} == {"nachweis", "unterschrift"}
    page = signed_in(feld["experte"]).get(reverse("field:experte_sitzung", args=[row.pk]))
    html = page.content.decode()
    assert "1 Datei: PDF, 240 KB" in html and "Arztbrief" not in html
    box = signed_in(feld["experte"]).get(reverse("field:experte_box", args=[row.pk, "nachweis"]))
    assert "Arztbrief" not in box.content.decode() and "PDF, 240 KB" in box.content.decode()

    # The field worker sees the file's name; neither writes files or signatures here.
    aussendienst = selectors.sicht(row, feld["aussendienst"].pk)
    assert "Arztbrief" in next(f for f in aussendienst.felder if f.id == "nachweis").anzeige
    for wer in ("aussendienst", "experte"):
        with pytest.raises(Conflict) as exc:
            services.feld_setzen(
                actor=feld[wer], sitzung=row, feld="unterschrift", wert={"art": "papier"}, version=1
            )
        assert exc.value.code == "feld_im_formular"


def test_a_step_saved_on_the_form_page_moves_the_sessions_versions(
    feld: dict[str, Any],
) -> None:
    row = feld["sitzung"]
    services.feld_setzen(
        actor=feld["experte"], sitzung=row, feld="untermiete", wert="ja", version=0
    )
    # The field worker saves the step through the ordinary form page.
    client = signed_in(feld["aussendienst"])
    url = reverse("forms:entwurf_schritt", args=[feld["entwurf"].pk, "angaben"])
    antwort = client.post(
        url,
        {"f-untermiete": "ja", "f-untermieter": "Lotte Lind", "aktion": "speichern"},
    )
    assert antwort.status_code == 200
    assert _antworten(feld)["untermieter"] == "Lotte Lind"

    frisch = Sitzung.objects.unscoped().get(pk=row.pk)
    assert frisch.felder["untermieter"] == {"v": 1, "von": str(feld["aussendienst"].pk)}
    assert frisch.felder["untermiete"]["v"] == 1  # saved unchanged: no new version
    # The expert's screen learns it at once, as a change in the form.
    ereignisse = selectors.ereignisse(row, feld["experte"].pk, 2)
    assert [(e["art"], e["daten"]["feld"], e["daten"]["quelle"]) for e in ereignisse] == [
        ("feld", "untermieter", "formular")
    ]
    assert ereignisse[0]["daten"]["wert"] == "Lotte Lind"
    assert ereignisse[0]["daten"]["von"] == "Frieda Feld"
    # The expert still on version 0 of that field is refused, never silently overwriting.
    with pytest.raises(Veraltet) as exc:
        services.feld_setzen(
            actor=feld["experte"], sitzung=row, feld="untermieter", wert="L. Lind", version=0
        )
    assert exc.value.extra["aktuell"]["wert"] == "Lotte Lind"
    audit = AuditEvent.objects.filter(action="field.experte.change", object_id=str(row.pk))
    letzte = audit.order_by("-seq").first()
    assert letzte is not None and letzte.changes["quelle"] == "formular"
    assert letzte.changes["felder"] == ["untermieter"] and "Lotte" not in str(letzte.changes)

    # A file removed through the form's path moves the file field's version too.
    ausfuellen.schritt_speichern(
        actor=feld["aussendienst"],
        entwurf=feld["entwurf"],
        schritt="unterlagen",
        antworten={"nachweis": [{"blob": BLOB, "name": "x.pdf", "typ": "application/pdf"}]},
    )
    ausfuellen.datei_entfernen(
        actor=feld["aussendienst"], entwurf=feld["entwurf"], feld="nachweis", blob=BLOB
    )
    assert Sitzung.objects.unscoped().get(pk=row.pk).felder["nachweis"]["v"] == 2
