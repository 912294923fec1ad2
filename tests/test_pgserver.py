"""tests/pgserver.py ended from outside: the benchmark smoke stops a run past its time with
SIGTERM (and `make test` runs it beside the browser tests). The throwaway server goes with
it instead of running on after the command is gone."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests import pgserver
from tests.subprocesses import ROOT


def test_sigterm_stops_the_server_and_removes_its_folder() -> None:
    command = [sys.executable, "-c", "import time; print('bereit', flush=True); time.sleep(300)"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.pgserver", "--", *command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    folder: Path | None = None
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "PostgreSQL läuft auf Port N (folder)"
        assert "läuft auf Port" in line, line
        port = int(line.split("Port ")[1].split()[0])
        folder = Path(line.rsplit("(", 1)[1].rstrip(")\n"))
        assert (folder / "data" / "PG_VERSION").exists()
        assert proc.stdout.readline() == "bereit\n"  # the command runs: SIGTERM now

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 128 + signal.SIGTERM
        with pytest.raises(ProcessLookupError):  # its command went with it
            os.killpg(proc.pid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # pgserver or its command, if left
        proc.wait()
        if folder is not None and (folder / "data" / "postmaster.pid").exists():
            # Left running (what the SIGTERM handler prevents): stopped here, so that a
            # failing run leaves no server behind.
            stop = [pgserver._pg_bin("pg_ctl"), "-D", str(folder / "data"), "-m", "immediate"]
            subprocess.run([*pgserver._run_as(), *stop, "-w", "stop"], check=False)
            shutil.rmtree(folder, ignore_errors=True)
            pytest.fail("Der PostgreSQL-Server lief nach SIGTERM weiter.")
    assert not folder.exists()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
