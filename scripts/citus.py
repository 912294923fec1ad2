#!/usr/bin/env python3
# ruff: noqa: S603, S607 (it runs the engines' scripts, make and the command it is given)
"""Citus for the distributed tests: build once, cache, start the 3-node cluster, run a command.

    python3 scripts/citus.py build              # build (or install from var/citus/) only
    python3 scripts/citus.py start | stop       # the cluster on 127.0.0.1:9700-9702
                                                # (or KOFFER_CITUS_PORTS="a b c")
    python3 scripts/citus.py run [--keep] -- <command>

The pieces come from the engines folder beside the repository (``../shared/engines/citus/``,
or ``KOFFER_ENGINES``): a source tarball, ``build.sh`` and the cluster scripts. The build is
staged under ``var/citus/<key>/root`` (``make install DESTDIR=…``), keyed by the tarball's
hash and this PostgreSQL's version, so a second run copies those files into PostgreSQL's
folders (or finds them there) instead of compiling for ~100 s. Missing build dependencies
are installed by ``scripts/system_packages.py citus`` as root, otherwise it says which.

``run`` starts the cluster with the databases ``koffer`` and ``test_koffer`` (Django's test
database; it must exist on every node, so the tests run with ``--reuse-db``), sets
``KOFFER_DATABASE_URL=citus://…`` for the command and stops the cluster afterwards
unless ``--keep``.
"""

from __future__ import annotations

import filecmp
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENGINES = Path(os.environ.get("KOFFER_ENGINES", REPO.parent / "shared" / "engines")) / "citus"
PG_CONFIG = os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")
CACHE = REPO / "var" / "citus"
PORTS = os.environ.get("KOFFER_CITUS_PORTS", "9700 9701 9702")
DATABASES = "koffer test_koffer"
COORDINATOR = f"127.0.0.1:{PORTS.split()[0]}"


def fail(message: str) -> None:
    print(f"citus: {message}", file=sys.stderr)
    sys.exit(1)


def tarball() -> Path:
    found = sorted(ENGINES.glob("citus-*.tar.gz"))
    if not found:
        fail(f"kein Citus-Quellpaket in {ENGINES} (../shared/engines/citus/ fehlt?)")
    return found[-1]


def pg_config(flag: str) -> str:
    if not Path(PG_CONFIG).exists():
        return ""
    return subprocess.run(
        [PG_CONFIG, flag], check=True, capture_output=True, text=True
    ).stdout.strip()


def cache_dir(source: Path) -> Path:
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    # "PostgreSQL 15.18 (Debian 15.18-0+deb12u1)": the number alone (make breaks on "(").
    version = (pg_config("--version").split() or ["", "none"])[1]
    return CACHE / f"{source.name.removesuffix('.tar.gz')}-{digest}-pg{version}"


def staged_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def installed(root: Path) -> bool:
    """Every staged file is in place with the same bytes."""
    files = staged_files(root)
    return bool(files) and all(
        (target := Path("/") / f.relative_to(root)).exists() and filecmp.cmp(f, target, False)
        for f in files
    )


def install_from(root: Path) -> None:
    for f in staged_files(root):
        target = Path("/") / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)


def ensure_dependencies() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "system_packages.py"), "citus", "--require"],
        check=False,
    )
    if result.returncode != 0:
        fail(
            "Build-Abhängigkeiten fehlen (siehe oben); als root installiert "
            "`python3 scripts/system_packages.py citus` sie."
        )


def build() -> None:
    """Citus installed into this PostgreSQL: from the cache, or built once and cached."""
    ensure_dependencies()
    source = tarball()
    cached = cache_dir(source)
    root = cached / "root"
    stamp = cached / "fertig"
    if stamp.exists():
        if installed(root):
            print(f"citus: installiert ({cached.name})", flush=True)
            return
        install_from(root)
        print(f"citus: aus dem Zwischenspeicher installiert ({cached.name})", flush=True)
        return
    started = time.monotonic()
    workdir = cached / "build"
    shutil.rmtree(cached, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = {**os.environ, "PG_CONFIG": PG_CONFIG}
    print(f"citus: baue {source.name} (etwa 100 s) …", flush=True)
    subprocess.run(
        ["bash", str(ENGINES / "build.sh"), str(source), str(workdir)], env=env, check=True
    )
    tree = next(p for p in (workdir / "src").iterdir() if p.is_dir())
    # The same install once more into the cache (build.sh builds without LLVM bitcode).
    subprocess.run(
        ["make", "install", f"DESTDIR={root}", "with_llvm=no"],
        cwd=tree,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(workdir)
    stamp.write_text(f"{source.name} in {time.monotonic() - started:.0f} s\n")
    print(
        f"citus: gebaut und zwischengespeichert in {time.monotonic() - started:.0f} s", flush=True
    )


def cluster_env() -> dict[str, str]:
    return {
        **os.environ,
        "CITUS_PORTS": PORTS,
        "CITUS_DBS": DATABASES,
        "CITUS_BASE": os.environ.get(
            "KOFFER_CITUS_BASE", str(Path(tempfile.gettempdir()) / "koffer-citus")
        ),
    }


def start() -> None:
    subprocess.run(["bash", str(ENGINES / "start-cluster.sh")], env=cluster_env(), check=True)


def stop(clean: bool = False) -> None:
    subprocess.run(
        ["bash", str(ENGINES / "stop-cluster.sh"), *(["--clean"] if clean else [])],
        env=cluster_env(),
        check=False,
    )


def run(command: list[str], keep: bool) -> int:
    build()
    start()
    try:
        env = {**os.environ, "KOFFER_DATABASE_URL": f"citus://postgres@{COORDINATOR}/koffer"}
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        if not keep:
            stop()


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "build"
    if what == "build":
        build()
    elif what == "start":
        build()
        start()
    elif what == "stop":
        stop(clean="--clean" in argv)
    elif what == "run":
        if "--" not in argv:
            fail("Aufruf: scripts/citus.py run [--keep] -- <Befehl>")
        return run(argv[argv.index("--") + 1 :], keep="--keep" in argv[: argv.index("--")])
    else:
        fail(f"unbekannt: {what} (build, start, stop, run)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
