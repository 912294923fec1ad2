"""A step's shown fields as KERN form controls, and the list of steps.

Python prepares each field as a plain dict (its ids, names, values, which messages and
hints describe it); the templates under ``forms/templates/forms/darstellung/`` only lay
them out. Every control has a label (``<label for>``, a fieldset's legend or, in a table
cell, "Spalte, Zeile n"), its help, prefill note and error linked by ``aria-describedby``;
required is said in words („Pflichtfeld“) and by ``required``. Errors appear at the field
and in a summary at the top whose links lead to the control to correct.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.template import Context, Engine, Template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from koffer.forms.definition import Definition, Feld, Sichtbarkeit, sichtbar, text_de

from .namen import ANSCHRIFT, DATEI_ENTFERNEN, FEHLERLISTE, WEITERE_ZEILE, name
from .zellen import zelle_html

VORLAGEN = Path(__file__).resolve().parent.parent / "templates"
#: What a prefilled field says about where its value came from.
HERKUNFT_AKTE = "aus der Akte übernommen"
HERKUNFT_FRUEHER = "aus dem letzten Antrag übernommen"
#: Autocomplete tokens of prefill sources about the person who fills in the form.
AUTOCOMPLETE = {
    "person.vorname": "given-name",
    "person.nachname": "family-name",
    "person.geburtsdatum": "bday",
    "person.telefon": "tel",
    "person.email": "email",
}
TEXTFORMATE = {  # format → (type, inputmode, autocomplete)
    "email": ("email", "", "email"),
    "telefon": ("tel", "", "tel"),
    "plz": ("text", "numeric", "postal-code"),
}
_ZELLE = re.compile(r"^([a-z][a-z0-9_]*)\[([0-9]+)\]\.([a-z][a-z0-9_]*)$")
_NORMAL_DEZIMAL = re.compile(r"^-?[0-9]+\.[0-9]+$")
_DE_DATUM = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")


@cache
def _engine() -> Engine:
    """The templates of this package alone: rendering needs no installed app, no request
    and no context processor (the page around it has those)."""
    return Engine(
        dirs=[str(VORLAGEN)],
        loaders=[
            ("django.template.loaders.cached.Loader", ["django.template.loaders.filesystem.Loader"])
        ],
        autoescape=True,
    )


@cache
def _vorlage(name: str) -> Template:
    """A compiled template, kept: a step includes a field's template as this object, which
    saves a lookup through the loaders per field."""
    return _engine().get_template(f"forms/darstellung/{name}")


def schritt_html(
    definition: Definition,
    schritt_id: str,
    *,
    antworten: Mapping[str, Any],
    fehler: Mapping[str, Sequence[str]],
    vorbelegt: Mapping[str, str],
    personen: Sequence[tuple[str, str]],
    heute: date,
    sprache: str = "de",
) -> SafeString:
    """The step's heading, help, error summary and its shown fields (``sichtbar`` on
    ``antworten``) as HTML for a page's ``<form>``.

    ``antworten``: field id → value, as entered or as checked (both show the same);
    ``fehler``: :attr:`Pruefung.fehler <koffer.forms.definition.Pruefung>` (path →
    messages); ``vorbelegt``: field id → its prefill source (``frueher`` or one from the
    Akte); ``personen``: the (id, label) a person field offers. Raises ``KeyError`` for an
    unknown step."""
    schritt = definition.schritt(schritt_id)
    if schritt is None:
        raise KeyError(schritt_id)
    gezeigt = sichtbar(definition, antworten, heute=heute).felder
    bau = _Bau(fehler=fehler, vorbelegt=vorbelegt, personen=personen, sprache=sprache)
    felder = [bau.feld(f, antworten.get(f.id)) for f in schritt.felder if f.id in gezeigt]
    kontext = {
        "titel": text_de(schritt.titel, sprache),
        "hilfe": text_de(schritt.hilfe, sprache),
        "felder": felder,
        "fehlerliste": bau.zusammenfassung(felder),
        "fehlerliste_id": FEHLERLISTE,
    }
    return _vorlage("schritt.html").render(Context(kontext))


def feld_html(
    definition: Definition,
    feld_id: str,
    *,
    wert: Any,
    fehler: Mapping[str, Sequence[str]],
    vorbelegt: Mapping[str, str],
    personen: Sequence[tuple[str, str]],
    sprache: str = "de",
) -> SafeString:
    """One field's control as :func:`schritt_html` shows it (same names, labels, help,
    errors), for a page that edits a single field on its own: the remote expert's session
    page (``field.experte``). A table shows one empty row more than it has filled rows.
    Raises ``KeyError`` for an unknown field or one without a value."""
    feld = definition.feld(feld_id)
    if feld is None or not feld.hat_wert:
        raise KeyError(feld_id)
    bau = _Bau(fehler=fehler, vorbelegt=vorbelegt, personen=personen, sprache=sprache)
    f = bau.feld(feld, wert)
    return f["vorlage"].render(Context({"f": f}))


def navigation_html(
    definition: Definition,
    schritt_id: str,
    sichtbar: Sichtbarkeit | frozenset[str] | set[str],
    *,
    adresse: Callable[[str], str] | None = None,
    sprache: str = "de",
) -> SafeString:
    """„Schritt 2 von 6“ and the titles of the shown steps, the current one marked
    (``aria-current="step"``); with ``adresse`` (step id → URL, or "" where the person may
    not go yet) the other steps are links."""
    if definition.schritt(schritt_id) is None:
        raise KeyError(schritt_id)
    ids = sichtbar.schritte if isinstance(sichtbar, Sichtbarkeit) else sichtbar
    schritte = [s for s in definition.schritte if s.id in ids or s.id == schritt_id]
    nummer = next(i for i, s in enumerate(schritte, 1) if s.id == schritt_id)
    kontext = {
        "nummer": nummer,
        "anzahl": len(schritte),
        "schritte": [
            {
                "titel": text_de(s.titel, sprache),
                "aktuell": s.id == schritt_id,
                "adresse": adresse(s.id) if adresse is not None and s.id != schritt_id else "",
            }
            for s in schritte
        ],
    }
    return _vorlage("navigation.html").render(Context(kontext))


class _Bau:
    """Builds the dict a field's template shows, collecting what the summary links to."""

    def __init__(
        self,
        *,
        fehler: Mapping[str, Sequence[str]],
        vorbelegt: Mapping[str, str],
        personen: Sequence[tuple[str, str]],
        sprache: str,
    ) -> None:
        self.fehler = fehler
        self.vorbelegt = vorbelegt
        self.personen = personen
        self.sprache = sprache
        self.zellfehler: dict[str, list[tuple[str, str]]] = {}  # table → (cell id, message)
        for pfad, meldungen in fehler.items():
            zelle = _ZELLE.match(pfad)
            if zelle:
                tabelle, zeile, spalte = zelle.groups()
                ziel = self.zellfehler.setdefault(tabelle, [])
                ziel.extend((name(tabelle, int(zeile), spalte), m) for m in meldungen)

    def t(self, text: Mapping[str, str] | None) -> str:
        return text_de(text, self.sprache)

    def feld(self, feld: Feld, wert: Any) -> dict[str, Any]:
        meldungen = list(self.fehler.get(feld.id, ()))
        herkunft = self.vorbelegt.get(feld.id)
        f: dict[str, Any] = {
            "typ": feld.typ,
            "vorlage": _vorlage(f"felder/{_VORLAGE.get(feld.typ, feld.typ)}.html"),
            "id": feld.id,
            "name": name(feld.id),
            "anker": name(feld.id),
            "label": self.t(feld.label),
            "hilfe": self.t(feld.hilfe),
            "hilfe_id": name(feld.id, "hilfe"),
            "pflicht": feld.pflicht,
            "fehler": meldungen,
            "fehler_id": name(feld.id, "fehler"),
            "herkunft": (HERKUNFT_FRUEHER if herkunft == "frueher" else HERKUNFT_AKTE)
            if herkunft
            else "",
            "herkunft_id": name(feld.id, "herkunft"),
        }
        beschreibung = [
            f[schluessel + "_id"] for schluessel in ("hilfe", "herkunft", "fehler") if f[schluessel]
        ]
        f["beschrieben"] = " ".join(beschreibung)
        f["aria"] = _aria(f["beschrieben"], bool(meldungen), feld.pflicht)
        f["ungueltig"] = _aria("", bool(meldungen), False)
        getattr(self, f"_{_VORLAGE.get(feld.typ, feld.typ)}")(feld, f, wert)
        return f

    def _text(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        art, modus, auto = TEXTFORMATE.get(feld.format or "", ("text", "", ""))
        f["art"] = art
        f["modus"] = modus
        f["autocomplete"] = AUTOCOMPLETE.get(feld.vorbelegung or "", auto)
        f["wert"] = _als_text(wert)
        f["max"] = feld.max_laenge or (5000 if feld.typ == "mehrzeilig" else 500)
        f["mehrzeilig"] = feld.typ == "mehrzeilig"

    def _zahl(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        f["wert"] = _zahl_text(wert)
        f["geld"] = feld.typ == "geld"

    def _datum(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        f["wert"] = _iso(wert)
        f["autocomplete"] = AUTOCOMPLETE.get(feld.vorbelegung or "", "")

    def _auswahl(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        gewaehlt = set(wert) if isinstance(wert, list) else {_als_text(wert)}
        f["mehrfach"] = feld.mehrfach
        f["liste"] = not feld.mehrfach and feld.darstellung == "liste"
        f["optionen"] = [
            {
                "wert": o.wert,
                "label": self.t(o.label),
                "id": name(feld.id, i),
                "gewaehlt": o.wert in gewaehlt,
            }
            for i, o in enumerate(feld.optionen)
        ]
        if not f["liste"]:
            f["anker"] = name(feld.id, 0)

    def _janein(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        text = _janein_text(wert)
        f["optionen"] = [
            {"wert": w, "label": label, "id": name(feld.id, w), "gewaehlt": text == w}
            for w, label in (("ja", "Ja"), ("nein", "Nein"))
        ]
        f["anker"] = name(feld.id, "ja")

    def _anschrift(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        teile = wert if isinstance(wert, Mapping) else {}
        f["teile"] = [
            {
                "id": name(feld.id, teil),
                "label": label,
                "autocomplete": auto,
                "wert": _als_text(teile.get(teil)),
                "pflicht": feld.pflicht and teil != "zusatz",
                "plz": teil == "plz",
            }
            for teil, label, auto in ANSCHRIFT
        ]
        f["anker"] = name(feld.id, "strasse")

    def _iban(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        f["wert"] = _als_text(wert)

    def _person(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        f["optionen"] = _personen(self.personen, _als_text(wert))

    def _tabelle(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        vorhanden = [z for z in wert if isinstance(z, Mapping)] if isinstance(wert, list) else []
        anzahl = min(max(len(vorhanden) + 1, feld.min_zeilen, 1), feld.max_zeilen)
        zellfehler = self.zellfehler.get(feld.id, [])
        falsch = {zelle for zelle, _ in zellfehler}
        spalten = [
            {"label": self.t(s.label), "pflicht": s.pflicht, "hilfe": self.t(s.hilfe)}
            for s in feld.spalten
        ]
        zeilen = []
        for i in range(anzahl):
            zeile = vorhanden[i] if i < len(vorhanden) else {}
            zeilen.append(
                [
                    zelle_html(
                        self._zelle(feld, s, i, zeile.get(s.id), name(feld.id, i, s.id) in falsch)
                    )
                    for s in feld.spalten
                ]
            )
        f["spalten"] = spalten
        f["spaltenhilfe"] = [s for s in spalten if s["hilfe"]]
        f["zeilen"] = zeilen
        f["titel_id"] = name(feld.id, "titel")
        f["anker"] = name(feld.id, 0, feld.spalten[0].id)
        f["zellfehler"] = [
            {"id": f"{zelle}-fehler", "meldung": m, "zelle": zelle}
            for zelle, m in zellfehler
            if _zeile_von(zelle) < anzahl
        ]
        f["weitere"] = anzahl < feld.max_zeilen
        f["weitere_name"] = WEITERE_ZEILE

    def _zelle(self, tabelle: Feld, spalte: Feld, zeile: int, wert: Any, falsch: bool) -> Any:
        zelle_id = name(tabelle.id, zeile, spalte.id)
        z: dict[str, Any] = {
            "id": zelle_id,
            "typ": spalte.typ,
            "label": f"{self.t(spalte.label)}, Zeile {zeile + 1}",
            "aria": _aria(f"{zelle_id}-fehler" if falsch else "", falsch, False),
        }
        if spalte.typ in ("auswahl", "janein", "person"):
            if spalte.typ == "auswahl" and spalte.mehrfach:
                gewaehlt = set(wert) if isinstance(wert, list) else set()
                z["typ"] = "mehrfach"
                z["optionen"] = [
                    {
                        "wert": o.wert,
                        "label": self.t(o.label),
                        "id": f"{zelle_id}-{i}",
                        "gewaehlt": o.wert in gewaehlt,
                    }
                    for i, o in enumerate(spalte.optionen)
                ]
                return z
            text = _janein_text(wert) if spalte.typ == "janein" else _als_text(wert)
            if spalte.typ == "person":
                z["optionen"] = _personen(self.personen, text)
            else:
                auswahl = (
                    [("ja", "Ja"), ("nein", "Nein")]
                    if spalte.typ == "janein"
                    else [(o.wert, self.t(o.label)) for o in spalte.optionen]
                )
                z["optionen"] = [
                    {"wert": w, "label": lb, "gewaehlt": w == text} for w, lb in auswahl
                ]
            z["typ"] = "liste"
            return z
        z["wert"] = (
            _iso(wert)
            if spalte.typ == "datum"
            else _zahl_text(wert)
            if spalte.typ in ("zahl", "geld")
            else _als_text(wert)
        )
        z["max"] = spalte.max_laenge or 500
        return z

    def _datei(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        dateien = wert if isinstance(wert, list) else []
        f["dateien"] = [
            {
                "name": str(d.get("name", "")),
                "groesse": _groesse(d.get("groesse")),
                "wert": f"{feld.id}:{d.get('blob', '')}",
            }
            for d in dateien
            if isinstance(d, Mapping)
        ]
        f["entfernen_name"] = DATEI_ENTFERNEN
        f["accept"] = ",".join(feld.dateitypen)
        typen = [_DATEITYPEN.get(t, t) for t in feld.dateitypen]
        f["typen"] = " oder ".join([", ".join(typen[:-1]), typen[-1]] if len(typen) > 1 else typen)
        f["max_mb"] = feld.max_mb
        # an upload already made answers the field: the browser must not ask for another
        f["aria"] = _aria(f["beschrieben"], bool(f["fehler"]), feld.pflicht and not f["dateien"])

    def _unterschrift(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        angabe = wert if isinstance(wert, Mapping) else {}
        art = angabe.get("art")
        f["art_name"] = name(feld.id, "art")
        f["bildschirm_id"] = name(feld.id, "art", "bildschirm")
        f["papier_id"] = name(feld.id, "art", "papier")
        f["bildschirm"] = art == "bildschirm"
        f["papier"] = art == "papier"
        f["name_id"] = name(feld.id, "name")
        f["unterzeichner"] = _als_text(angabe.get("name"))
        f["bestaetigt_id"] = name(feld.id, "bestaetigt")
        f["bestaetigt"] = art == "bildschirm" and angabe.get("bestaetigt") is not False
        f["anker"] = f["bildschirm_id"]

    def _hinweis(self, feld: Feld, f: dict[str, Any], wert: Any) -> None:
        f["text"] = self.t(feld.text)

    def zusammenfassung(self, felder: list[dict[str, Any]]) -> list[dict[str, str]]:
        """Every message of ``fehler``: those of shown fields linked to the control to
        correct (a table cell's to its cell), the others (the whole form, fields of other
        steps) as text."""
        eintraege: list[dict[str, str]] = []
        gezeigt = {f["id"] for f in felder}
        for f in felder:
            eintraege += [{"anker": f["anker"], "meldung": m} for m in f["fehler"]]
            for zelle in f.get("zellfehler", ()):
                eintraege.append({"anker": zelle["zelle"], "meldung": zelle["meldung"]})
        verlinkt = {z["zelle"] for f in felder for z in f.get("zellfehler", ())}
        for pfad, meldungen in self.fehler.items():
            zelle = _ZELLE.match(pfad)
            if pfad in gezeigt or (zelle and name(*_zellteile(zelle)) in verlinkt):
                continue
            anker = ""
            if zelle and zelle.group(1) in gezeigt:
                anker = next(f["anker"] for f in felder if f["id"] == zelle.group(1))
            eintraege += [{"anker": anker, "meldung": m} for m in meldungen]
        return eintraege


def _zeile_von(zelle_id: str) -> int:
    """The row of a cell id ``f-<tabelle>-<zeile>-<spalte>``."""
    return int(zelle_id.split("-")[2])


def _zellteile(zelle: re.Match[str]) -> tuple[str, int, str]:
    return zelle.group(1), int(zelle.group(2)), zelle.group(3)


_VORLAGE = {"mehrzeilig": "text", "geld": "zahl"}
_DATEITYPEN = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def _groesse(bytes_: Any) -> str:
    """An upload's size as people read it: ``850 Bytes``, ``12 KB``, ``1,4 MB``."""
    if not isinstance(bytes_, int) or isinstance(bytes_, bool) or bytes_ < 0:
        return ""
    if bytes_ < 1024:
        return f"{bytes_} Bytes"
    if bytes_ < 1024 * 1024:
        return f"{round(bytes_ / 1024)} KB"
    return f"{bytes_ / (1024 * 1024):.1f} MB".replace(".", ",")


def _aria(beschrieben: str, falsch: bool, pflicht: bool) -> SafeString:
    teile = []
    if beschrieben:
        teile.append(f' aria-describedby="{escape(beschrieben)}"')
    if falsch:
        teile.append(' aria-invalid="true"')
    if pflicht:
        teile.append(' required aria-required="true"')
    return mark_safe("".join(teile))  # noqa: S308 - ids escaped, the rest literal


def _als_text(wert: Any) -> str:
    if wert is None or isinstance(wert, list | dict):
        return ""
    return str(wert)


def _zahl_text(wert: Any) -> str:
    """A checked value (``"1234.50"``) with the German comma; as typed otherwise."""
    text = _als_text(wert)
    return text.replace(".", ",") if _NORMAL_DEZIMAL.match(text) else text


def _iso(wert: Any) -> str:
    """``type=date`` shows only ISO: a German date typed without a date picker becomes one."""
    text = _als_text(wert).strip()
    deutsch = _DE_DATUM.match(text)
    if deutsch:
        tag, monat, jahr = (int(t) for t in deutsch.groups())
        try:
            return date(jahr, monat, tag).isoformat()
        except ValueError:
            return text
    return text


def _janein_text(wert: Any) -> str:
    if isinstance(wert, bool):
        return "ja" if wert else "nein"
    return _als_text(wert).strip().lower()


def _personen(personen: Sequence[tuple[str, str]], gewaehlt: str) -> list[dict[str, Any]]:
    return [{"wert": pid, "label": label, "gewaehlt": pid == gewaehlt} for pid, label in personen]
