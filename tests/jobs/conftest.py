from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from koffer.audit import services as audit
from koffer.jobs import registry, runner
from koffer.jobs.runner import JobRun, Outcome

FLAKY = "test.flaky"


@dataclass
class Flaky:
    """A job kind with three steps a, b, c; each step writes an audit event (its side
    effect in the database) and counts how often its work ran."""

    calls: Counter[str] = field(default_factory=Counter)
    fail_at: str | None = None
    stop_after: str | None = None

    def handle(self, run: JobRun) -> Outcome:
        keys = ("a", "b", "c")
        for number, key in enumerate(keys, start=1):
            run.step(key, partial(self.work, run, key))
            run.progress(number, len(keys), f"Schritt {key} erledigt")
        return Outcome("Alle Schritte erledigt.")

    def work(self, run: JobRun, key: str) -> dict[str, Any]:
        self.calls[key] += 1
        audit.record(actor=None, tenant_id=run.tenant_id, action=f"test.step.{key}")
        if self.fail_at == key:
            raise RuntimeError("Festplatte explodiert")
        if self.stop_after == key:
            runner.request_stop()
        return {"key": key}


@pytest.fixture
def flaky() -> Iterator[Flaky]:
    kind = Flaky()
    registry.register(
        registry.JobKind(code=FLAKY, label="Testauftrag", description="", handler=kind.handle)
    )
    yield kind
    registry.unregister(FLAKY)
    runner.clear_stop()


@pytest.fixture
def blob_dir(tmp_path: Path, settings) -> Path:
    settings.KOFFER_BLOB_DIR = tmp_path / "blobs"
    return settings.KOFFER_BLOB_DIR
