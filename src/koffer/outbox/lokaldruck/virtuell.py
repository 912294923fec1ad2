"""A real IPP printer on this machine for the demo and the tests: ``ippeveprinter`` from
cups-ipp-utils, keeping every job's PDF in its spool folder.

ippeveprinter always registers itself by DNS-SD through Avahi on the system D-Bus and
exits when there is no bus; a private ``dbus-daemon`` in the spool folder stands in for
it (``-r off`` registers nothing). Both are children of the caller, who stops them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

TOOL = "ippeveprinter"
BUS = "dbus-daemon"
# Run for each job by the printer: its job attributes (IPP_SIDES, IPP_JOB_NAME, …) kept
# beside the PDF, and a job aborted while the file ``stoerung`` lies in the spool folder.
# A slow printer: while the file ``langsam`` lies there, a job takes as many seconds as
# the file says.
JOB_SCRIPT = """#!/bin/sh
env | grep '^IPP_' | sort > "$1.attrs"
spool="$(dirname "$1")"
if [ -e "$spool/stoerung" ]; then echo "STATE: +media-jam-error" >&2; exit 1; fi
if [ -e "$spool/langsam" ]; then sleep "$(cat "$spool/langsam")"; fi
exit 0
"""


def missing() -> list[str]:
    """The tools this needs that this machine lacks (empty: it can run)."""
    return [tool for tool in (TOOL, BUS) if shutil.which(tool) is None]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@dataclass
class VirtuellerDrucker:
    """``start()`` it, print to :attr:`uri`, ``stop()`` it; the PDFs land in ``spool``."""

    spool: Path
    name: str = "koffer-test"
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return f"ipp://127.0.0.1:{self.port}/ipp/print"

    def start(self, timeout: float = 10.0) -> VirtuellerDrucker:
        self.spool.mkdir(parents=True, exist_ok=True)
        script = self.spool / "job.sh"
        script.write_text(JOB_SCRIPT)
        script.chmod(0o755)
        bus = self.spool / "bus"
        bus.unlink(missing_ok=True)
        log = (self.spool / "drucker.log").open("ab")
        self.processes.append(
            subprocess.Popen(  # noqa: S603 - a fixed argument list
                [BUS, "--session", "--nofork", f"--address=unix:path={bus}"],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        )
        self._wait_for(lambda: bus.exists(), timeout)
        env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={bus}"}
        options = ["-r", "off", "-2", "-k", "-f", "application/pdf", "-c", str(script)]
        where = ["-d", str(self.spool), "-p", str(self.port)]
        self.processes.append(
            subprocess.Popen(  # noqa: S603 - a fixed argument list
                [TOOL, *options, *where, self.name],
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        )
        self._wait_for(self._listening, timeout)
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def _wait_for(self, ready: object, timeout: float) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if callable(ready) and ready():
                return
            if any(p.poll() is not None for p in self.processes):
                break
            time.sleep(0.05)
        self.stop()
        log = (self.spool / "drucker.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"Der virtuelle Drucker startet nicht: {log}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=5)
        self.processes.clear()

    def pdfs(self) -> list[Path]:
        """The PDFs printed so far, in the order of their job numbers."""
        return sorted(self.spool.glob("*.pdf"), key=lambda p: int(p.name.split("-", 1)[0]))

    def attributes(self, pdf: Path) -> dict[str, str]:
        """The job attributes the printer received with ``pdf``."""
        text = Path(f"{pdf}.attrs").read_text(errors="replace")
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    def langsam(self, seconds: float) -> None:
        """Each job takes ``seconds`` from now on (0: as fast as it can)."""
        marker = self.spool / "langsam"
        if seconds:
            marker.write_text(f"{seconds:g}")
        else:
            marker.unlink(missing_ok=True)

    def stoerung(self, on: bool) -> None:
        """A paper jam from now on (every job aborted), or none."""
        marker = self.spool / "stoerung"
        if on:
            marker.touch()
        else:
            marker.unlink(missing_ok=True)
