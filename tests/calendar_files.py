"""The test files that hold a test marked `calendar` (and not `browser`), one a line.

    python -m tests.calendar_files

`make test-dates` runs the date-sensitive tests on four more days. Naming every test
folder there made each of those runs import and collect the whole suite (~3,500 tests,
about 8 s of CPU in each xdist worker) to keep the ~80 calendar tests; this collects once,
and the date runs collect only these files with the same `-m` expression, so they select
the same tests. No such test found is an error: an empty list would make pytest run
everything.
"""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

EXPRESSION = "calendar and not browser"
ROOT = Path(__file__).resolve().parents[1]


class _Files:
    def __init__(self) -> None:
        self.paths: set[Path] = set()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.paths = {Path(item.path) for item in session.items}


def files() -> list[str]:
    found = _Files()
    report = io.StringIO()  # pytest's own report, shown only when collecting failed
    with redirect_stdout(report):
        code = pytest.main(
            ["--collect-only", "-qq", "-p", "no:xdist", "-m", EXPRESSION, str(ROOT / "tests")],
            plugins=[found],
        )
    if code != pytest.ExitCode.OK or not found.paths:
        sys.stderr.write(report.getvalue())
        sys.exit(f"Keine Tests mit Datumsbezug gefunden (pytest: {code}).")
    return sorted(str(path.relative_to(ROOT)) for path in found.paths)


def main() -> int:
    names = files()
    print("\n".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
