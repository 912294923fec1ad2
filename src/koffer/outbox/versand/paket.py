"""A batch's ZIP: each letter's PDF and ``manifest.json``. The same batch always gives
the same bytes (fixed entry times, fixed order, sorted JSON), so building it again after
a crash stores the same blob, and a provider fetching twice gets the same file. The ZIP
is written into a file object one PDF at a time, so a batch of thousands of letters
never sits in memory whole."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

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
    pdf_sha256: str
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


def schreiben(
    target: IO[bytes],
    stapel: Versandstapel,
    inhalte: Sequence[Inhalt],
    open_pdf: Callable[[str], IO[bytes]],
) -> None:
    """Write the batch's ZIP into ``target`` (seekable), each PDF read by ``open_pdf``."""
    # The cut-off (local time, however the row was loaded) as every entry's time: the
    # same batch, the same bytes.
    when = timezone.localtime(stapel.schluss).timetuple()[:6]

    def entry(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in inhalte:
            with (
                open_pdf(item.pdf_sha256) as src,
                archive.open(entry(item.dateiname), "w", force_zip64=True) as dst,
            ):
                shutil.copyfileobj(src, dst)
        archive.writestr(entry(MANIFEST), _json(manifest(stapel, inhalte)))


def zip_bytes(
    stapel: Versandstapel, inhalte: Sequence[Inhalt], open_pdf: Callable[[str], IO[bytes]]
) -> bytes:
    """The ZIP in memory (tests and small batches)."""
    buffer = io.BytesIO()
    schreiben(buffer, stapel, inhalte, open_pdf)
    return buffer.getvalue()


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()
