"""What the figures were measured on: printed once per run as ``BENCH machine ...``."""

from __future__ import annotations

import datetime as dt
import glob
import os
import platform
import re
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path


def describe() -> dict[str, object]:
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M%z"),
        "cores": os.cpu_count() or 0,
        "ram_gb": round(_meminfo_kib("MemTotal") / 1024 / 1024, 1),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version() or "fehlt",
        "django": _dist_version("django"),
        "granian": _dist_version("granian"),
        "load1": round(os.getloadavg()[0], 2),
    }


def postgres_binary(name: str) -> str | None:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def postgres_version() -> str | None:
    postgres = postgres_binary("postgres")
    if postgres is None:
        return None
    out = subprocess.run([postgres, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"(\d+(?:\.\d+)+)", out.stdout)
    return found.group(1) if found else None


def _meminfo_kib(key: str) -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unbekannt"


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "fehlt"
