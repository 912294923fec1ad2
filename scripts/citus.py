#!/usr/bin/env python3
# ruff: noqa: S603, S607 (it runs the engines' scripts, make and the command it is given)
"""Citus for the distributed tests: build once, cache, start the 3-node cluster, run a command.

    python3 scripts/citus.py build              # build (or install from var/citus/) only
    python3 scripts/citus.py start | stop       # the cluster on 127.0.0.1:9700-9702
                                                # (or KOFFER_CITUS_PORTS="a b c")
    python3 scripts/citus.py run [--keep | --fresh] [--workers N] -- <command>

The pieces come from the engines folder beside the repository (``../shared/engines/citus/``,
or ``KOFFER_ENGINES``): a source tarball, ``build.sh`` and the cluster scripts. The build is
staged under ``var/citus/<key>/root`` (``make install DESTDIR=…``), keyed by the tarball's
hash and this PostgreSQL's version, so a second run copies those files into PostgreSQL's
folders (or finds them there) instead of compiling for ~100 s. Missing build dependencies
are installed by ``scripts/system_packages.py citus`` as root, otherwise it says which.

``run`` starts the cluster with the databases ``koffer`` and ``test_koffer`` (Django's test
database; it must exist on every node, so the tests run with ``--reuse-db``; with
``--workers N`` also ``test_koffer_gw0`` … for N xdist workers), sets
``KOFFER_DATABASE_URL=citus://…`` for the command and stops the cluster afterwards
unless ``--keep`` — also when the command fails or is interrupted. ``--fresh`` (CI) starts
from empty data folders and removes them afterwards: nothing of an earlier run is reused.

A Citus already installed into this PostgreSQL from the same tarball (its ``citus.so``
names the build folder, which carries the tarball's hash and PostgreSQL's version) counts
as built: a fresh clone on a machine that built it once does not compile it again.
"""

from __future__ import annotations

import filecmp
import hashlib
import os
import shutil
import signal
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
# Shards of each distributed table in the test databases: two on each of the two workers.
TEST_SHARD_COUNT = 4


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


def built_from(cached: Path) -> bool:
    """This PostgreSQL's citus.so was built from the same tarball for the same PostgreSQL
    (in another clone or worktree): the build folder's name is compiled into it."""
    library = Path(pg_config("--pkglibdir") or "/nonexistent") / "citus.so"
    return library.exists() and f"/{cached.name}/".encode() in library.read_bytes()


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
    if built_from(cached):
        print(f"citus: bereits installiert, gebaut aus {cached.name}", flush=True)
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


def databases(workers: int) -> str:
    """The cluster's databases: koffer, Django's test database and one per xdist worker
    (pytest-django names them test_koffer_gw0, test_koffer_gw1, …)."""
    return " ".join([DATABASES, *(f"test_koffer_gw{i}" for i in range(workers))])


def cluster_env(workers: int = 0) -> dict[str, str]:
    return {
        **os.environ,
        "CITUS_PORTS": PORTS,
        "CITUS_DBS": databases(workers),
        "CITUS_BASE": os.environ.get(
            "KOFFER_CITUS_BASE", str(Path(tempfile.gettempdir()) / "koffer-citus")
        ),
    }


def start(workers: int = 0) -> None:
    subprocess.run(
        ["bash", str(ENGINES / "start-cluster.sh")], env=cluster_env(workers), check=True
    )
    prepare_test_databases(databases(workers))


def prepare_test_databases(names: str) -> None:
    """Settings of the test databases, on every node (the database ``koffer`` is left alone).

    - Their sessions may empty the audit table (flushing between tests).
      tests/settings.py switches it on for its own connection to the coordinator
      (``-c koffer.audit_maintenance=on``), but the append-only trigger of a shard runs in
      the session Citus opens on that shard's worker, which does not inherit the option.
      UPDATE stays refused.
    - Their distributed tables get TEST_SHARD_COUNT shards instead of the cluster's 8: the
      migrations make every table and key once per shard, and every table's shards are
      visited by a flush (see docs/DESIGN.md, Citus: routing is still per Mandant)."""
    psql = str(Path(pg_config("--bindir") or "/usr/lib/postgresql/15/bin") / "psql")
    for port in PORTS.split():
        for name in names.split():
            if name.startswith("test_"):
                node = ["-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "postgres"]
                for sql in (
                    f"ALTER DATABASE {name} SET koffer.audit_maintenance = on",
                    f"ALTER DATABASE {name} SET citus.shard_count = {TEST_SHARD_COUNT}",
                ):
                    subprocess.run([psql, "-X", "-q", *node, "-c", sql], check=True)


def stop(clean: bool = False) -> None:
    subprocess.run(
        ["bash", str(ENGINES / "stop-cluster.sh"), *(["--clean"] if clean else [])],
        env=cluster_env(),
        check=False,
    )


def run(command: list[str], keep: bool, workers: int = 0, fresh: bool = False) -> int:
    build()
    if fresh:
        stop(clean=True)
    # A CI timeout or a kill ends the run with SIGTERM: stop the cluster then too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        start(workers)
        env = {**os.environ, "KOFFER_DATABASE_URL": f"citus://postgres@{COORDINATOR}/koffer"}
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        if fresh or not keep:
            stop(clean=fresh)


def worker_count(argv: list[str]) -> int:
    if "--workers" not in argv:
        return 0
    return int(argv[argv.index("--workers") + 1])


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "build"
    if what == "build":
        build()
    elif what == "start":
        build()
        start(worker_count(argv))
    elif what == "stop":
        stop(clean="--clean" in argv)
    elif what == "run":
        if "--" not in argv:
            fail("Aufruf: scripts/citus.py run [--keep | --fresh] [--workers N] -- <Befehl>")
        own = argv[: argv.index("--")]
        return run(
            argv[argv.index("--") + 1 :],
            keep="--keep" in own,
            workers=worker_count(own),
            fresh="--fresh" in own,
        )
    else:
        fail(f"unbekannt: {what} (build, start, stop, run)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
