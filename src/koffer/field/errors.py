"""User-caused problems of the Koffer: the shared kinds of ``koffer.errors``, grouped.
The API turns them into problem+json in one handler; pages show ``.message``."""

from __future__ import annotations

from koffer import errors


class FieldError(errors.DomainError):
    """A checkout, device, visit or sync someone can fix; never a 500."""


class Conflict(FieldError, errors.Conflict):
    """The Akte or device is in a state that refuses this (checked out elsewhere, revoked)."""


class Forbidden(FieldError, errors.Forbidden):
    """The actor may not do this with the Koffer or this Akte."""


class NotFound(FieldError, errors.NotFound):
    """Unknown or not visible: both look the same from outside."""


class ZuVieleVersuche(FieldError):
    """Too many wrong pairing codes from one address: wait, then try again."""

    status = 429
    title = "Zu viele Versuche"


class Gesperrt(FieldError):
    """A revoked Koffer made contact: it is refused, and told to wipe its local data
    (``loeschen: true`` in the problem document)."""

    status = 401
    title = "Koffer gesperrt"
    extra = {"loeschen": True}


class Abgelehnt(FieldError):
    """A Koffer's push asks for changes the office does not take (``fehler``: each refused
    change in German); nothing of that push is applied."""

    title = "Abgleich abgelehnt"

    def __init__(self, fehler: list[str]) -> None:
        super().__init__(
            "abgleich_abgelehnt",
            "Der Abgleich wurde nicht übernommen: " + " ".join(fehler[:3]),
        )
        self.extra = {"fehler": fehler}


class BlobFehlt(FieldError, errors.Conflict):
    """A push names files the office does not have yet (``blobs``): upload, then retry."""

    def __init__(self, blobs: list[str]) -> None:
        super().__init__(
            "blob_fehlt",
            "Dem Büro fehlen Dateien dieses Abgleichs: "
            + ", ".join(blobs)
            + ". Bitte zuerst hochladen, dann erneut abgleichen.",
        )
        self.extra = {"blobs": blobs}


class AbgleichNachholen(FieldError, errors.Conflict):
    """The Koffer names pushes the office accepted and no longer has (its database restored
    from an older backup): nothing is applied; the Koffer sends those again (``fehlen``, in
    their order), then this one. ``letzter``: the last push of this Koffer the office has."""

    def __init__(self, fehlen: list[str], letzter: str | None) -> None:
        super().__init__(
            "abgleich_nachholen",
            f"Dem Büro fehlen {len(fehlen)} schon angenommene Abgleiche dieses Koffers"
            " (aus einer Sicherung zurückgespielt?). Der Koffer sendet sie erneut.",
        )
        self.extra = {"fehlen": fehlen, "letzter": letzter}


class SegmentNeu(FieldError, errors.Conflict):
    """The administration began a new segment for this Koffer (its old one was refused
    for good): nothing of the push is applied; the answer carries the new segment key
    (``segment``), under which the Koffer begins again and sends its waiting changes."""

    def __init__(self, segment: dict[str, str]) -> None:
        super().__init__(
            "segment_neu",
            "Das Büro hat für diesen Koffer ein neues Protokoll-Segment begonnen. Der Koffer"
            " beginnt sein Protokoll mit dem neuen Schlüssel neu und sendet seine Änderungen"
            " erneut.",
        )
        self.extra = {"segment": segment}


class SegmentUngueltig(FieldError):
    """A Koffer's audit segment does not verify (``grund``, German, names the event): the
    whole push is refused and the segment kept in the quarantine."""

    title = "Protokoll-Segment ungültig"

    def __init__(self, grund: str) -> None:
        super().__init__(
            "segment_ungueltig",
            f"Das Protokoll des Koffers wurde nicht übernommen: {grund} Der Abgleich wurde"
            " nicht übernommen; das Segment liegt in der Quarantäne des Büros.",
        )
        self.grund = grund
        self.extra = {"grund": grund}


class SegmentNachholen(FieldError, errors.Conflict):
    """A push's segment starts after the office's last accepted event of this Koffer: the
    office is behind (its database restored from a backup), or the Koffer skipped some.
    Nothing is applied and nothing quarantined — nothing is wrong yet: the Koffer sends its
    events again from ``ab_seq`` on (None: from its segment's beginning), and they must
    link to what the office holds, else the segment is refused as usual."""

    def __init__(self, ab_seq: int | None, bekannt: int | None) -> None:
        bis = (
            f"nur bis Ereignis {bekannt}"
            if bekannt is not None
            else "noch keines (vielleicht wurde seine Datenbank aus einer Sicherung zurückgespielt)"
        )
        super().__init__(
            "segment_nachholen",
            f"Das Büro hat das Protokoll dieses Koffers {bis} übernommen. Der Koffer sendet"
            " es von dort an erneut; übernommen wird es nur, wenn es lückenlos an das"
            " anschließt, was das Büro hat.",
        )
        self.extra = {"ab_seq": ab_seq}


class Veraltet(FieldError, errors.Conflict):
    """A field of an expert session was written by someone else since the writer last saw
    it: nothing is saved; ``aktuell`` carries the field as it is now (value, version, who),
    without the value where the writer may not see it."""

    def __init__(self, feld: str, von: str, aktuell: dict[str, object]) -> None:
        super().__init__(
            "feld_veraltet",
            f"Das Feld wurde inzwischen von {von} geändert. Bitte prüfen Sie den neuen Wert "
            "und ändern Sie ihn bei Bedarf erneut.",
        )
        self.extra = {"aktuell": aktuell}
