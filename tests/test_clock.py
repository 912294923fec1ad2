"""The suite's pinned clock (tests/conftest.py): data built from "today" means the same
thing on every day the suite runs, and make test-dates moves it."""

from __future__ import annotations

import subprocess
import time
from datetime import date, datetime

import pytest
from django.utils import timezone

from tests.conftest import BERLIN, test_today

pytestmark = pytest.mark.calendar


def test_every_test_runs_on_the_pinned_day_at_ten_in_berlin() -> None:
    assert timezone.localdate() == test_today()
    assert date.today() == test_today()
    assert timezone.localtime().hour == 10
    assert datetime.now(BERLIN).date() == test_today()


def test_the_pinned_clock_still_ticks() -> None:
    before = timezone.now()
    time.sleep(0.02)
    assert timezone.now() > before


@pytest.mark.today("2028-02-29")
def test_a_test_written_for_one_day_stays_on_it() -> None:
    assert timezone.localdate() == date(2028, 2, 29)


def _machine_seconds() -> int:
    """The time as another process sees it (the pinned clock lives in this one only)."""
    return int(subprocess.run(["date", "+%s"], capture_output=True, text=True).stdout)


@pytest.mark.real_clock
def test_real_clock_tests_see_the_machine_time() -> None:
    assert abs(time.time() - _machine_seconds()) < 60


def test_other_tests_do_not() -> None:
    assert abs(time.time() - _machine_seconds()) > 60  # unless run at 10:00 on that very day
