"""Ingest step 2, name: a safe file name that fits the detected type, and the upload's size limit."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from typing import IO

from django.conf import settings

from koffer.records.dokumente.detect import FileType
from koffer.records.errors import DocumentRejected

FALLBACK_NAME = "Dokument"


# --- File names and sizes ----------------------------------------------------------------------


def clean_filename(raw: str) -> str:
    """The base name only, without control or direction-override characters; never used
    as a path (blobs are named by hash), only shown and offered on download."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if not name:
        return FALLBACK_NAME
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 190 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else name[:200]
    return name


def split_extension(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or " " in ext or len(ext) > 10:
        return name, ""
    return stem, ext.lower()


def name_for_type(name: str, ftype: FileType) -> tuple[str, list[str]]:
    """The stored file name: the user's, with the extension the content calls for. A name
    whose extension contradicts the content gets a note for the result line."""
    stem, ext = split_extension(name)
    if ext in ftype.extensions:
        return name, []
    fixed = f"{stem}.{ftype.extensions[0]}"
    if not ext:
        return fixed, []
    return fixed, [
        f"Der Inhalt ist {ftype.label}, nicht wie die Endung .{ext} angibt; "
        f"gespeichert als „{fixed}“."
    ]


@dataclass
class IncomingFile:
    """One uploaded file as the client sent it: its claimed name, size and bytes."""

    name: str
    size: int
    stream: IO[bytes]

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> IncomingFile:
        return cls(name=name, size=len(data), stream=io.BytesIO(data))


def max_upload_bytes() -> int:
    return int(settings.KOFFER_MAX_UPLOAD_BYTES)


def format_megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def read_within_limit(file: IncomingFile) -> bytes:
    """The file's bytes, refusing empty files and files over the upload limit before
    reading more than the limit."""
    limit = max_upload_bytes()
    if file.size > limit:
        raise DocumentRejected(
            "too_large",
            f"Die Datei ist größer als die erlaubten {format_megabytes(limit)} "
            f"({format_megabytes(file.size)}).",
        )
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise DocumentRejected(
            "too_large", f"Die Datei ist größer als die erlaubten {format_megabytes(limit)}."
        )
    if not data:
        raise DocumentRejected("empty_file", "Die Datei ist leer (0 Byte).")
    return data
