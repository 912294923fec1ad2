"""serve's supervisor: a dead part is started again after 1, 2, 4 … 30 s, the pause starts
over after the part stayed up, and /readyz tells a part that is down or was restarted."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from koffer.shell import supervision


class _Process:
    """A stand-in for Popen: runs until ``die`` is called."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode

    def die(self, code: int = -signal.SIGKILL) -> None:
        self.returncode = code


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _supervisor(tmp_path: Path) -> tuple[supervision.Supervisor, _Clock, list[str]]:
    clock, said = _Clock(), list[str]()
    started = iter(range(10**6, 10**7))  # pids nobody has: killpg finds no group

    def start(part: supervision.Part) -> Any:
        return _Process(next(started))

    parts = [
        supervision.Part(key="web", name="Webserver", command=[], env={}),
        supervision.Part(key="worker", name="Hintergrund-Worker", command=[], env={}),
    ]
    sup = supervision.Supervisor(
        parts,
        status_path=tmp_path / supervision.STATUS_FILE,
        start=start,
        say=said.append,
        clock=clock,
        now=lambda: datetime(2026, 12, 7, 7, 30, 5, tzinfo=UTC),
    )
    sup.start_all()
    return sup, clock, said


def _crash_and_restart(sup: supervision.Supervisor, clock: _Clock, part: supervision.Part) -> float:
    """Kill the part; return how long the supervisor waited before starting it again."""
    part.process.die()  # type: ignore[union-attr]
    sup.tick()
    died = clock.now
    while not part.running:
        clock.now += 0.5
        sup.tick()
    return clock.now - died


def test_pause_doubles_up_to_thirty_seconds_and_starts_over_after_a_stable_run(
    tmp_path: Path,
) -> None:
    sup, clock, said = _supervisor(tmp_path)
    worker = sup.parts[1]
    pauses = [_crash_and_restart(sup, clock, worker) for _ in range(7)]
    assert pauses == [1, 2, 4, 8, 16, 30, 30]
    assert worker.restarts == 7 and sup.parts[0].restarts == 0
    assert said[0] == "Hintergrund-Worker unerwartet beendet (Signal SIGKILL); Neustart in 1 s."
    assert said[1] == "Hintergrund-Worker neu gestartet (1. Neustart)."

    clock.now += supervision.STABLE_SECONDS  # up for a minute: trouble is over
    assert _crash_and_restart(sup, clock, worker) == 1


def test_readiness_names_a_part_that_is_down_and_one_that_was_restarted(tmp_path: Path) -> None:
    sup, clock, _ = _supervisor(tmp_path)
    path = tmp_path / supervision.STATUS_FILE
    assert supervision.readiness(path) == (True, "alle Teile laufen")

    worker = sup.parts[1]
    worker.process.die(1)  # type: ignore[union-attr]
    sup.tick()
    ok, detail = supervision.readiness(path)
    assert not ok
    assert (
        detail
        == "Hintergrund-Worker: läuft nicht (beendet um 08:30:05, Code 1), wird neu gestartet"
    )

    clock.now += 1
    sup.tick()
    _crash_and_restart(sup, clock, worker)
    assert supervision.readiness(path) == (
        True,
        "Hintergrund-Worker: neu gestartet um 08:30:05, 2 Neustarts",
    )


def test_a_status_file_of_a_serve_that_is_gone_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / supervision.STATUS_FILE
    path.write_text(json.dumps({"pid": 2**22 + 12345, "parts": [{"running": False}]}))
    assert supervision.readiness(path) == (True, "nicht von „manage.py serve“ überwacht")


def test_a_deferred_part_starts_only_when_asked_and_is_not_ready_before(tmp_path: Path) -> None:
    """serve starts the worker and the stream process once the web server answers."""
    sup, clock, _ = _supervisor(tmp_path)
    sup.parts.append(
        supervision.Part(key="live", name="Live-Aktualisierung", command=[], env={}, deferred=True)
    )
    sup.start_all()  # again, with the deferred part: it is not started
    live = sup.parts[2]
    assert live.process is None and sup.deferred_waiting()
    clock.now += 5
    sup.tick()  # waiting is not dying: no restart is planned
    assert live.process is None and live.due is None
    path = tmp_path / supervision.STATUS_FILE
    assert supervision.readiness(path) == (
        False,
        "Live-Aktualisierung: startet, sobald der Webserver antwortet",
    )

    sup.start_deferred()
    assert live.running and not sup.deferred_waiting()
    assert supervision.readiness(path) == (True, "alle Teile laufen")
