"""Where koffer's fonts are. Liberation Sans (metric-compatible with Arial) is the house
font; Debian installs it as ``fonts-liberation2`` under ``liberation2`` (the old
``fonts-liberation`` under ``liberation``). DejaVu is the fallback. Both are declared in
``scripts/system_packages.py``; layouts must not overlap on either (tested by measuring
text positions)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

DEFAULT_FONT_DIRS = (
    "/usr/share/fonts/truetype/liberation2",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/dejavu",
)


def font_dirs() -> list[str]:
    """The configured font folders that exist (``KOFFER_PDF_FONT_DIRS``)."""
    configured = getattr(settings, "KOFFER_PDF_FONT_DIRS", None) or DEFAULT_FONT_DIRS
    return [d for d in configured if Path(d).is_dir()]
