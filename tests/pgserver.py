"""Run a command against a throwaway PostgreSQL server started with initdb and pg_ctl.

    python -m tests.pgserver -- pytest -q
    python -m tests.pgserver --data var/bench/records-pg-1 -- <command>

The server lives in a temporary folder, listens on a free loopback port and is removed
afterwards. With ``--data`` its data directory is kept there instead (the benchmarks' big
data sets, built once): the server starts on it when it holds a cluster of this
PostgreSQL's major version, otherwise it is made anew (empty database ``koffer``), and
after the command the server shuts down cleanly and the directory stays. PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user
(created by Debian's package) or as a dedicated ``koffertest`` user created on the fly.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        sys.exit(f"PostgreSQL nicht gefunden ({name}); bitte das Paket postgresql installieren.")
    return candidates[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "koffertest"):
        try:
            pwd.getpwnam(name)
            return ["runuser", "-u", name, "--"]
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "koffertest"], check=True)
    return ["runuser", "-u", "koffertest", "--"]


def major_version() -> str:
    """This PostgreSQL's major version ("15"), as initdb writes it to ``PG_VERSION``."""
    out = subprocess.run(
        [_pg_bin("pg_ctl"), "--version"], check=True, capture_output=True, text=True
    ).stdout
    return out.split()[-1].split(".")[0]


def main(argv: list[str]) -> int:
    if "--" not in argv:
        sys.exit("Aufruf: python -m tests.pgserver [--data VERZEICHNIS] -- <Befehl>")
    command = argv[argv.index("--") + 1 :]
    flags = argv[1 : argv.index("--")]
    kept = Path(flags[flags.index("--data") + 1]).resolve() if "--data" in flags else None
    # SIGTERM (a benchmark past its time, a CI run ended) as SystemExit: the command is
    # killed and the server stopped and removed below, instead of left running.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    prefix = _run_as()
    base = Path(tempfile.mkdtemp(prefix="koffer-pg-"))
    data = base / "data" if kept is None else kept
    if prefix:
        shutil.chown(base, user=prefix[2])
        base.chmod(0o700)
    port = _free_port()
    log = base / "server.log"
    version = data / "PG_VERSION"
    fresh = not (version.exists() and version.read_text().strip() == major_version())
    if fresh:
        _initdb(data, prefix)
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    subprocess.run(
        [*prefix, _pg_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        if fresh:
            _createdb(port, prefix)
        else:
            print(f"PostgreSQL: vorhandene Daten in {data}", flush=True)
        env = {**os.environ, "KOFFER_DATABASE_URL": f"postgres://koffer@127.0.0.1:{port}/koffer"}
        print(f"PostgreSQL läuft auf Port {port} ({base})", flush=True)
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        # A kept directory is shut down cleanly (checkpoint): the next start needs no recovery.
        mode = "immediate" if kept is None else "fast"
        subprocess.run(
            [*prefix, _pg_bin("pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(base, ignore_errors=True)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _createdb(port: int, prefix: list[str]) -> None:
    subprocess.run(
        [
            *prefix,
            _pg_bin("createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "koffer",
            "koffer",
        ],
        check=True,
    )


def _initdb(data: Path, prefix: list[str]) -> None:
    """A new cluster in ``data`` (what was there is removed), owned by the server's user."""
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True, mode=0o700)
    if prefix:
        shutil.chown(data, user=prefix[2])
    subprocess.run(
        [
            *prefix,
            _pg_bin("initdb"),
            "-D",
            str(data),
            "-U",
            "koffer",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv))
