"""A batch's ZIP: each letter's PDF and ``manifest.json``. The same batch always gives
the same bytes (fixed entry times, fixed order, sorted JSON), so building it again after
a crash stores the same blob, and a provider fetching twice gets the same file."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from koffer.outbox.models import Brief, Versandstapel
from koffer.outbox.versand import porto

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Inhalt:
    """One letter as it goes into the ZIP."""

    brief: Brief
    dateiname: str
    pdf: bytes
    anlagen: list[str]


def dateiname(position: int, brief: Brief) -> str:
    return f"{position:04d}-{brief.pk}.pdf"


def manifest(stapel: Versandstapel, inhalte: Sequence[Inhalt]) -> dict[str, Any]:
    briefe = []
    for item in inhalte:
        b = item.brief
        p = porto.klasse(b.seiten, duplex=b.duplex)
        briefe.append(
            {
                "id": str(b.pk),
                "datei": item.dateiname,
                "seiten": b.seiten,
                "blaetter": p.blaetter,
                "druck": "duplex" if b.duplex else "simplex",
                "farbe": b.farbe,
                "anlagen": item.anlagen,
                "gewicht_g": p.gramm,
                "portoklasse": p.klasse,
                "einschreiben": b.einschreiben or None,
            }
        )
    return {
        "version": MANIFEST_VERSION,
        "stapel": str(stapel.pk),
        "nummer": stapel.nummer,
        "annahmeschluss": timezone.localtime(stapel.schluss).isoformat(),
        "briefe": briefe,
    }


def zip_bytes(stapel: Versandstapel, inhalte: Sequence[Inhalt]) -> bytes:
    # The cut-off (local time, however the row was loaded) as every entry's time: the
    # same batch, the same bytes.
    when = timezone.localtime(stapel.schluss).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [
            *((i.dateiname, i.pdf) for i in inhalte),
            (MANIFEST, _json(manifest(stapel, inhalte))),
        ]:
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()
