"""The README's configuration table states what the code does (it said 50 MB and 30
streams while the code answered 102 MiB and 2)."""

from __future__ import annotations

import os
import re

import pytest
from django.conf import settings

from koffer.shell.management.commands.serve import Command as Serve
from tests.subprocesses import ROOT

MIB = 1024 * 1024
STATED = ("KOFFER_MAX_UPLOAD_BYTES", "KOFFER_MAX_REQUEST_BYTES", "KOFFER_LIVE_STREAMS")


def _defaults() -> dict[str, str]:
    """Each variable of the README's configuration table with its "Default" cell."""
    rows: dict[str, str] = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`KOFFER_"):
            names = re.findall(r"`(KOFFER_\w+)`", cells[0])
            values = [v.strip() for v in cells[1].split(",")]
            for index, name in enumerate(names):
                rows[name] = values[index] if len(values) == len(names) else cells[1]
    return rows


@pytest.mark.skipif(
    any(name in os.environ for name in STATED), reason="ein Grenzwert ist hier überschrieben"
)
def test_readme_states_the_limits_and_stream_count_the_code_uses() -> None:
    readme = _defaults()
    assert settings.KOFFER_MAX_UPLOAD_BYTES == 100 * MIB
    assert readme["KOFFER_MAX_UPLOAD_BYTES"] == f"{settings.KOFFER_MAX_UPLOAD_BYTES // MIB} MiB"
    assert settings.KOFFER_MAX_REQUEST_BYTES == settings.KOFFER_MAX_UPLOAD_BYTES + 2 * MIB
    assert readme["KOFFER_MAX_REQUEST_BYTES"] == (
        f"upload limit + 2 MiB ({settings.KOFFER_MAX_REQUEST_BYTES // MIB} MiB)"
    )
    assert readme["KOFFER_LIVE_STREAMS"] == f"`{settings.KOFFER_LIVE_STREAMS}`"
    # make run's stream process gets the same number the setting holds.
    parser = Serve().create_parser("manage.py", "serve")
    assert parser.parse_args([]).live_streams == settings.KOFFER_LIVE_STREAMS
