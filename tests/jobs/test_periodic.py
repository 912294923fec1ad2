"""The apps' periodic work runs from every worker's heartbeat: at the first tick, then
once per interval; a failure is logged and never stops the others."""

from __future__ import annotations

import pytest

from koffer.jobs import periodic


@pytest.fixture
def clock() -> list[float]:
    return [100.0]


def test_work_runs_when_due_and_failures_do_not_stop_it(
    clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(periodic, "_registered", {})
    runs: list[str] = []

    def broken() -> None:
        runs.append("kaputt")
        raise RuntimeError("Ordner nicht lesbar")

    periodic.register("zaehlen", every=lambda: 10, run=lambda: runs.append("zaehlen"))
    periodic.register("kaputt", every=lambda: 10, run=broken)
    periodic.register("aus", every=lambda: 0, run=lambda: runs.append("aus"))
    schedule = periodic.Schedule(clock=lambda: clock[0])
    assert schedule.run_due() == ["zaehlen", "kaputt"]  # all due at the first tick
    clock[0] += 5
    assert schedule.run_due() == []
    clock[0] += 5
    assert schedule.run_due() == ["zaehlen", "kaputt"]
    assert runs == ["zaehlen", "kaputt", "zaehlen", "kaputt"]
