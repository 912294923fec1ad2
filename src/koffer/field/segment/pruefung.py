"""Checking a Koffer's audit segment in the office, before anything of its push is
applied: the chain's continuity (seq without gaps, every ``prev_hash`` the hash before,
the first going on from what the office accepted last from this Koffer), every event's
seal under a key issued to this Koffer, its Mandant and its actor (the Koffer's field
worker, or none). The first refusal is reported in German, naming the event.

Events the office already accepted (a segment sent again, or one reaching back before the
last accepted event) verify like the rest; they are not appended again. A segment that
begins after the last accepted event (the office's database restored from an older
backup) is neither taken nor quarantined: the Koffer is asked to send again from the event
after it (``SegmentNachholen``), which must link to the hash the office holds."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from koffer.audit import keys
from koffer.audit.chain import HASHED_FIELDS, canonical
from koffer.audit.models import GENESIS_HASH
from koffer.field.errors import SegmentNachholen, SegmentUngueltig
from koffer.field.models import Geraet
from koffer.field.segment import schluessel

BEGINN = "field.segment.beginn"
MAX_EREIGNISSE = 10_000  # the Koffer sends at most 2,000 at a time

OHNE_SCHLUESSEL = (
    "Dieser Koffer hat keinen Schlüssel für sein Protokoll (er wurde vor dieser Version"
    " gekoppelt). Bitte lassen Sie unter „Mein Koffer“ einen neuen Kopplungscode anzeigen"
    " und koppeln Sie den Koffer neu."
)


@dataclass(frozen=True)
class Ereignis:
    """One event of the segment as the Koffer sealed it (``felder``: the hashed fields,
    ``at`` as a datetime)."""

    felder: dict[str, Any]
    hash: str
    key_id: str

    @property
    def seq(self) -> int:
        return int(self.felder["seq"])


@dataclass(frozen=True)
class Pruefung:
    """A verified segment: its events not yet in the office (``neu``), and where the
    Koffer's chain stands after it."""

    von_seq: int
    bis_seq: int
    hash: str
    neu: list[Ereignis]


def pruefen(geraet: Geraet, segment: Any) -> Pruefung:
    """The verified segment of ``geraet``'s push; raises SegmentUngueltig with the reason."""
    if not geraet.segment_schluessel:
        raise SegmentUngueltig(OHNE_SCHLUESSEL)
    if not isinstance(segment, dict):
        raise SegmentUngueltig("Das Segment ist unlesbar.")
    roh = segment.get("ereignisse")
    if not isinstance(roh, list) or not roh:
        raise SegmentUngueltig("Das Segment enthält keine Ereignisse.")
    if len(roh) > MAX_EREIGNISSE:
        raise SegmentUngueltig(f"Das Segment ist zu groß (höchstens {MAX_EREIGNISSE} Ereignisse).")
    ereignisse = [_lesen(nummer, item) for nummer, item in enumerate(roh, start=1)]
    for vor, nach in itertools.pairwise(ereignisse):
        if nach.seq < vor.seq:
            raise SegmentUngueltig(f"Ereignis {nach.seq}: Reihenfolge gestört (nach {vor.seq}).")
    von_seq, bis_seq = _zahl(segment.get("von_seq")), _zahl(segment.get("bis_seq"))
    if von_seq != ereignisse[0].seq or bis_seq != ereignisse[-1].seq:
        raise SegmentUngueltig(
            f"Die Angaben von_seq/bis_seq ({von_seq}–{bis_seq}) passen nicht zu den Ereignissen"
            f" ({ereignisse[0].seq}–{ereignisse[-1].seq})."
        )
    vorher = str(segment.get("vorher") or "") or GENESIS_HASH
    _kette(geraet, ereignisse, vorher)
    return _anschluss(geraet, ereignisse, vorher)


def _zahl(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _lesen(nummer: int, item: Any) -> Ereignis:
    if not isinstance(item, dict):
        raise SegmentUngueltig(f"Eintrag {nummer} des Segments ist unlesbar.")
    fehlt = [name for name in (*HASHED_FIELDS, "hash", "key_id") if name not in item]
    seq = _zahl(item.get("seq"))
    wer = f"Ereignis {seq}" if seq is not None else f"Eintrag {nummer} des Segments"
    if fehlt or seq is None:
        raise SegmentUngueltig(f"{wer}: unvollständig ({', '.join(fehlt) or 'seq'}).")
    felder = {name: item[name] for name in HASHED_FIELDS}
    try:
        felder["at"] = datetime.fromisoformat(str(item["at"]))
    except ValueError:
        raise SegmentUngueltig(f"{wer}: die Zeit ist unlesbar.") from None
    if felder["at"].tzinfo is None:
        raise SegmentUngueltig(f"{wer}: die Zeit hat keine Zeitzone.")
    return Ereignis(felder=felder, hash=str(item["hash"]), key_id=str(item["key_id"] or ""))


def _kette(geraet: Geraet, ereignisse: list[Ereignis], vorher: str) -> None:
    """Links, seals, Mandant and actor of every event, in order."""
    erlaubt = [str(k) for k in geraet.segment_schluessel]
    geheim: dict[str, str] = {}
    tenant = str(geraet.tenant_id)
    actor = str(geraet.user_id)
    prev = vorher
    erwartet = ereignisse[0].seq
    rang = -1
    for ev in ereignisse:
        seq = ev.seq
        if seq > erwartet:
            raise SegmentUngueltig(f"Lücke zwischen {erwartet - 1} und {seq}.")
        if seq < erwartet:
            raise SegmentUngueltig(f"Ereignis {seq}: Reihenfolge gestört (erwartet {erwartet}).")
        if ev.felder["prev_hash"] != prev:
            raise SegmentUngueltig(
                f"Ereignis {seq}: Verkettung gebrochen (die Prüfsumme des vorigen stimmt nicht)."
            )
        if str(ev.felder["tenant_id"]) != tenant:
            raise SegmentUngueltig(f"Ereignis {seq}: gehört zu einem anderen Mandanten.")
        if ev.key_id not in erlaubt:
            raise SegmentUngueltig(
                f"Ereignis {seq}: mit einem Schlüssel gesichert, den dieser Koffer nicht"
                " bekommen hat."
            )
        if erlaubt.index(ev.key_id) < rang:
            raise SegmentUngueltig(f"Ereignis {seq}: ein älterer Schlüssel nach einem neueren.")
        rang = erlaubt.index(ev.key_id)
        if ev.key_id not in geheim:
            try:
                geheim[ev.key_id] = schluessel.geheimnis(ev.key_id)
            except keys.AuditKeyMissing:
                raise SegmentUngueltig(
                    f"Ereignis {seq}: der Schlüssel des Koffers fehlt im Büro"
                    f" ({ev.key_id}); bitte die Schlüsseldatei aus der Sicherung zurückspielen."
                ) from None
        if schluessel.siegel(geheim[ev.key_id], canonical(ev.felder)) != ev.hash:
            raise SegmentUngueltig(f"Ereignis {seq}: Prüfsumme stimmt nicht.")
        if ev.felder["actor_id"] not in (None, actor):
            raise SegmentUngueltig(
                f"Ereignis {seq}: von einer anderen Person als der Außendienstkraft dieses Koffers."
            )
        prev = ev.hash
        erwartet = seq + 1


def _anschluss(geraet: Geraet, ereignisse: list[Ereignis], vorher: str) -> Pruefung:
    """Whether the segment goes on from what the office accepted last from this Koffer."""
    erstes, letztes = ereignisse[0], ereignisse[-1]
    bekannt = geraet.segment_seq
    if bekannt is None:
        changes = erstes.felder["changes"]
        if not (
            erstes.felder["action"] == BEGINN
            and isinstance(changes, dict)
            and changes.get("geraet") == str(geraet.pk)
        ):
            # The office knows nothing of this Koffer's segment yet although the Koffer
            # sent before (the office restored from a backup): from its beginning, please.
            raise SegmentNachholen(None, None)
        return Pruefung(erstes.seq, letztes.seq, letztes.hash, ereignisse)
    if erstes.seq > bekannt + 1:
        # The office is behind (restored from a backup): the events from the one after
        # its last accepted, linked to that one's hash — never a gap taken on trust.
        raise SegmentNachholen(bekannt + 1, bekannt)
    if erstes.seq == bekannt + 1:
        if vorher != geraet.segment_hash:
            raise SegmentUngueltig(
                f"Ereignis {erstes.seq}: schließt nicht an das zuletzt übernommene Ereignis"
                f" {bekannt} an."
            )
    else:
        gleich = [ev for ev in ereignisse if ev.seq == bekannt]
        if gleich and gleich[0].hash != geraet.segment_hash:
            raise SegmentUngueltig(
                f"Ereignis {bekannt}: weicht vom schon übernommenen Ereignis ab."
            )
    neu = [ev for ev in ereignisse if ev.seq > bekannt]
    if not neu:
        return Pruefung(erstes.seq, bekannt, geraet.segment_hash, [])
    return Pruefung(erstes.seq, letztes.seq, letztes.hash, neu)
