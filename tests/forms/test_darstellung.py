"""A form's step as HTML (every field type, labels, help, errors and their summary, prefill
notes, escaping) and the POSTed step read back into the same answers."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from django.http import QueryDict
from lxml import html as lhtml

from koffer.forms.darstellung import antworten_aus_post, navigation_html, schritt_html
from koffer.forms.definition import Definition, lesen, pruefen, sichtbar

from .muster import BLOB, CONTROLS, HEUTE, PERSONEN, alle_typen, alle_typen_json, antworten
from .muster import html_baum as baum
from .muster import post_aus_html as post_aus

PERSONEN_IDS = frozenset(p for p, _ in PERSONEN)


def zeige(
    definition: Definition,
    schritt: str,
    werte: Mapping[str, Any],
    *,
    fehler: Mapping[str, Sequence[str]] | None = None,
    vorbelegt: Mapping[str, str] | None = None,
) -> str:
    return str(
        schritt_html(
            definition,
            schritt,
            antworten=werte,
            fehler=fehler or {},
            vorbelegt=vorbelegt or {},
            personen=PERSONEN,
            heute=HEUTE,
        )
    )


def test_every_field_type_renders_its_controls() -> None:
    definition = alle_typen()
    person = baum(zeige(definition, "person", antworten()))
    einkommen = baum(zeige(definition, "einkommen", antworten()))

    def eins(b: Any, xpath: str) -> Any:
        treffer = b.xpath(xpath)
        assert len(treffer) == 1, xpath
        return treffer[0]

    assert eins(person, "//div[@id='f-einleitung']").text_content().count("beim Jobcenter") == 1
    nachname = eins(person, "//input[@name='f-nachname']")
    assert (nachname.get("value"), nachname.get("maxlength")) == ("Muster", "100")
    assert nachname.get("required") is not None and nachname.get("aria-required") == "true"
    assert eins(person, "//input[@name='f-email']").get("type") == "email"
    assert eins(person, "//textarea[@name='f-bemerkung']").text == "Zwei Zeilen\nText"
    assert eins(person, "//input[@name='f-kinderzahl']").get("inputmode") == "decimal"
    miete = eins(person, "//input[@name='f-miete']")
    assert miete.get("value") == "450,50"
    assert "€" in miete.getparent().text_content()
    datum = eins(person, "//input[@name='f-geburtsdatum']")
    assert (datum.get("type"), datum.get("value")) == ("date", "1980-03-01")
    radios = person.xpath("//fieldset[legend[contains(., 'Familienstand')]]//input[@type='radio']")
    assert [r.get("value") for r in radios if r.get("checked") is not None] == ["verheiratet"]
    assert eins(person, "//select[@name='f-staat']/option[@selected]").get("value") == "deutsch"
    kosten = person.xpath("//input[@name='f-kosten'][@type='checkbox'][@checked]")
    assert [k.get("value") for k in kosten] == ["miete", "strom"]
    assert eins(person, "//input[@name='f-arbeitet'][@checked]").get("value") == "ja"
    anschrift = eins(person, "//fieldset[@id='f-wohnung']")
    teile = {i.get("name"): i.get("autocomplete") for i in anschrift.xpath(".//input")}
    assert teile == {
        "f-wohnung-strasse": "address-line1",
        "f-wohnung-hausnummer": None,
        "f-wohnung-zusatz": "address-line2",
        "f-wohnung-plz": "postal-code",
        "f-wohnung-ort": "address-level2",
    }
    iban = eins(person, "//input[@name='f-iban']")
    assert (iban.get("autocomplete"), iban.get("spellcheck")) == ("off", "false")
    wer = eins(person, "//select[@name='f-antragsteller']")
    assert [o.text for o in wer.xpath("option")] == ["Bitte wählen", "Erika Muster", "Max Muster"]

    tabelle = eins(einkommen, "//table")
    assert "Einkünfte" in eins(tabelle, "caption").text_content()
    assert len(tabelle.xpath("thead//th[@scope='col']")) == 8
    assert len(tabelle.xpath("tbody/tr")) == 3  # two rows answered and one empty
    assert eins(tabelle, ".//input[@name='f-einkuenfte-1-art']").get("aria-label") == "Art, Zeile 2"
    assert eins(tabelle, ".//select[@name='f-einkuenfte-0-brutto']/option[@selected]").text == "Ja"
    region = tabelle.getparent()
    assert (region.get("role"), region.get("tabindex")) == ("region", "0")
    assert region.get("aria-labelledby") == eins(tabelle, "caption").get("id")
    knopf = eins(einkommen, "//button[@name='weitere_zeile']")
    assert (knopf.get("value"), knopf.text_content()) == ("einkuenfte", "Weitere Zeile")
    datei = eins(einkommen, "//input[@name='f-nachweise']")
    assert datei.get("type") == "file" and "lohn.pdf" in datei.getparent().text_content()
    assert len(einkommen.xpath("//input[@name='f-unterschrift-art']")) == 2
    assert eins(einkommen, "//input[@name='f-unterschrift-art'][@checked]").get("value") == "papier"
    assert eins(einkommen, "//input[@name='f-unterschrift-name']").get("type") == "text"
    assert eins(einkommen, "//input[@name='f-unterschrift-bestaetigt']").get("type") == "checkbox"


@pytest.mark.parametrize("schritt", ["person", "einkommen"])
def test_every_control_is_named_and_every_id_is_unique(schritt: str) -> None:
    fehler = {"nachname": ["falsch"], "einkuenfte[0].betrag": ["falsch"], "wohnung": ["falsch"]}
    b = baum(zeige(alle_typen(), schritt, antworten(), fehler=fehler))
    ids = b.xpath("//@id")
    assert len(ids) == len(set(ids))
    beschriftet = set(b.xpath("//label/@for"))
    for control in b.xpath(CONTROLS):
        assert control.get("id") in beschriftet or control.get("aria-label"), lhtml.tostring(
            control
        )
    for beschrieben in b.xpath("//@aria-describedby | //@aria-labelledby"):
        for ziel in beschrieben.split():
            assert ziel in ids, ziel


def test_errors_show_at_the_field_and_in_a_summary_whose_links_lead_there() -> None:
    definition = alle_typen()
    werte = antworten()
    werte["ende"] = "2025-01-01"  # before the beginning: the rule's message
    werte["einkuenfte"] = [{"betrag": "zwölf"}]
    del werte["unterschrift"]
    pruefung = pruefen(definition, werte, heute=HEUTE, personen=PERSONEN_IDS)
    assert set(pruefung.fehler) == {
        "ende",
        "einkuenfte[0].art",
        "einkuenfte[0].betrag",
        "unterschrift",
    }
    b = baum(zeige(definition, "einkommen", werte, fehler=pruefung.fehler))

    summary = b.xpath("//*[@role='alert']")
    assert len(summary) == 1
    assert summary[0].xpath(".//h2")[0].text_content() == "Bitte prüfen Sie Ihre Angaben"
    links = {a.get("href")[1:]: a.text_content() for a in summary[0].xpath(".//a")}
    assert set(links) == {
        "f-ende",
        "f-einkuenfte-0-art",
        "f-einkuenfte-0-betrag",
        "f-unterschrift-art-bildschirm",
    }
    ids = set(b.xpath("//@id"))
    assert set(links) <= ids
    assert links["f-ende"] == "Das Ende muss nach dem Beginn liegen."
    ende = b.xpath("//input[@id='f-ende']")[0]
    assert ende.get("aria-invalid") == "true"
    meldung = b.xpath(f"//*[@id='{ende.get('aria-describedby')}']")[0]
    assert "Das Ende muss nach dem Beginn liegen." in meldung.text_content()
    zelle = b.xpath("//input[@id='f-einkuenfte-0-betrag']")[0]
    assert zelle.get("aria-invalid") == "true"
    assert "Betrag" in b.xpath(f"//*[@id='{zelle.get('aria-describedby')}']")[0].text_content()
    for radio in b.xpath("//input[@name='f-unterschrift-art']"):
        assert radio.get("aria-invalid") == "true"


def test_messages_of_other_steps_or_the_whole_form_are_listed_without_a_link() -> None:
    fehler = {"": ["Die Angaben sind unvollständig."], "nachname": ["Bitte ausfüllen."]}
    b = baum(zeige(alle_typen(), "einkommen", antworten(), fehler=fehler))
    eintraege = b.xpath("//*[@role='alert']//li")
    assert [e.text_content() for e in eintraege] == [
        "Die Angaben sind unvollständig.",
        "Bitte ausfüllen.",
    ]
    assert b.xpath("//*[@role='alert']//a") == []


def test_no_summary_without_errors() -> None:
    assert baum(zeige(alle_typen(), "person", antworten())).xpath("//*[@role='alert']") == []


def test_hidden_fields_are_not_rendered() -> None:
    definition = alle_typen()
    werte = {**antworten(), "familienstand": "ledig"}
    assert "partner" not in sichtbar(definition, werte, heute=HEUTE).felder
    b = baum(zeige(definition, "person", werte))
    assert b.xpath("//*[contains(@name, 'partner')]") == []
    assert "Ehepartner" not in b.text_content()
    assert b.xpath("//input[@name='f-partner']") == []
    shown = baum(zeige(definition, "person", antworten()))
    assert len(shown.xpath("//input[@name='f-partner']")) == 1


def test_help_required_and_prefill_notes_are_linked_to_the_control() -> None:
    vorbelegt = {"nachname": "person.nachname", "iban": "frueher", "wohnung": "person.anschrift"}
    b = baum(zeige(alle_typen(), "person", antworten(), vorbelegt=vorbelegt))
    nachname = b.xpath("//input[@id='f-nachname']")[0]
    beschreibung = " ".join(
        b.xpath(f"//*[@id='{i}']")[0].text_content()
        for i in nachname.get("aria-describedby").split()
    )
    assert "Wie im Ausweis" in beschreibung and "aus der Akte übernommen" in beschreibung
    assert "(Pflichtfeld)" in b.xpath("//label[@for='f-nachname']")[0].text_content()
    iban = b.xpath("//input[@id='f-iban']")[0]
    note = b.xpath(f"//*[@id='{iban.get('aria-describedby')}']")[0]
    assert note.text_content() == "aus dem letzten Antrag übernommen"
    anschrift = b.xpath("//fieldset[@id='f-wohnung']")[0]
    assert "aus der Akte übernommen" in anschrift.text_content()
    assert "(Pflichtfeld)" in anschrift.xpath("legend")[0].text_content()
    # a field that is not prefilled says nothing about where its value came from
    assert "übernommen" not in b.xpath("//div[input[@id='f-email']]")[0].text_content()


def test_texts_of_the_definition_are_shown_as_text() -> None:
    roh = alle_typen_json()
    roh["schritte"][0]["felder"][1]["label"] = {"de": "<script>alert(1)</script>Name"}
    roh["schritte"][0]["felder"][0]["text"] = {"de": "<b>fett</b> & mehr"}
    roh["schritte"][0]["titel"] = {"de": "<i>Person</i>"}
    werte = {**antworten(), "email": '"><img src=x onerror=alert(1)>'}
    fragment = zeige(lesen(roh), "person", werte, fehler={"nachname": ["<em>falsch</em>"]})
    assert "<script>" not in fragment and "<img" not in fragment and "<b>" not in fragment
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Name" in fragment
    b = baum(fragment)
    assert b.xpath("//script | //img | //b | //i | //em") == []
    assert b.xpath("//input[@id='f-email']")[0].get("value") == werte["email"]
    assert "<em>falsch</em>" in b.xpath("//*[@role='alert']//a")[0].text_content()


def test_dates_typed_the_german_way_are_shown_in_the_date_picker() -> None:
    werte = {**antworten(), "geburtsdatum": "01.03.1980"}
    b = baum(zeige(alle_typen(), "person", werte))
    assert b.xpath("//input[@id='f-geburtsdatum']")[0].get("value") == "1980-03-01"


@pytest.mark.parametrize("schritt", ["person", "einkommen"])
def test_round_trip_renders_and_reads_back_the_same_answers(schritt: str) -> None:
    definition = alle_typen()
    werte = antworten()
    vorher = pruefen(definition, werte, heute=HEUTE, personen=PERSONEN_IDS)
    assert vorher.ok, vorher.fehler

    gelesen = antworten_aus_post(definition, schritt, post_aus(zeige(definition, schritt, werte)))

    felder = {f.id for f in definition.schritt(schritt).felder}  # type: ignore[union-attr]
    assert set(gelesen) == {k for k in werte if k in felder} - {"nachweise"}
    zusammen = {k: v for k, v in werte.items() if k not in gelesen} | gelesen
    nachher = pruefen(definition, zusammen, heute=HEUTE, personen=PERSONEN_IDS)
    assert nachher.ok, nachher.fehler
    assert nachher.werte == vorher.werte
    if schritt == "person":
        assert gelesen["arbeitet"] == "ja"
        assert gelesen["kosten"] == ["miete", "strom"]
        assert gelesen["wohnung"] == werte["wohnung"]
        assert gelesen["nachname"] == "Muster"
    else:
        assert gelesen["einkuenfte"][1] == {"art": "Rente", "betrag": "300,00"}
        assert gelesen["unterschrift"] == {"art": "papier"}


def test_a_query_dict_works_like_a_mapping_of_lists() -> None:
    definition = alle_typen()
    post = QueryDict(mutable=True)
    for name, werte in post_aus(zeige(definition, "person", antworten())).items():
        post.setlist(name, werte)
    assert antworten_aus_post(definition, "person", post) == antworten_aus_post(
        definition, "person", post_aus(zeige(definition, "person", antworten()))
    )


def test_empty_fields_and_empty_table_rows_are_left_out() -> None:
    post = {
        "f-einkuenfte-0-art": [""],
        "f-einkuenfte-1-art": ["Lohn"],
        "f-einkuenfte-1-betrag": ["10"],
        "f-einkuenfte-2-art": ["  "],
        "f-beginn": [""],
        "f-unterschrift-name": ["Erika"],
        "weitere_zeile": ["einkuenfte"],
    }
    gelesen = antworten_aus_post(alle_typen(), "einkommen", post)
    assert gelesen == {"einkuenfte": [{"art": "Lohn", "betrag": "10"}]}


def test_a_signature_on_screen_carries_the_name_once_confirmed() -> None:
    definition = alle_typen()
    bestaetigt = {"f-unterschrift-art": ["bildschirm"], "f-unterschrift-name": ["Erika Muster"]}
    ohne = antworten_aus_post(definition, "einkommen", bestaetigt)
    assert ohne["unterschrift"] == {
        "art": "bildschirm",
        "name": "Erika Muster",
        "bestaetigt": False,
    }
    mit = antworten_aus_post(
        definition, "einkommen", {**bestaetigt, "f-unterschrift-bestaetigt": ["ja"]}
    )
    assert mit["unterschrift"] == {"art": "bildschirm", "name": "Erika Muster"}
    # the page adds the picture and the time before pruefen
    komplett = {**mit["unterschrift"], "bild": BLOB, "zeit": "2026-12-07T10:00:00+01:00"}
    werte = {**antworten(), "unterschrift": komplett}
    assert pruefen(definition, werte, heute=HEUTE, personen=PERSONEN_IDS).ok
    for angabe, angehakt in ((komplett, True), (ohne["unterschrift"], False)):
        b = baum(zeige(definition, "einkommen", {**antworten(), "unterschrift": angabe}))
        assert b.xpath("//input[@id='f-unterschrift-name']")[0].get("value") == "Erika Muster"
        box = b.xpath("//input[@id='f-unterschrift-bestaetigt']")[0]
        assert (box.get("checked") is not None) is angehakt


def test_a_full_table_offers_no_further_row() -> None:
    werte = copy.deepcopy(antworten())
    werte["einkuenfte"] = [{"art": f"Lohn {i}"} for i in range(3)]
    b = baum(zeige(alle_typen(), "einkommen", werte))
    assert len(b.xpath("//table/tbody/tr")) == 4
    assert b.xpath("//button[@name='weitere_zeile']") == []


def test_navigation_names_the_step_and_lists_the_shown_steps() -> None:
    definition = alle_typen()
    gezeigt = sichtbar(definition, antworten(), heute=HEUTE)
    b = baum(
        str(navigation_html(definition, "einkommen", gezeigt, adresse=lambda s: f"/schritt/{s}"))
    )
    assert "Schritt 2 von 2" in b.text_content()
    assert b.xpath("//a/@href") == ["/schritt/person"]
    assert b.xpath("//*[@aria-current='step']")[0].text_content() == "Einkommen"
    ohne_links = baum(str(navigation_html(definition, "person", gezeigt)))
    assert ohne_links.xpath("//a") == []
    assert "Schritt 1 von 2" in ohne_links.text_content()


def test_an_unknown_step_is_refused() -> None:
    with pytest.raises(KeyError):
        zeige(alle_typen(), "gibt_es_nicht", {})
    with pytest.raises(KeyError):
        antworten_aus_post(alle_typen(), "gibt_es_nicht", {})
    with pytest.raises(KeyError):
        navigation_html(alle_typen(), "gibt_es_nicht", frozenset())


def test_table_cells_show_labels_options_and_values_as_text() -> None:
    roh = alle_typen_json()
    tabelle = roh["schritte"][1]["felder"][0]
    tabelle["spalten"][0]["label"] = {"de": "<script>x()</script>Art"}
    tabelle["spalten"][4]["optionen"][0]["label"] = {"de": "<b>monatlich</b>"}
    werte = {**antworten(), "einkuenfte": [{"art": '"><img src=x onerror=alert(1)>'}]}
    b = baum(zeige(lesen(roh), "einkommen", werte))
    assert b.xpath("//script | //img | //b") == []
    zelle = b.xpath("//input[@id='f-einkuenfte-0-art']")[0]
    assert zelle.get("value") == werte["einkuenfte"][0]["art"]
    assert zelle.get("aria-label") == "<script>x()</script>Art, Zeile 1"
    assert b.xpath("//option[@value='monatlich']")[0].text == "<b>monatlich</b>"
