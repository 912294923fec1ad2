"""Writes of the sync back in the office: :func:`abgleichen` merges a Koffer's push per
field, :func:`entscheiden` settles a queued conflict, :func:`blob_annehmen` stores a file a
Koffer uploads ahead of its push.

The merge per field, against the base version the Koffer kept (``basis``):

- the office's value is still the base → the Koffer's value is taken;
- the office's value already is the Koffer's → nothing to do;
- otherwise both changed it differently → a :class:`~koffer.field.models.Konflikt`, the
  office's value stays until a person decides (never overwritten silently);
- the row is gone in the office → a decided Konflikt ``geloescht``: the deletion wins,
  visibly.

The office's clock is authoritative: ``empfangen_am`` and every time written here are the
office's; the Koffer's ``erstellt`` is kept as information only.

New Akten made on the Koffer (with their persons and BG) come as new rows with a
provisional number (``KOFFER-…``); they are opened here through the E-Akte's services,
keep their UUID and get the next real Aktenzeichen / BG-Nummer from the office's gap-free
counters; the answer maps them (``nummern``), and they stay checked out to the Koffer so
that its next pull shows the real numbers. A document version from the Koffer is indexed
and its text completed as an upload's.

The Koffer's audit segment is checked before the push's transaction and appended inside
it (``field.segment``).
"""

from __future__ import annotations

import tempfile
import uuid
from collections import defaultdict
from datetime import datetime
from typing import IO, Any

from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.blobs.store import check_name, get_store, hash_stream
from koffer.errors import DomainError
from koffer.field import access as rules
from koffer.field.abgleich import regeln
from koffer.field.errors import (
    Abgelehnt,
    AbgleichNachholen,
    BlobFehlt,
    Conflict,
    FieldError,
    NotFound,
)
from koffer.field.geraete import services as geraete
from koffer.field.models import Abgleich, Ausleihe, Geraet, Konflikt, Sicherung
from koffer.field.paket import selectors as paket
from koffer.field.segment import selectors as segment_lesen
from koffer.field.segment import services as segmente
from koffer.forms.ausfuellen import services as ausfuellen
from koffer.forms.models import Einreichung, Entwurf
from koffer.records import services as records
from koffer.records.dokumente import blob_ledger
from koffer.records.dokumente import services as dokumente
from koffer.records.dokumente.content import Content
from koffer.records.models import (
    Akte,
    Aktenplaneinheit,
    Bedarfsgemeinschaft,
    Dokument,
    DokumentVersion,
    Frist,
    FristRegel,
    PendingBlob,
    Person,
    Vorgang,
    VorgangSchritt,
    VorgangTyp,
    Wiedervorlage,
)
from koffer.tenancy.models import Mandant, Organisationseinheit

FORMAT = 1

SPOOL_BYTES = 4 * 1024 * 1024

# accepted pushes a Koffer may name (it keeps at most as many, see field.rueckgabe)
MAX_ANGENOMMEN = 200

# Steps of a Vorgang the E-Akte's services write themselves when the office opens a
# Koffer's Vorgang or Frist: the Koffer's own copy gives its id to the office's.
SCHRITTE_DER_DIENSTE = frozenset({"angelegt", "frist"})

HINWEIS_GELOESCHT = "Im Büro gelöscht; die Änderung aus dem Koffer wurde nicht übernommen."


class HashFalsch(FieldError):
    """The uploaded bytes do not have the hash the Koffer named."""


def blob_annehmen(*, geraet: Geraet, sha256: str, data: bytes | IO[bytes]) -> bool:
    """Store a file a Koffer uploads before its push; ``True`` if it is new. The blob is
    marked first (the uploads' ledger, :mod:`koffer.records.dokumente.blob_ledger`), so
    that garbage collection cannot take it before the rows naming it arrive; the push
    settles the mark, and a mark never settled expires like an upload's."""
    try:
        check_name(sha256)
    except ValueError as exc:
        raise HashFalsch("hash_falsch", "Das ist kein SHA-256 einer Datei.") from exc
    store = get_store()
    # Hashed before anything is stored: wrong bytes never reach the blob store.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    with spool:
        if isinstance(data, bytes):
            spool.write(data)
        else:
            while block := data.read(1 << 20):
                spool.write(block)
        spool.seek(0)
        found, _ = hash_stream(spool)
        if found != sha256:
            raise HashFalsch(
                "hash_falsch",
                "Die Datei hat nicht den angegebenen SHA-256; sie wurde nicht gespeichert.",
            )
        # "Already there" is answered from this Mandant's own rows, never from the shared
        # store: whether another Mandant holds the same bytes stays unknown.
        if _bekannt(geraet.tenant_id, sha256) and store.exists(sha256):
            return False
        spool.seek(0)
        mark = blob_ledger.announce(geraet.tenant_id, sha256, store)
        try:
            store.put(spool)
        except BaseException:
            blob_ledger.discard([mark], store=store)
            raise
    return True


def _bekannt(tenant_id: uuid.UUID, sha256: str) -> bool:
    """This Mandant already has the blob: a document version names it, or an upload of
    it (a Koffer's, a document's) is marked."""
    return (
        DokumentVersion.objects.for_tenant(tenant_id)
        .filter(Q(sha256=sha256) | Q(pdf_sha256=sha256))
        .exists()
        or PendingBlob.objects.for_tenant(tenant_id).filter(sha256=sha256).exists()
    )


def abgleichen(*, geraet: Geraet, daten: dict[str, Any]) -> dict[str, Any]:
    """Merge a Koffer's push (the contract of ``POST /koffer/abgleich``) in one
    transaction; returns the answer. The same ``abgleich_id`` again returns the stored
    answer and applies nothing. Refuses the whole push (:class:`Abgelehnt`) if any change
    is not allowed, and asks for missing files first (:class:`BlobFehlt`)."""
    if daten.get("format") != FORMAT:
        raise Abgelehnt([f"Das Format {daten.get('format')!r} kennt das Büro nicht."])
    try:
        abgleich_id = uuid.UUID(str(daten.get("abgleich_id")))
    except ValueError as exc:
        raise Abgelehnt(["Die Kennung des Abgleichs fehlt oder ist ungültig."]) from exc
    stored = _gespeichert(geraet, abgleich_id)
    if stored is not None:
        return stored
    _nichts_verloren(geraet, daten.get("angenommen"))
    # The Koffer's audit segment first: one that does not verify refuses the whole push
    # and goes to the quarantine (a transaction of its own, so it stays).
    segmente.pruefen(geraet=geraet, abgleich_id=abgleich_id, segment=daten.get("segment"))
    actor = User.objects.get(pk=geraet.user_id)
    # The slow part of taking in documents (the upload inspection) before the transaction.
    vorab = _vorab_pruefen(geraet, daten.get("neu"))
    try:
        with transaction.atomic():
            # One push of a Koffer at a time: a retry waits for the first, then sees it.
            Geraet.objects.for_tenant(geraet.tenant_id).select_for_update().get(pk=geraet.pk)
            stored = _gespeichert(geraet, abgleich_id)
            if stored is not None:
                return stored
            segment = segmente.anhaengen(
                geraet=geraet, abgleich_id=abgleich_id, segment=daten.get("segment")
            )
            return _abgleichen(actor, geraet, abgleich_id, daten, segment, vorab)
    except IntegrityError:
        stored = _gespeichert(geraet, abgleich_id)
        if stored is None:
            raise
        return stored


def _nichts_verloren(geraet: Geraet, angenommen: Any) -> None:
    """The pushes the Koffer says the office accepted (it keeps them) must all be here: an
    office restored from an older backup lost the later ones, and asks for them again
    (:class:`AbgleichNachholen`) before it takes anything newer."""
    if not isinstance(angenommen, list) or not angenommen:
        return
    ids: list[uuid.UUID] = []
    for value in angenommen[:MAX_ANGENOMMEN]:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    bekannt = set(
        Abgleich.objects.for_tenant(geraet.tenant_id)
        .filter(geraet=geraet, abgleich_id__in=ids)
        .values_list("abgleich_id", flat=True)
    )
    fehlen = [str(a) for a in ids if a not in bekannt]
    if not fehlen:
        return
    letzter = (
        Abgleich.objects.for_tenant(geraet.tenant_id)
        .filter(geraet=geraet)
        .order_by("-empfangen_am")
        .values_list("abgleich_id", flat=True)
        .first()
    )
    raise AbgleichNachholen(fehlen, str(letzter) if letzter else None)


def _vorab_pruefen(geraet: Geraet, neu: Any) -> dict[uuid.UUID, Content | DomainError]:
    """The new document versions of a push inspected as a hand upload is, before its
    transaction: per version its findings, or the inspection's refusal (the version then
    waits in the queue with that reason). Versions the office has already (a retried
    push) and files not uploaded yet (the push answers ``blob_fehlt``) are left out."""
    found: dict[uuid.UUID, Content | DomainError] = {}
    for item in neu if isinstance(neu, list) else []:
        if not isinstance(item, dict) or item.get("model") != "records.dokumentversion":
            continue
        fields = item.get("fields")
        try:
            pk = uuid.UUID(str(item.get("pk")))
        except ValueError:
            continue
        if not isinstance(fields, dict) or str(fields.get("tenant")) != str(geraet.tenant_id):
            continue
        if DokumentVersion.objects.for_tenant(geraet.tenant_id).filter(pk=pk).exists():
            continue
        version = _erhalten(pk, fields)
        if version is None or not get_store().exists(version.sha256):
            continue
        try:
            found[pk] = dokumente.inspect_received(tenant_id=geraet.tenant_id, version=version)
        except DomainError as exc:
            found[pk] = exc
    return found


def _erhalten(pk: uuid.UUID, fields: dict[str, Any]) -> dokumente.ReceivedVersion | None:
    """A Koffer's version row as the E-Akte's service takes it (None if unreadable)."""
    sha256 = str(fields.get("sha256") or "")
    made = _zeit(fields.get("created_at"))
    if not regeln.SHA256.fullmatch(sha256) or made is None:
        return None
    pdf = str(fields.get("pdf_sha256") or "")
    return dokumente.ReceivedVersion(
        pk=pk,
        filename=str(fields.get("filename") or "datei"),
        sha256=sha256,
        created_at=made,
        note=str(fields.get("note") or ""),
        pdf_sha256=pdf if regeln.SHA256.fullmatch(pdf) else "",
    )


def _gespeichert(geraet: Geraet, abgleich_id: uuid.UUID) -> dict[str, Any] | None:
    row = Abgleich.objects.for_tenant(geraet.tenant_id).filter(abgleich_id=abgleich_id).first()
    if row is None:
        return None
    if row.geraet_id != geraet.pk:
        raise Conflict("abgleich_fremd", "Diese Kennung des Abgleichs gehört einem anderen Koffer.")
    return dict(row.antwort)


class _Lauf:
    """What one push does, collected before anything is written."""

    def __init__(self, actor: User, geraet: Geraet) -> None:
        self.actor = actor
        self.geraet = geraet
        self.tenant_id = geraet.tenant_id
        self.gehalten = regeln.gehaltene_akten(geraet)
        self.fehler: list[str] = []
        self.hinweise: list[str] = []
        # Akte -> audit details
        self.pro_akte: dict[uuid.UUID, dict[str, list[Any]]] = defaultdict(
            lambda: {"geaendert": [], "neu": [], "konflikte": []}
        )
        self.uebernommen = 0
        self.konflikte: list[Konflikt] = []
        self.neu = 0
        # UUID of a new Akte / BG -> its real number from the office's counters
        self.nummern: dict[str, str] = {}
        self.neue_akten: list[Akte] = []
        # Held Akten closed (or handed over) in the office meanwhile: they take nothing
        # from the Koffer; its changes and new rows wait in the queue (``abgelehnt``).
        self.geschlossen: dict[uuid.UUID, Akte] = {
            a.pk: a
            for a in Akte.objects.for_tenant(self.tenant_id)
            .filter(pk__in=self.gehalten)
            .exclude(status=Akte.Status.OPEN)
        }
        # ids of the new rows put into the queue (the rows naming them follow them there)
        self.zurueckgestellt: set[str] = set()
        # the Koffer's ids given to steps the E-Akte's services wrote in this push
        self.schritte: set[uuid.UUID] = set()
        self.abgleich: Abgleich | None = None
        self.now = timezone.now()
        # new documents waiting for their first version (filed with it), with their rows
        self.dokumente: dict[uuid.UUID, tuple[Dokument, dict[str, Any]]] = {}
        # what the inspection found per new version (see _vorab_pruefen)
        self.vorab: dict[uuid.UUID, Content | DomainError] = {}


def _abgleichen(
    actor: User,
    geraet: Geraet,
    abgleich_id: uuid.UUID,
    daten: dict[str, Any],
    segment: dict[str, Any] | None = None,
    vorab: dict[uuid.UUID, Content | DomainError] | None = None,
) -> dict[str, Any]:
    lauf = _Lauf(actor, geraet)
    lauf.vorab = vorab or {}
    now = lauf.now
    abgleich = Abgleich.objects.create(
        tenant_id=geraet.tenant_id,
        geraet=geraet,
        abgleich_id=abgleich_id,
        empfangen_am=now,
        erstellt_koffer=_zeit(daten.get("erstellt")),
    )
    lauf.abgleich = abgleich
    geaendert = daten.get("geaendert") or []
    neu = daten.get("neu") or []
    if not isinstance(geaendert, list) or not isinstance(neu, list):
        raise Abgelehnt(["„geaendert“ und „neu“ müssen Listen sein."])
    # Everything is checked and written in this transaction; any refusal rolls all back.
    plan = [_pruefen_aenderung(lauf, item) for item in geaendert]
    for schritt in plan:
        if schritt is not None:
            _anwenden(lauf, abgleich, now, *schritt)
    _neu_einfuegen(lauf, neu)
    if lauf.fehler:
        raise Abgelehnt(lauf.fehler)
    Konflikt.objects.bulk_create(lauf.konflikte)
    for akte_id, details in sorted(lauf.pro_akte.items(), key=lambda kv: str(kv[0])):
        akte = Akte.objects.for_tenant(lauf.tenant_id).get(pk=akte_id)
        audit.record(
            actor=actor,
            tenant_id=lauf.tenant_id,
            action="field.abgleich",
            obj=akte,
            changes={"koffer": str(geraet.pk), "abgleich": str(abgleich_id), **details},
        )
    if lauf.neue_akten:
        _mitgeben(lauf)
    if daten.get("zurueckgeben"):
        _zurueckgeben(lauf)
    offen = sum(1 for k in lauf.konflikte if k.status == Konflikt.Status.OFFEN)
    if offen:
        lauf.hinweise.append(
            f"{offen} Änderung(en) wurden auch im Büro geändert; sie warten unter "
            "„Koffer: Konflikte“ auf eine Entscheidung."
        )
    antwort = {
        "abgleich_id": str(abgleich_id),
        "uebernommen": lauf.uebernommen,
        "konflikte": len(lauf.konflikte),
        "neu": lauf.neu,
        "nummern": lauf.nummern,
        "hinweise": lauf.hinweise,
        "status": "fertig",
        "segment": segment,
    }
    abgleich.antwort = antwort
    abgleich.uebernommen = lauf.uebernommen
    abgleich.konflikte = len(lauf.konflikte)
    abgleich.neu = lauf.neu
    abgleich.save(update_fields=["antwort", "uebernommen", "konflikte", "neu"])
    return antwort


# model label, row id, model, changed fields, the Akte the Koffer names for the row
_Schritt = tuple[str, str, type[models.Model], dict[str, Any], Any]


def _pruefen_aenderung(lauf: _Lauf, item: Any) -> _Schritt | None:
    """Check one changed row against the rules; returns what to apply, or None."""
    if not isinstance(item, dict):
        lauf.fehler.append("Eine Änderung ist unlesbar.")
        return None
    modell = str(item.get("modell", ""))
    objekt_id = str(item.get("id", ""))
    felder = item.get("felder")
    model = regeln.GEAENDERT_MODELLE.get(modell)
    if model is None:
        lauf.fehler.append(f"{regeln.name(modell)} darf der Koffer nicht ändern.")
        return None
    if not isinstance(felder, dict) or not felder:
        lauf.fehler.append(f"{regeln.name(modell)} {objekt_id}: keine Felder angegeben.")
        return None
    erlaubt = regeln.AENDERBAR[modell]
    for feld in sorted(set(felder) - erlaubt):
        lauf.fehler.append(
            f"{regeln.name(modell)} {objekt_id}: das Feld „{feld}“ darf der Koffer nicht ändern."
        )
    for feld, werte in felder.items():
        if not isinstance(werte, dict) or "basis" not in werte or "neu" not in werte:
            lauf.fehler.append(
                f"{regeln.name(modell)} {objekt_id}: „{feld}“ ohne Basis und neuen Wert."
            )
    if not set(felder) <= erlaubt:
        return None
    return (modell, objekt_id, model, felder, item.get("akte"))


def _akten(lauf: _Lauf, obj: models.Model) -> set[uuid.UUID]:
    if obj._meta.label_lower == "records.person":
        return regeln.akten_der_person(lauf.tenant_id, obj.pk) & lauf.gehalten
    akte_id = regeln.akte_von(obj)
    return {akte_id} & lauf.gehalten if akte_id is not None else set()


def _anwenden(
    lauf: _Lauf,
    abgleich: Abgleich,
    now: datetime,
    modell: str,
    objekt_id: str,
    model: type[models.Model],
    felder: dict[str, Any],
    akte_koffer: Any = None,
) -> None:
    try:
        obj = (
            model._base_manager.select_for_update()
            .filter(tenant_id=lauf.tenant_id, pk=objekt_id)
            .first()
        )
    except (ValidationError, ValueError):
        obj = None
    if obj is None:
        # Deleted in the office (or never there): the deletion wins, visibly — in the
        # answer, in the queue by the Koffer, and on the Akte's page when the Koffer named
        # an Akte it holds (a whole Akte deleted has no page: the answer says it).
        akte_id = next((a for a in lauf.gehalten if str(a) == str(akte_koffer)), None)
        for feld, werte in felder.items():
            lauf.konflikte.append(
                Konflikt(
                    tenant_id=lauf.tenant_id,
                    abgleich=abgleich,
                    akte_id=akte_id,
                    modell=modell,
                    objekt_id=objekt_id,
                    feld=feld,
                    basis=werte["basis"],
                    koffer_wert=werte["neu"],
                    art=Konflikt.Art.GELOESCHT,
                    status=Konflikt.Status.ENTSCHIEDEN,
                    entschieden_am=now,
                    entscheidung=Konflikt.Entscheidung.BUERO,
                    hinweis=HINWEIS_GELOESCHT,
                    created_at=now,
                )
            )
        if akte_id is not None:
            lauf.pro_akte[akte_id]["konflikte"].extend(f"{modell}.{f}" for f in felder)
        lauf.hinweise.append(f"{regeln.name(modell)}: {HINWEIS_GELOESCHT}")
        return
    akten = _akten(lauf, obj)
    if not akten:
        lauf.fehler.append(_nicht_gehalten(lauf, modell, objekt_id, akte_koffer))
        return
    buero = paket.json_wert(_felder(obj))
    offen = akten - set(lauf.geschlossen)
    if not offen:
        akte = lauf.geschlossen[sorted(akten, key=str)[0]]
        for feld, werte in felder.items():
            if buero.get(feld) != werte["neu"]:
                _zurueckstellen(
                    lauf,
                    akte_id=akte.pk,
                    modell=modell,
                    objekt_id=objekt_id,
                    feld=feld,
                    basis=werte["basis"],
                    buero_wert=buero.get(feld),
                    koffer_wert=werte["neu"],
                    grund=abgeschlossen(akte),
                )
        return
    akte_id = sorted(offen, key=str)[0]
    geaendert: list[str] = []
    # A Vorgang's status goes through the E-Akte's status service (its step, its audit,
    # its rules), after the plain fields; it sets ``closed_at`` itself.
    status: str | None = None
    for feld, werte in felder.items():
        aktuell = buero.get(feld)
        if aktuell == werte["neu"]:
            continue
        if aktuell == werte["basis"] and isinstance(obj, Vorgang) and feld == "status":
            status = str(werte["neu"])
            continue
        if aktuell == werte["basis"]:
            field = regeln.feld(model, feld)
            try:
                wert = field.clean(field.to_python(werte["neu"]), obj)
            except ValidationError as exc:
                lauf.fehler.append(
                    f"{regeln.name(modell)} {objekt_id}, „{field.verbose_name}“: "
                    + " ".join(exc.messages)
                )
                continue
            setattr(obj, field.attname, wert)
            geaendert.append(field.attname)
            continue
        lauf.konflikte.append(
            Konflikt(
                tenant_id=lauf.tenant_id,
                abgleich=abgleich,
                akte_id=akte_id,
                modell=modell,
                objekt_id=objekt_id,
                feld=feld,
                basis=werte["basis"],
                buero_wert=aktuell,
                koffer_wert=werte["neu"],
                created_at=now,
            )
        )
        lauf.pro_akte[akte_id]["konflikte"].append(f"{modell}.{feld}")
    if status is not None and "closed_at" in geaendert:
        geaendert.remove("closed_at")
    if geaendert:
        try:
            with transaction.atomic():
                obj.save(update_fields=geaendert)
        except IntegrityError:
            lauf.fehler.append(
                f"{regeln.name(modell)} {objekt_id}: diese Werte passen nicht zusammen."
            )
            return
    if status is not None:
        assert isinstance(obj, Vorgang)
        try:
            with transaction.atomic():  # a savepoint: a refusal leaves the push usable
                records.change_vorgang_status(
                    actor=lauf.actor, vorgang=obj, status=status, note="Im Koffer geändert."
                )
        except DomainError as exc:
            _zurueckstellen(
                lauf,
                akte_id=akte_id,
                modell=modell,
                objekt_id=objekt_id,
                feld="status",
                basis=felder["status"]["basis"],
                buero_wert=buero.get("status"),
                koffer_wert=status,
                grund=exc.message,
            )
        else:
            geaendert.append("status")
    if geaendert:
        lauf.uebernommen += len(geaendert)
        lauf.pro_akte[akte_id]["geaendert"].extend(f"{modell}.{f}" for f in geaendert)
        # the rows, for a Koffer's next partial pull (field.paket.selectors.auswahl)
        lauf.pro_akte[akte_id].setdefault("zeilen", []).append(f"{modell}:{objekt_id}")


def abgeschlossen(akte: Akte) -> str:
    """Why a closed Akte takes nothing from the Koffer, in German."""
    am = f" am {timezone.localtime(akte.closed_at):%d.%m.%Y}" if akte.closed_at else ""
    return (
        f"Akte {akte.aktenzeichen} wurde im Büro abgeschlossen{am}; die Änderung aus dem"
        " Koffer wurde nicht übernommen und wartet unter „Koffer: Konflikte“ auf eine"
        " Entscheidung."
    )


def _zurueckstellen(
    lauf: _Lauf,
    *,
    akte_id: uuid.UUID,
    modell: str,
    objekt_id: str,
    feld: str,
    koffer_wert: Any,
    grund: str,
    basis: Any = None,
    buero_wert: Any = None,
) -> None:
    """A change or a new row (``feld`` empty, the row in ``koffer_wert``) the office did
    not take: into the queue with ``grund``, for a person to decide; never dropped. The
    Koffer sends it again until its pull brings the office's state: the same value
    already waiting is not queued twice."""
    assert lauf.abgleich is not None
    if not feld:
        lauf.zurueckgestellt.add(objekt_id)
    lauf.pro_akte[akte_id]["konflikte"].append(f"{modell}.{feld}" if feld else modell)
    lauf.hinweise.append(f"{regeln.name(modell)}: {grund}")
    wartet = Konflikt.objects.for_tenant(lauf.tenant_id).filter(
        art=Konflikt.Art.ABGELEHNT, modell=modell, objekt_id=objekt_id, feld=feld
    )
    if any(k.koffer_wert == koffer_wert for k in wartet):
        return
    lauf.konflikte.append(
        Konflikt(
            tenant_id=lauf.tenant_id,
            abgleich=lauf.abgleich,
            akte_id=akte_id,
            modell=modell,
            objekt_id=objekt_id,
            feld=feld,
            basis=basis,
            buero_wert=buero_wert,
            koffer_wert=koffer_wert,
            art=Konflikt.Art.ABGELEHNT,
            hinweis=grund[:500],
            created_at=lauf.now,
        )
    )


def _nicht_gehalten(lauf: _Lauf, modell: str, objekt_id: str, akte_id: Any) -> str:
    """Why a row of the push lies in no Akte this Koffer may bring back, in German."""
    was = f"{regeln.name(modell)} {objekt_id}"
    akte = None
    if akte_id:
        try:
            akte = Akte.objects.for_tenant(lauf.tenant_id).filter(pk=akte_id).first()
        except (ValidationError, ValueError):
            akte = None
    if akte_id and akte is None:
        return f"{was}: die Akte wurde im Büro gelöscht; die Änderung bleibt im Koffer."
    if akte is not None:
        held = Ausleihe.objects.for_tenant(lauf.tenant_id).filter(geraet=lauf.geraet, akte=akte)
        if held.exists():
            return (
                f"{was}: die Akte {akte.aktenzeichen} dürfen Sie im Büro nicht mehr ändern"
                " (Zugriff entzogen oder Akte eingeschränkt); die Änderung bleibt im Koffer."
            )
        return f"{was}: die Akte {akte.aktenzeichen} war nie in diesem Koffer."
    return f"{was} gehört zu keiner Akte dieses Koffers."


def _felder(obj: models.Model) -> dict[str, Any]:
    return dict(serializers.serialize("python", [obj])[0]["fields"])


def _neu_einfuegen(lauf: _Lauf, neu: list[Any]) -> None:
    """Open the Akten made on the Koffer (:func:`_neue_akten`), then insert the other rows
    created there, in order, with their own primary keys; a row already here is skipped (a
    retry). Their files must be on the office already."""
    rows: list[dict[str, Any]] = []
    akten_zeilen: list[dict[str, Any]] = []
    for item in neu:
        if isinstance(item, dict) and str(item.get("model")) in regeln.NEUE_AKTE:
            fields = item.get("fields")
            if isinstance(fields, dict) and str(fields.get("tenant")) == str(lauf.tenant_id):
                akten_zeilen.append(item)
            else:
                lauf.fehler.append(f"{regeln.name(str(item['model']))}: falscher Mandant.")
            continue
        if not isinstance(item, dict) or str(item.get("model")) not in regeln.NEU:
            modell = item.get("model") if isinstance(item, dict) else "?"
            lauf.fehler.append(
                f"{regeln.name(str(modell))}: diese Daten darf der Koffer nicht anlegen."
            )
            continue
        fields = item.get("fields")
        if not isinstance(fields, dict) or str(fields.get("tenant")) != str(lauf.tenant_id):
            lauf.fehler.append(
                f"{regeln.name(str(item['model']))} {item.get('pk')}: falscher Mandant."
            )
            continue
        rows.append({"model": item["model"], "pk": item.get("pk"), "fields": fields})
    if akten_zeilen:
        _neue_akten(lauf, akten_zeilen)
    reihe = list(regeln.NEU)
    # a document's versions in their order: the first files it, the next follow it
    rows.sort(key=lambda row: (reihe.index(str(row["model"])), _nummer(row)))
    try:
        objekte = [d.object for d in serializers.deserialize("python", rows)]
    except serializers.base.DeserializationError as exc:
        lauf.fehler.append(f"Neue Daten sind unlesbar: {exc}")
        return
    fehlen: set[str] = set()
    store = get_store()
    for obj in objekte:
        fehlen.update(s for s in regeln.blobs_von(obj) if not store.exists(s))
    if fehlen:
        raise BlobFehlt(sorted(fehlen))
    blobs: set[str] = set()
    for zeile, obj in zip(rows, objekte, strict=True):
        modell = obj._meta.label_lower
        if type(obj)._base_manager.filter(pk=obj.pk).exists():
            continue
        akte_id = _akte_der_neuen_zeile(lauf, obj)
        if akte_id is None or akte_id not in lauf.gehalten:
            lauf.fehler.append(
                _nicht_gehalten(lauf, modell, str(obj.pk), getattr(obj, "akte_id", akte_id))
            )
            continue
        grund = _nicht_nehmen(lauf, obj, akte_id)
        if grund is None and isinstance(obj, Dokument):
            # Filed by the E-Akte's service together with its first version, below.
            lauf.dokumente[obj.pk] = (obj, zeile)
            continue
        if grund is None:
            try:
                with transaction.atomic():  # a savepoint: a refusal leaves the push usable
                    if not _einfuegen(lauf, obj, akte_id):
                        continue
            except DomainError as exc:
                grund = exc.message
            except (IntegrityError, ValidationError, ValueError, ObjectDoesNotExist) as exc:
                lauf.fehler.append(f"{regeln.name(modell)} {obj.pk} passt nicht: {exc}")
                continue
        if grund is not None:
            if isinstance(obj, DokumentVersion) and obj.dokument_id in lauf.dokumente:
                # A new document whose first file was refused waits with it.
                dokument, dokument_zeile = lauf.dokumente.pop(obj.dokument_id)
                _zurueckstellen(
                    lauf,
                    akte_id=akte_id,
                    modell="records.dokument",
                    objekt_id=str(dokument.pk),
                    feld="",
                    koffer_wert=dokument_zeile,
                    grund=grund,
                )
            # Kept whole for a person to decide (its files stay: they are named there).
            _zurueckstellen(
                lauf,
                akte_id=akte_id,
                modell=modell,
                objekt_id=str(obj.pk),
                feld="",
                koffer_wert=zeile,
                grund=grund,
            )
            blobs.update(regeln.blobs_von(obj))
            continue
        blobs.update(regeln.blobs_von(obj))
        lauf.neu += 1
        lauf.pro_akte[akte_id]["neu"].append(f"{modell}:{obj.pk}")
    for dokument, _ in lauf.dokumente.values():
        lauf.fehler.append(f"Dokument {dokument.pk}: ohne Datei aus dem Koffer gesendet.")
    if blobs:
        # Referenced now: the marks of their uploads go (like an upload's settle).
        PendingBlob.objects.unscoped().filter(
            tenant_id=lauf.tenant_id, sha256__in=sorted(blobs)
        ).delete()


def _nummer(row: dict[str, Any]) -> int:
    try:
        return int(row["fields"].get("number") or 0)
    except (TypeError, ValueError):
        return 0


def _akte_der_neuen_zeile(lauf: _Lauf, obj: models.Model) -> uuid.UUID | None:
    """The Akte of a new row; a row below a new row kept in the queue (a step of a Vorgang
    not taken) names its Akte through the queued row."""
    if isinstance(obj, DokumentVersion) and obj.dokument_id in lauf.dokumente:
        return lauf.dokumente[obj.dokument_id][0].akte_id
    akte_id = regeln.akte_von(obj)
    if akte_id is not None:
        return akte_id
    for field in obj._meta.concrete_fields:
        wert = str(getattr(obj, field.attname))
        if not field.is_relation or wert not in lauf.zurueckgestellt:
            continue
        for konflikt in lauf.konflikte:
            if konflikt.objekt_id == wert:
                return konflikt.akte_id
        # queued by an earlier push (this one found it waiting already)
        return (
            Konflikt.objects.for_tenant(lauf.tenant_id)
            .filter(art=Konflikt.Art.ABGELEHNT, objekt_id=wert, feld="")
            .values_list("akte_id", flat=True)
            .first()
        )
    return None


def _nicht_nehmen(lauf: _Lauf, obj: models.Model, akte_id: uuid.UUID) -> str | None:
    """Why a new row from the Koffer waits instead of being written, or None."""
    akte = lauf.geschlossen.get(akte_id)
    if akte is not None:
        return abgeschlossen(akte)
    for field in obj._meta.concrete_fields:
        wert = getattr(obj, field.attname)
        if field.is_relation and wert is not None and str(wert) in lauf.zurueckgestellt:
            assert field.related_model is not None
            return (
                f"{regeln.name(field.related_model._meta.label_lower)} {wert}, zu dem dies"
                " gehört, wurde nicht übernommen; es wartet mit ihm auf eine Entscheidung."
            )
    return None


def _einfuegen(lauf: _Lauf, obj: models.Model, akte_id: uuid.UUID) -> bool:
    """Write one row made on the Koffer, through the E-Akte's service where it has one (its
    effects: audit, the Akte touched, the Vorgang's first step, the desk's Wiedervorlage);
    ``False`` when the service already wrote it (a Vorgang's „angelegt“ step)."""
    if isinstance(obj, Vorgang):
        akte = Akte.objects.for_tenant(lauf.tenant_id).get(pk=akte_id)
        typ = VorgangTyp.objects.for_tenant(lauf.tenant_id).get(pk=obj.typ_id)
        caseworker = User.objects.get(pk=obj.caseworker_id) if obj.caseworker_id else None
        vorgang = records.create_vorgang(
            actor=lauf.actor, akte=akte, typ=typ, title=obj.title, caseworker=caseworker, pk=obj.pk
        )
        if obj.status != vorgang.status:
            # Worked on offline as well: its status through the E-Akte's status service
            # (its rules, step, audit and ``closed_at``) like a changed Vorgang's.
            records.change_vorgang_status(
                actor=lauf.actor, vorgang=vorgang, status=obj.status, note="Im Koffer geändert."
            )
        return True
    if isinstance(obj, Frist):
        # Through the E-Akte's service: the office's Fristregel computes the end from the
        # day it began (the Koffer's ``base_date``), with its step and audit.
        vorgang = Vorgang.objects.for_tenant(lauf.tenant_id).get(pk=obj.vorgang_id)
        regel = (
            FristRegel.objects.for_tenant(lauf.tenant_id).get(pk=obj.regel_id)
            if obj.regel_id
            else None
        )
        frist = records.add_frist(
            actor=lauf.actor,
            vorgang=vorgang,
            base_date=obj.base_date,
            regel=regel,
            label=obj.label,
            due=None if regel is not None else obj.due_date,
            pk=obj.pk,
        )
        if obj.done_at is not None:
            # Kept on the Koffer as well: its own step of it comes as a row.
            Frist.objects.for_tenant(lauf.tenant_id).filter(pk=frist.pk).update(done_at=obj.done_at)
        return True
    if isinstance(obj, VorgangSchritt) and obj.action in SCHRITTE_DER_DIENSTE:
        vom_dienst = (
            VorgangSchritt.objects.for_tenant(lauf.tenant_id)
            .filter(vorgang_id=obj.vorgang_id, action=obj.action)
            .exclude(pk__in=lauf.schritte)
        )
        if obj.action != "angelegt":
            vom_dienst = vom_dienst.filter(detail=obj.detail)
        erster = vom_dienst.order_by("at").first()
        if erster is not None:
            # The service wrote this step (the Vorgang's first, a Frist's; now, or in a
            # push before); it takes the Koffer's id, so that both sides name the same
            # row and the pull updates the Koffer's in place instead of adding a second.
            VorgangSchritt.objects.for_tenant(lauf.tenant_id).filter(pk=erster.pk).update(id=obj.pk)
            lauf.schritte.add(obj.pk)
            return False
    if isinstance(obj, Wiedervorlage):
        akte = Akte.objects.for_tenant(lauf.tenant_id).get(pk=akte_id)
        heute = timezone.localdate()
        wv = records.set_wiedervorlage(
            actor=lauf.actor,
            akte=akte,
            due_date=obj.due_date,
            assignee=User.objects.get(pk=obj.assignee_id) if obj.assignee_id else None,
            unit=(
                Organisationseinheit.objects.for_tenant(lauf.tenant_id).get(pk=obj.unit_id)
                if obj.unit_id
                else None
            ),
            vorgang=(
                Vorgang.objects.for_tenant(lauf.tenant_id).get(pk=obj.vorgang_id)
                if obj.vorgang_id
                else None
            ),
            dokument=_dokument(lauf, obj.dokument_id) if obj.dokument_id else None,
            note=obj.note,
            # Set on the Koffer when it lay ahead: now past, it is overdue, not wrong.
            today=min(heute, obj.due_date),
            pk=obj.pk,
        )
        if obj.done_at is not None:
            Wiedervorlage.objects.for_tenant(lauf.tenant_id).filter(pk=wv.pk).update(
                done_at=obj.done_at
            )
        return True
    if isinstance(obj, Dokument):
        # Only when a person takes a queued document: filed with its waiting first file.
        _dokument_nachtragen(lauf, obj, akte_id)
        return True
    if isinstance(obj, DokumentVersion):
        _version_ablegen(lauf, obj, akte_id)
        return True
    if isinstance(obj, Entwurf):
        ausfuellen.entwurf_uebernehmen(
            actor=lauf.actor,
            entwurf=obj,
            origin=_herkunft(lauf, "forms.entwurf.create", "forms.entwurf", obj.pk),
        )
        return True
    if isinstance(obj, Einreichung):
        ausfuellen.einreichung_uebernehmen(
            actor=lauf.actor,
            einreichung=obj,
            origin=_herkunft(lauf, "forms.einreichung.create", "forms.einreichung", obj.pk),
        )
        return True
    obj.save(force_insert=True)
    return True


def _herkunft(
    lauf: _Lauf, action: str, object_type: str, object_id: Any, **gleich: Any
) -> dict[str, Any]:
    """What the office's event about a row from the Koffer names: the Koffer, and its own
    event about it in the segment (appended in this push or before), if it has one."""
    ereignis = segment_lesen.ereignis_aus_koffer(
        geraet=lauf.geraet,
        action=action,
        object_type=object_type,
        object_id=object_id,
        **gleich,
    )
    return {"koffer": str(lauf.geraet.pk), "koffer_ereignis": ereignis}


def _version_ablegen(lauf: _Lauf, obj: DokumentVersion, akte_id: uuid.UUID) -> None:
    """A document version made on the Koffer, through the E-Akte's service: inspected as
    a hand upload (a refusal raises and the version waits in the queue with the reason),
    numbered by the office, made current, audited as the field worker with the Koffer's
    event. The first version of a new document files the document with it."""
    version = _erhalten(obj.pk, {**_felder(obj), "created_at": obj.created_at.isoformat()})
    if version is None:
        raise FieldError("version_unlesbar", "Die Dokumentversion aus dem Koffer ist unlesbar.")
    vorab = lauf.vorab.get(obj.pk)
    if isinstance(vorab, DomainError):
        raise vorab
    neu = lauf.dokumente.pop(obj.dokument_id, None)
    if neu is None:
        dokument = Dokument.objects.for_tenant(lauf.tenant_id).filter(pk=obj.dokument_id).first()
        if dokument is None:
            raise FieldError(
                "dokument_wartet",
                "Das Dokument dieser Version ist nicht im Büro; entscheiden Sie zuerst über"
                " das Dokument.",
            )
        dokumente.add_received_version(
            actor=lauf.actor,
            dokument=dokument,
            version=version,
            content=vorab,
            origin=_herkunft(
                lauf,
                "records.dokument.version",
                "records.dokument",
                dokument.pk,
                sha256=version.sha256,
            ),
        )
        return
    dokument = neu[0]
    dokumente.file_received(
        actor=lauf.actor,
        akte=Akte.objects.for_tenant(lauf.tenant_id).get(pk=dokument.akte_id),
        pk=dokument.pk,
        version=version,
        meta=dokumente.DocumentMeta(
            title=dokument.title,
            kind=dokument.kind,
            direction=dokument.direction,
            sender=dokument.sender,
            received_on=dokument.received_on,
            source=dokument.source,
        ),
        vorgang=(
            Vorgang.objects.for_tenant(lauf.tenant_id).get(pk=dokument.vorgang_id)
            if dokument.vorgang_id
            else None
        ),
        created_at=dokument.created_at,
        content=vorab,
        origin=_herkunft(lauf, "records.dokument.create", "records.dokument", dokument.pk),
    )
    lauf.neu += 1
    lauf.pro_akte[akte_id]["neu"].append(f"records.dokument:{dokument.pk}")


def _dokument_nachtragen(lauf: _Lauf, dokument: Dokument, akte_id: uuid.UUID) -> None:
    """A queued new document taken after all: filed with its versions waiting in the
    queue (their entries settled with it)."""
    wartend = [
        k
        for k in Konflikt.objects.for_tenant(lauf.tenant_id)
        .select_for_update()
        .filter(
            art=Konflikt.Art.ABGELEHNT,
            status=Konflikt.Status.OFFEN,
            modell="records.dokumentversion",
            feld="",
        )
        .order_by("created_at")
        if isinstance(k.koffer_wert, dict)
        and str(k.koffer_wert.get("fields", {}).get("dokument")) == str(dokument.pk)
    ]
    if not wartend:
        raise FieldError("datei_fehlt", "Zu diesem Dokument wartet keine Datei aus dem Koffer.")
    versionen: list[DokumentVersion] = []
    for k in wartend:
        obj = next(iter(serializers.deserialize("python", [k.koffer_wert]))).object
        assert isinstance(obj, DokumentVersion)
        versionen.append(obj)
    lauf.dokumente[dokument.pk] = (dokument, {})
    for version in sorted(versionen, key=lambda v: v.number):
        _version_ablegen(lauf, version, akte_id)
    Konflikt.objects.for_tenant(lauf.tenant_id).filter(pk__in=[k.pk for k in wartend]).update(
        status=Konflikt.Status.ENTSCHIEDEN,
        entscheidung=Konflikt.Entscheidung.KOFFER,
        entschieden_von=lauf.actor,
        entschieden_am=timezone.now(),
    )


def _dokument(lauf: _Lauf, pk: uuid.UUID) -> Dokument:
    return Dokument.objects.for_tenant(lauf.tenant_id).get(pk=pk)


class _NeueAkten:
    """The rows of the Akten made on the Koffer, by model and id."""

    def __init__(self, zeilen: list[dict[str, Any]]) -> None:
        self.zeilen: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for item in zeilen:
            self.zeilen[str(item["model"])][str(item.get("pk"))] = item["fields"]
        self.verbraucht: set[tuple[str, str]] = set()

    def von(self, modell: str, **filter: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (pk, f)
            for pk, f in self.zeilen.get(modell, {}).items()
            if all(str(f.get(k)) == v for k, v in filter.items())
        ]


def _neue_akten(lauf: _Lauf, zeilen: list[dict[str, Any]]) -> None:
    """Open each Akte made on the Koffer through the E-Akte's services, as its field
    worker: its UUID kept, the next real Aktenzeichen drawn from the office's gap-free
    counter (the Koffer's provisional ``KOFFER-…`` replaced), its new persons and BG made
    with it (BG-Nummer drawn alike). The worker must be allowed to open Akten in its unit
    (the E-Akte's rule). An Akte already here from an earlier push of this Koffer draws
    nothing again: its number is answered once more."""
    neu = _NeueAkten(zeilen)
    mandant = Mandant.objects.get(pk=lauf.tenant_id)
    for pk, fields in neu.von("records.akte"):
        neu.verbraucht.add(("records.akte", pk))
        try:
            akte_id = uuid.UUID(pk)
        except ValueError:
            lauf.fehler.append(f"Akte {pk}: ungültige Kennung.")
            continue
        vorlaeufig = str(fields.get("aktenzeichen", ""))
        vorhanden = Akte.objects.unscoped().filter(pk=akte_id).first()
        if vorhanden is not None:
            _schon_da(lauf, neu, vorhanden, vorlaeufig)
            continue
        try:
            with transaction.atomic():  # a savepoint: a refusal leaves the push usable
                akte = _akte_oeffnen(lauf, neu, mandant, akte_id, fields)
        except DomainError as exc:
            lauf.fehler.append(f"Akte „{fields.get('title', '')}“ ({vorlaeufig}): {exc.message}")
            continue
        except (ValidationError, ValueError, IntegrityError, ObjectDoesNotExist) as exc:
            lauf.fehler.append(
                f"Akte „{fields.get('title', '')}“ ({vorlaeufig}) passt nicht: {exc}"
            )
            continue
        lauf.gehalten.add(akte.pk)
        lauf.neue_akten.append(akte)
        lauf.nummern[str(akte.pk)] = akte.aktenzeichen
        lauf.neu += 1
        lauf.pro_akte[akte.pk]["neu"].append(f"records.akte:{akte.pk}")
        lauf.hinweise.append(
            f"Die im Koffer angelegte Akte „{akte.title}“ ({vorlaeufig}) hat das"
            f" Aktenzeichen {akte.aktenzeichen} erhalten."
        )
        audit.record(
            actor=lauf.actor,
            tenant_id=lauf.tenant_id,
            action="field.akte_angelegt",
            obj=akte,
            changes={
                "koffer": str(lauf.geraet.pk),
                "vorlaeufig": vorlaeufig,
                "aktenzeichen": akte.aktenzeichen,
                "bg": lauf.nummern.get(str(akte.bg_id)) if akte.bg_id else None,
            },
        )
    for modell, rows in sorted(neu.zeilen.items()):
        for pk in sorted(rows):
            if (modell, pk) not in neu.verbraucht:
                lauf.fehler.append(
                    f"{regeln.name(modell)} {pk} gehört zu keiner im Koffer angelegten Akte."
                )


def _schon_da(lauf: _Lauf, neu: _NeueAkten, akte: Akte, vorlaeufig: str) -> None:
    """An Akte of an earlier push of this Koffer (the answer was lost): its rows are not
    made again, its numbers answered again."""
    if akte.tenant_id != lauf.tenant_id or akte.pk not in lauf.gehalten:
        lauf.fehler.append(f"Akte {vorlaeufig}: diese Kennung gibt es im Büro schon.")
        return
    lauf.nummern[str(akte.pk)] = akte.aktenzeichen
    if akte.bg_id is not None:
        bg = Bedarfsgemeinschaft.objects.for_tenant(lauf.tenant_id).get(pk=akte.bg_id)
        lauf.nummern[str(bg.pk)] = bg.bg_nummer
    for modell in regeln.NEUE_AKTE:
        for pk in neu.zeilen.get(modell, {}):
            neu.verbraucht.add((modell, pk))


def _akte_oeffnen(
    lauf: _Lauf, neu: _NeueAkten, mandant: Mandant, akte_id: uuid.UUID, fields: dict[str, Any]
) -> Akte:
    """One new Akte with its subjects and BG, through the E-Akte's services."""
    personen: dict[str, Person] = {}

    def person(pk: str) -> Person:
        if pk in personen:
            return personen[pk]
        zeile = neu.zeilen.get("records.person", {}).get(pk)
        vorhanden = Person.objects.for_tenant(lauf.tenant_id).filter(pk=pk).first()
        if vorhanden is not None:
            if not regeln.akten_der_person(lauf.tenant_id, vorhanden.pk) & lauf.gehalten:
                raise FieldError(
                    "person_fremd", "eine genannte Person gehört zu keiner Akte dieses Koffers."
                )
            found = vorhanden
        elif zeile is None:
            raise FieldError("person_fehlt", "eine genannte Person fehlt.")
        else:
            found = records.create_person(
                actor=lauf.actor,
                tenant=mandant,
                pk=uuid.UUID(pk),
                **{k: _person_wert(k, zeile.get(k)) for k in regeln.PERSON_FELDER},
            )
        neu.verbraucht.add(("records.person", pk))
        personen[pk] = found
        return found

    subjekte = []
    for pk, zeile in neu.von("records.aktesubjekt", akte=str(akte_id)):
        neu.verbraucht.add(("records.aktesubjekt", pk))
        subjekte.append(person(str(zeile.get("person"))))
    bg = None
    if fields.get("bg"):
        bg_id = str(fields["bg"])
        bg = Bedarfsgemeinschaft.objects.for_tenant(lauf.tenant_id).filter(pk=bg_id).first()
        if bg is None and bg_id in neu.zeilen.get("records.bedarfsgemeinschaft", {}):
            mitglieder = []
            for pk, m in neu.von("records.bgmitglied", bg=bg_id):
                neu.verbraucht.add(("records.bgmitglied", pk))
                mitglieder.append((person(str(m.get("person"))), str(m.get("rolle", ""))))
            bg = records.create_bedarfsgemeinschaft(
                actor=lauf.actor, tenant=mandant, members=mitglieder, pk=uuid.UUID(bg_id)
            )
            lauf.nummern[bg_id] = bg.bg_nummer
        elif bg is None or not (
            set(Akte.objects.for_tenant(lauf.tenant_id).filter(bg=bg).values_list("pk", flat=True))
            & lauf.gehalten
        ):
            raise FieldError(
                "bg_fremd", "die Bedarfsgemeinschaft gehört zu keiner Akte dieses Koffers."
            )
        neu.verbraucht.add(("records.bedarfsgemeinschaft", bg_id))
    plan = Aktenplaneinheit.objects.for_tenant(lauf.tenant_id).get(
        pk=fields.get("aktenplaneinheit")
    )
    unit = Organisationseinheit.objects.for_tenant(lauf.tenant_id).get(pk=fields.get("unit"))
    caseworker = (
        User.objects.filter(pk=fields["caseworker"]).first() if fields.get("caseworker") else None
    )
    return records.create_akte(
        actor=lauf.actor,
        tenant=mandant,
        aktenplaneinheit=plan,
        unit=unit,
        title=str(fields.get("title", "")),
        subjects=subjekte,
        bg=bg,
        caseworker=caseworker,
        access_level=str(fields.get("access_level") or "") or None,
        pk=akte_id,
    )


def _person_wert(feld: str, wert: Any) -> Any:
    if feld == "birth_date":
        return datetime.fromisoformat(str(wert)).date() if wert else None
    return "" if wert is None else str(wert)


def _mitgeben(lauf: _Lauf) -> None:
    """The Akten made on the Koffer are checked out to it (its next pull brings them back
    with their real numbers; a push that returns everything ends them right after): so
    they count as held by this Koffer, for a retried push too."""
    try:
        geraete.ausleihen(actor=lauf.actor, geraet=lauf.geraet, akten=lauf.neue_akten)
    except DomainError as exc:
        lauf.hinweise.append(
            "Die im Koffer angelegten Akten bleiben im Büro; sie konnten nicht im Koffer"
            f" bleiben: {exc.message}"
        )


def _zurueckgeben(lauf: _Lauf) -> None:
    akten = set(lauf.pro_akte) | lauf.gehalten
    offene = (
        Ausleihe.objects.for_tenant(lauf.tenant_id)
        .filter(geraet=lauf.geraet, zurueck_am__isnull=True, bis__gt=timezone.now())
        .filter(akte_id__in=akten)
    )
    for ausleihe in offene:
        geraete.zurueckgeben(actor=lauf.actor, ausleihe=ausleihe)


def _zeit(value: Any) -> datetime | None:
    try:
        found = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return found if timezone.is_aware(found) else None


# --- Konflikte ---------------------------------------------------------------------------


def entscheiden(*, actor: User, konflikt: Konflikt, entscheidung: str) -> Konflikt:
    """Settle an open conflict: keep the office's value (``buero``) or take the Koffer's
    (``koffer``; the row must still exist, else the deletion wins). Audited on the Akte."""
    from koffer.field.abgleich import selectors

    access = selectors.access_von(actor, konflikt.tenant_id)
    if not rules.entscheidet_konflikt(access, actor.pk, konflikt):
        raise NotFound("not_found", "Diesen Konflikt gibt es nicht.")
    if entscheidung not in Konflikt.Entscheidung.values:
        raise FieldError(
            "entscheidung", "Bitte wählen Sie den Wert aus dem Büro oder aus dem Koffer."
        )
    now = timezone.now()
    with transaction.atomic():
        row = (
            Konflikt.objects.for_tenant(konflikt.tenant_id).select_for_update().get(pk=konflikt.pk)
        )
        if row.status != Konflikt.Status.OFFEN:
            raise Conflict("entschieden", "Dieser Konflikt ist bereits entschieden.")
        if entscheidung == Konflikt.Entscheidung.KOFFER and row.art == Konflikt.Art.ABGELEHNT:
            _nachtragen(actor, row)
        elif entscheidung == Konflikt.Entscheidung.KOFFER:
            model = regeln.GEAENDERT_MODELLE[row.modell]
            obj = (
                model._base_manager.select_for_update()
                .filter(tenant_id=row.tenant_id, pk=row.objekt_id)
                .first()
            )
            if obj is None:
                row.art = Konflikt.Art.GELOESCHT
                row.hinweis = HINWEIS_GELOESCHT
                entscheidung = Konflikt.Entscheidung.BUERO
            else:
                try:
                    _feld_setzen(actor, obj, row)
                except ValidationError as exc:
                    raise FieldError("wert_ungueltig", " ".join(exc.messages)) from exc
                except DomainError as exc:
                    raise FieldError("nicht_uebernommen", exc.message) from exc
        row.status = Konflikt.Status.ENTSCHIEDEN
        row.entscheidung = entscheidung
        row.entschieden_von = actor
        row.entschieden_am = now
        row.save(
            update_fields=[
                "art",
                "hinweis",
                "status",
                "entscheidung",
                "entschieden_von",
                "entschieden_am",
            ]
        )
        audit.record(
            actor=actor,
            tenant_id=row.tenant_id,
            action="field.konflikt.entscheiden",
            obj=row.akte if row.akte_id else ("field.konflikt", str(row.pk)),
            changes={
                "modell": row.modell,
                "objekt": row.objekt_id,
                "feld": row.feld,
                "entscheidung": entscheidung,
            },
        )
    return row


def _nachtragen(actor: User, row: Konflikt) -> None:
    """Take what the office did not take at the sync after all (a person decided so): a
    new row through the E-Akte's service as at the sync, a changed field through the
    status service or as the merge writes it. The Akte must be open again and the service
    must take it now; else its German reason, and the queue entry stays open."""
    if (
        row.akte_id is None
        or not Akte.objects.for_tenant(row.tenant_id)
        .filter(pk=row.akte_id, status=Akte.Status.OPEN)
        .exists()
    ):
        raise FieldError(
            "akte_geschlossen",
            "Die Akte ist abgeschlossen oder gelöscht. Öffnen Sie sie zuerst wieder, um die"
            " Änderung aus dem Koffer zu übernehmen.",
        )
    geraet = Geraet.objects.for_tenant(row.tenant_id).get(
        pk=Abgleich.objects.for_tenant(row.tenant_id)
        .filter(pk=row.abgleich_id)
        .values_list("geraet_id", flat=True)
        .get()
    )
    lauf = _Lauf(actor, geraet)
    lauf.gehalten.add(row.akte_id)
    try:
        with transaction.atomic():
            if row.feld:
                _feld_nachtragen(actor, row)
            else:
                _zeile_nachtragen(lauf, row)
    except DomainError as exc:
        raise FieldError("nicht_uebernommen", exc.message) from exc
    except (IntegrityError, ValidationError, ValueError, ObjectDoesNotExist) as exc:
        raise FieldError(
            "nicht_uebernommen", f"Die Änderung aus dem Koffer passt nicht mehr: {exc}"
        ) from exc


def _feld_nachtragen(actor: User, row: Konflikt) -> None:
    model = regeln.GEAENDERT_MODELLE[row.modell]
    obj = (
        model._base_manager.select_for_update()
        .filter(tenant_id=row.tenant_id, pk=row.objekt_id)
        .first()
    )
    if obj is None:
        raise FieldError("geloescht", HINWEIS_GELOESCHT)
    _feld_setzen(actor, obj, row)


def _feld_setzen(actor: User, obj: models.Model, row: Konflikt) -> None:
    """The Koffer's value of a queued field, as decided: a Vorgang's status through the
    E-Akte's status service, any other field as the merge writes it."""
    if isinstance(obj, Vorgang) and row.feld == "status":
        records.change_vorgang_status(
            actor=actor, vorgang=obj, status=str(row.koffer_wert), note="Aus dem Koffer."
        )
        return
    field = regeln.feld(type(obj), row.feld)
    setattr(obj, field.attname, field.clean(field.to_python(row.koffer_wert), obj))
    obj.save(update_fields=[field.attname])


def _zeile_nachtragen(lauf: _Lauf, row: Konflikt) -> None:
    obj = next(iter(serializers.deserialize("python", [row.koffer_wert]))).object
    if type(obj)._base_manager.filter(pk=obj.pk).exists():
        return  # taken meanwhile (a Koffer's later push)
    assert row.akte_id is not None
    _einfuegen(lauf, obj, row.akte_id)
    blobs = regeln.blobs_von(obj)
    if blobs:
        PendingBlob.objects.unscoped().filter(
            tenant_id=row.tenant_id, sha256__in=sorted(blobs)
        ).delete()


def sicherung_bestaetigen(
    *, actor: User | None, tenant_id: uuid.UUID, stand: datetime, von: str = ""
) -> Sicherung:
    """Record that a completed backup holds everything the office had committed at
    ``stand`` (when the backup began; ``manage.py backup_bestaetigt``, run by the backup
    job after it finished, or by an administrator). From then on every answer to a Koffer
    names its newest push in that backup (``selectors.gesichert``), and the Koffer drops
    the pushes it kept up to that one. A time in the future is refused: a marker must not
    confirm pushes that arrive later. Audited ``field.sicherung.bestaetigt``."""
    if timezone.is_naive(stand):
        raise FieldError("sicherung_zeit", "Der Zeitpunkt der Sicherung braucht eine Zeitzone.")
    if stand > timezone.now():
        raise FieldError(
            "sicherung_zukunft",
            "Der Beginn der Sicherung liegt in der Zukunft; bitte den Zeitpunkt angeben, zu"
            " dem die Sicherung begonnen hat.",
        )
    with transaction.atomic():
        sicherung = Sicherung.objects.create(tenant_id=tenant_id, stand=stand, erfasst_von=von)
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="field.sicherung.bestaetigt",
            obj=sicherung,
            changes={"stand": stand.isoformat(), "von": von},
        )
    return sicherung
