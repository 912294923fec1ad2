"""Scanned files and Lieferscheine for the Posteingang's tests, made on the spot."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pikepdf
from PIL import Image


def pdf(pages: int = 1) -> bytes:
    doc = pikepdf.new()
    for _ in range(pages):
        doc.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def encrypted_pdf(pages: int = 1, *, user_password: str = "geheim") -> bytes:
    doc = pikepdf.open(io.BytesIO(pdf(pages)))
    out = io.BytesIO()
    doc.save(out, encryption=pikepdf.Encryption(owner="besitzer", user=user_password))
    return out.getvalue()


def tiff(frames: int = 1) -> bytes:
    images = [Image.new("L", (200, 280), color=255) for _ in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="TIFF", save_all=True, append_images=images[1:])
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(
    files: dict[str, bytes],
    *,
    batch_id: str = "2026-11-25-0001",
    pages: dict[str, int] | None = None,
    hashes: dict[str, str] | None = None,
    quality: str = "bestanden",
    **extra: Any,
) -> bytes:
    """A Lieferschein declaring ``files`` with their real hashes and one page each,
    unless ``pages`` or ``hashes`` say otherwise."""
    pages = pages or {}
    hashes = hashes or {}
    note = {
        "version": 1,
        "stapel_id": batch_id,
        "scan_datum": "2026-11-24",
        "operator": "M. Muster",
        "scanner": "Fujitsu fi-7600 Nr. 3",
        "qualitaetspruefung": {"ergebnis": quality, "bemerkung": "Stichprobe 10 %"},
        "dateien": [
            {"name": name, "seiten": pages.get(name, 1), "sha256": hashes.get(name, sha256(data))}
            for name, data in files.items()
        ],
        **extra,
    }
    return json.dumps(note, ensure_ascii=False, indent=2).encode()
