"""How a checkout reads for people: the Akte's notice „Im Koffer bei … seit …“ and the
conflict when another Koffer holds it. Times in Europe/Berlin."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from koffer import formats
from koffer.field.models import Ausleihe


def zeitpunkt(moment: datetime) -> str:
    """``07.12.2026, 09:14`` in Berlin time."""
    return f"{timezone.localtime(moment):%d.%m.%Y, %H:%M}"


def tag(moment: datetime) -> str:
    """``14.12.2026``, the Berlin day of ``moment``."""
    return formats.german_date(timezone.localtime(moment).date())


def bei_wem(ausleihe: Ausleihe) -> str:
    """The field worker's name (the Koffer's user, as loaded with the checkout)."""
    return str(ausleihe.user)


def im_koffer(ausleihe: Ausleihe) -> str:
    """„Im Koffer bei Vorname Name seit 07.12.2026, 09:14 (bis 14.12.2026)“."""
    return (
        f"Im Koffer bei {bei_wem(ausleihe)} seit {zeitpunkt(ausleihe.seit)} "
        f"(bis {tag(ausleihe.bis)})"
    )


def schon_im_koffer(aktenzeichen: str, ausleihe: Ausleihe) -> str:
    """„Die Akte AZ ist bereits im Koffer bei NAME seit DATUM.“"""
    return (
        f"Die Akte {aktenzeichen} ist bereits im Koffer bei {bei_wem(ausleihe)} "
        f"seit {zeitpunkt(ausleihe.seit)}."
    )
