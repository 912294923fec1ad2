"""Ingest step 4, convert: Office files to PDF with LibreOffice (headless, bounded)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings

from koffer.childprocess import run_bounded
from koffer.records.dokumente.detect import FileType


def office_converter() -> str | None:
    """Path of LibreOffice's ``soffice``, or None when it is not installed."""
    configured = str(getattr(settings, "KOFFER_SOFFICE", "soffice") or "")
    return shutil.which(configured) if configured else None


class ConversionFailed(RuntimeError):
    pass


def convert_office_to_pdf(data: bytes, ftype: FileType, binary: str) -> bytes:
    """The PDF rendering of an Office/ODF file by LibreOffice headless. Each call has its
    own profile folder, so parallel conversions do not clash, and a time limit; the user's
    file name never reaches the file system. Raises ConversionFailed."""
    timeout = int(getattr(settings, "KOFFER_OFFICE_TIMEOUT_SECONDS", 120))
    with tempfile.TemporaryDirectory(prefix="koffer-office-") as tmp:
        folder = Path(tmp)
        source = folder / f"dokument.{ftype.extensions[0]}"
        source.write_bytes(data)
        out = folder / "pdf"
        command = [
            binary,
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nologo",
            "--nodefault",
            f"-env:UserInstallation={(folder / 'profil').as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(source),
        ]
        env = {**os.environ, "HOME": str(folder)}
        try:
            # soffice starts child processes: a timeout ends the whole group.
            finished = run_bounded(command, timeout=timeout, env=env)
        except subprocess.TimeoutExpired as exc:
            raise ConversionFailed(f"Zeitüberschreitung nach {timeout} s") from exc
        result = out / "dokument.pdf"
        if finished.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
            raise ConversionFailed(finished.stderr.decode("utf-8", "replace")[-500:])
        return result.read_bytes()
