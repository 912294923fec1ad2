"""Keeping ``make run`` up: ``serve`` starts its parts (web server, live updates,
background worker) and starts a part again when it dies, after a pause that doubles with
each failure in a row (1 s, 2 s, 4 s … 30 s) and starts over once the part stayed up a
while. Only Ctrl-C or SIGTERM stops the whole.

The state of the parts goes to a small JSON file in KOFFER_VAR_DIR, which ``/readyz``
reads (koffer.jobs.readiness): a part that is down makes koffer not ready, and a part
that was restarted is named with the time and the number of restarts.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.utils import timezone

STATUS_FILE = "serve-status.json"
FIRST_PAUSE = 1.0
MAX_PAUSE = 30.0
# A part that ran this long had no trouble starting: its next failure waits FIRST_PAUSE.
STABLE_SECONDS = 60.0
STOP_SECONDS = 15.0
# A part that ends with this code is done for good and not started again (the worker of a
# Koffer whose data was erased: ``koffer.jobs.anhalten``).
ENDGUELTIG = 79

Start = Callable[["Part"], "subprocess.Popen[bytes]"]
Say = Callable[[str], None]


@dataclass
class Part:
    """One process of ``serve`` and what happened to it."""

    key: str
    name: str  # German, for the log and /readyz
    command: list[str]
    env: dict[str, str]
    # Started by ``start_deferred`` (once the web server answers), not by ``start_all``.
    deferred: bool = False
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0  # monotonic
    restarts: int = 0
    restarted_at: datetime | None = None
    ended_at: datetime | None = None
    exit_code: int | None = None
    pause: float = FIRST_PAUSE
    due: float | None = None  # monotonic time of the next start while the part is down
    finished: bool = False  # ended with ENDGUELTIG: not started again

    @property
    def running(self) -> bool:
        return self.due is None and self.process is not None


def exit_text(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"Signal {signal.Signals(-code).name}"
    return f"Code {code}"


class Supervisor:
    """Starts the parts, restarts a dead one with backoff, stops them all on request."""

    def __init__(
        self,
        parts: list[Part],
        *,
        status_path: Path,
        start: Start,
        say: Say,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.parts = parts
        self.status_path = status_path
        self._start = start
        self._say = say
        self._clock = clock
        self._now = now

    def start_all(self) -> None:
        """Start every part that is not deferred."""
        for part in self.parts:
            if not part.deferred:
                self._launch(part)
        self.write_status()

    def deferred_waiting(self) -> bool:
        return any(part.process is None for part in self.parts)

    def start_deferred(self) -> None:
        """Start the deferred parts not started yet."""
        for part in self.parts:
            if part.process is None:
                self._launch(part)
        self.write_status()

    def tick(self) -> None:
        """Notice parts that ended and start those whose pause is over."""
        changed = False
        at = self._clock()
        for part in self.parts:
            if part.finished:
                continue
            if part.due is None and part.process is not None and part.process.poll() is not None:
                self._ended(part, at)
                changed = True
            elif part.due is not None and at >= part.due:
                self._launch(part)
                part.restarts += 1
                part.restarted_at = self._now()
                self._say(f"{part.name} neu gestartet ({part.restarts}. Neustart).")
                changed = True
        if changed:
            self.write_status()

    def _ended(self, part: Part, at: float) -> None:
        assert part.process is not None
        code = part.process.returncode
        # Each part runs in its own process group: whatever it left behind (granian's
        # workers after its main process died) goes too, and frees the port.
        kill_group(part.process)
        if code == ENDGUELTIG:
            part.finished, part.exit_code, part.ended_at = True, code, self._now()
            self._say(f"{part.name} endgültig beendet; wird nicht neu gestartet.")
            return
        if at - part.started >= STABLE_SECONDS:
            part.pause = FIRST_PAUSE
        part.exit_code = code
        part.ended_at = self._now()
        part.due = at + part.pause
        self._say(
            f"{part.name} unerwartet beendet ({exit_text(code)}); Neustart in {part.pause:g} s."
        )
        part.pause = min(part.pause * 2, MAX_PAUSE)

    def _launch(self, part: Part) -> None:
        part.process = self._start(part)
        part.started = self._clock()
        part.due = None

    def stop_all(self) -> None:
        """One SIGTERM to each running part (a second would make granian abandon its
        workers), then its whole group is killed if it hangs or left anything behind."""
        running = [p.process for p in self.parts if p.process is not None]
        for process in running:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                kill_group(process)
            kill_group(process)
        with contextlib.suppress(FileNotFoundError):
            self.status_path.unlink()

    def write_status(self) -> None:
        parts = [
            {
                "key": p.key,
                "name": p.name,
                "running": p.running,
                "pending": p.process is None,
                "finished": p.finished,
                "restarts": p.restarts,
                "restarted_at": p.restarted_at.isoformat() if p.restarted_at else None,
                "ended_at": p.ended_at.isoformat() if p.ended_at else None,
                "exit_code": p.exit_code,
            }
            for p in self.parts
        ]
        tmp = self.status_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "parts": parts}))
        os.replace(tmp, self.status_path)  # readers never see half a file


def kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def read_status(path: Path) -> list[dict[str, Any]] | None:
    """The parts as the running ``serve`` last wrote them; None without a running serve
    (a file left behind by a serve that was killed counts as none)."""
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(int(status["pid"]), 0)
    except (ProcessLookupError, KeyError, TypeError, ValueError):
        return None
    except PermissionError:
        pass  # alive, only not ours
    return list(status.get("parts") or [])


def readiness(path: Path) -> tuple[bool, str]:
    """Ready unless a part of ``serve`` is down; restarts are named with their time."""
    parts = read_status(path)
    if parts is None:
        return True, "nicht von „manage.py serve“ überwacht"
    notes: list[str] = []
    for part in parts:
        if part.get("pending"):
            notes.append(f"{part['name']}: startet, sobald der Webserver antwortet")
        elif part.get("finished"):
            notes.append(f"{part['name']}: endgültig beendet")
        elif not part["running"]:
            ended = _clock_time(part["ended_at"])
            notes.append(
                f"{part['name']}: läuft nicht (beendet um {ended},"
                f" {exit_text(part['exit_code'])}), wird neu gestartet"
            )
        elif part["restarts"]:
            restarts = part["restarts"]
            notes.append(
                f"{part['name']}: neu gestartet um {_clock_time(part['restarted_at'])},"
                f" {restarts} Neustart{'' if restarts == 1 else 's'}"
            )
    ready = all(part["running"] for part in parts)
    if not notes:
        return True, "alle Teile laufen"
    return ready, "; ".join(notes)


def _clock_time(iso: str | None) -> str:
    if not iso:
        return "?"
    return timezone.localtime(datetime.fromisoformat(iso)).strftime("%H:%M:%S")
