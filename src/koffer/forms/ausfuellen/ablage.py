"""What a step's page stores before it saves the draft: uploaded files and a signature
drawn on screen, each kept as a blob through the E-Akte's inspection and blob services
(announced in the blob ledger; the page settles the marks once the draft that points to
them is saved, or discards them). A file that fails gets its German message at its field;
the step's other answers are saved all the same."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from koffer.forms.darstellung.namen import name
from koffer.forms.definition import Definition, Feld, text_de
from koffer.forms.models import Einreichung, Entwurf
from koffer.forms.unterschrift import UnterschriftUngueltig, png_lesen
from koffer.records.dokumente import services as documents
from koffer.records.dokumente.content import inspect
from koffer.records.dokumente.detect import detect_type
from koffer.records.dokumente.limits import inspection_bounds
from koffer.records.dokumente.naming import clean_filename
from koffer.records.errors import RecordsError

MB = 1024 * 1024


class _Datei(Protocol):
    @property
    def name(self) -> str | None: ...
    @property
    def size(self) -> int | None: ...

    def read(self, size: int = ..., /) -> bytes: ...


@dataclass
class Abgelegt:
    """The answers the stored blobs give, the messages per field, the ledger's marks."""

    antworten: dict[str, Any] = field(default_factory=dict)
    fehler: dict[str, list[str]] = field(default_factory=dict)
    marken: list[uuid.UUID] = field(default_factory=list)

    def melden(self, feld_id: str, meldung: str) -> None:
        self.fehler.setdefault(feld_id, []).append(meldung)


def blob_referenced(sha256: str) -> bool:
    """A draft's or a submission's answers name the blob (an upload, a signature): the
    blob ledger asks before it removes one, so a draft saved just before a crash, before
    its marks were settled, keeps its files. A discarded draft holds none: its files were
    released when it was discarded."""
    return (
        Entwurf.objects.unscoped()
        .exclude(status=Entwurf.Status.VERWORFEN)
        .filter(antworten__icontains=sha256)
        .exists()
        or Einreichung.objects.unscoped().filter(werte__icontains=sha256).exists()
    )


def genannte_blobs(antworten: Mapping[str, Any]) -> list[str]:
    """The blobs a draft's answers name, in order: each uploaded file (``blob``) and each
    drawn signature (``bild``)."""
    gefunden: list[str] = []
    for wert in antworten.values():
        eintraege = wert if isinstance(wert, list) else [wert]
        for eintrag in eintraege:
            if not isinstance(eintrag, Mapping):
                continue
            for schluessel in ("blob", "bild"):
                sha = eintrag.get(schluessel)
                if isinstance(sha, str) and sha not in gefunden:
                    gefunden.append(sha)
    return gefunden


def ablegen(
    *,
    tenant_id: uuid.UUID,
    definition: Definition,
    schritt_id: str,
    gezeigt: frozenset[str],
    dateien: Mapping[str, Sequence[_Datei]],
    post: Mapping[str, str],
    gesendet: Mapping[str, Any],
    bisher: Mapping[str, Any],
    jetzt: datetime,
) -> Abgelegt:
    """Store the step's new files and its drawn signature; ``gesendet``: the answers read
    from the POST, ``bisher``: the draft's answers before it."""
    schritt = definition.schritt(schritt_id)
    assert schritt is not None
    ergebnis = Abgelegt()
    for feld in schritt.felder:
        if feld.id not in gezeigt:
            continue
        if feld.typ == "datei" and dateien.get(name(feld.id)):
            _dateien(tenant_id, feld, dateien[name(feld.id)], bisher.get(feld.id), ergebnis)
        elif feld.typ == "unterschrift" and feld.id in gesendet:
            _unterschrift(
                tenant_id, feld, gesendet[feld.id], post, bisher.get(feld.id), jetzt, ergebnis
            )
    return ergebnis


def _dateien(
    tenant_id: uuid.UUID,
    feld: Feld,
    neue: Sequence[_Datei],
    frueher: Any,
    ergebnis: Abgelegt,
) -> None:
    liste = (
        [dict(d) for d in frueher if isinstance(d, Mapping)] if isinstance(frueher, list) else []
    )
    for datei in neue:
        angabe = _datei(tenant_id, feld, datei, ergebnis)
        if angabe is not None and all(d.get("blob") != angabe["blob"] for d in liste):
            liste.append(angabe)
    if liste:
        ergebnis.antworten[feld.id] = liste


def _datei(
    tenant_id: uuid.UUID, feld: Feld, datei: _Datei, ergebnis: Abgelegt
) -> dict[str, Any] | None:
    dateiname = clean_filename(datei.name or "Datei")
    grenze = feld.max_mb * MB
    if (datei.size or 0) > grenze:
        ergebnis.melden(feld.id, f"„{dateiname}“ ist größer als {feld.max_mb} MB.")
        return None
    daten = datei.read(grenze + 1)
    if len(daten) > grenze:
        ergebnis.melden(feld.id, f"„{dateiname}“ ist größer als {feld.max_mb} MB.")
        return None
    typ = detect_type(daten)
    if typ.mime not in feld.dateitypen:
        ergebnis.melden(
            feld.id,
            f"„{dateiname}“ ist {typ.label}; {text_de(feld.label)} nimmt diesen Dateityp nicht an.",
        )
        return None
    sha = hashlib.sha256(daten).hexdigest()
    try:
        # the bounded inspection child, as for an upload to the Akte: a corrupt or
        # locked file is refused here, not when the form is filed
        inspect(daten, dateiname, sha, inspection_bounds(tenant_id, text_pages=0))
    except RecordsError as exc:
        ergebnis.melden(feld.id, f"„{dateiname}“: {exc.message}")
        return None
    ergebnis.marken += documents.store_blobs(tenant_id=tenant_id, blobs=[(sha, daten)])
    return {"blob": sha, "name": dateiname[:200], "typ": typ.mime, "groesse": len(daten)}


def _unterschrift(
    tenant_id: uuid.UUID,
    feld: Feld,
    angabe: Any,
    post: Mapping[str, str],
    frueher: Any,
    jetzt: datetime,
    ergebnis: Abgelegt,
) -> None:
    """A confirmed on-screen signature: the drawing when one came (checked and stored as
    a blob), the earlier drawing when the same person signed before, else the typed and
    confirmed name alone (the path for keyboard and no-JS users; no picture is made up)."""
    if not isinstance(angabe, dict) or angabe.get("art") != "bildschirm":
        return
    if angabe.get("bestaetigt") is False or not str(angabe.get("name", "")).strip():
        return
    zeichnung = post.get(name(feld.id, "bild"), "")
    unterschrift: dict[str, Any] = {
        "art": "bildschirm",
        "name": str(angabe["name"]).strip()[:200],
        "zeit": jetzt.isoformat(),
    }
    if zeichnung:
        try:
            png = png_lesen(zeichnung)
        except UnterschriftUngueltig as exc:
            ergebnis.melden(feld.id, exc.message)
            ergebnis.antworten[feld.id] = {**angabe, "bestaetigt": False}
            return
        sha = hashlib.sha256(png).hexdigest()
        ergebnis.marken += documents.store_blobs(tenant_id=tenant_id, blobs=[(sha, png)])
        unterschrift["bild"] = sha
    elif isinstance(frueher, Mapping) and frueher.get("name") == angabe.get("name"):
        ergebnis.antworten[feld.id] = dict(frueher)
        return
    ergebnis.antworten[feld.id] = unterschrift
