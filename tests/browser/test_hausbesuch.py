"""The planners' pages of the Hausbesuch auf Anfrage on a phone (375 px): the demo's open
request in „Hausbesuche: Anfragen“, the request with its Akte search and planning form
(and its error state), declining (error state), and the administration's „Portal:
Hausbesuche“; axe and the page checks on each. Nothing is decided: the demo's request
stays open for the crawl."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser

from tests.browser.pagecheck import PageWatch, format_failures, sign_in

pytestmark = pytest.mark.browser

WIDTH = 375
PLANER = "sb.jobcenter"  # Leistungsteam 1 plans the demo Jobcenter's home visits
ADMIN = "admin.jobcenter"


def test_planning_a_requested_visit_at_375px(server_url: str, chromium: Browser) -> None:
    context = chromium.new_context(
        locale="de-DE", viewport={"width": WIDTH, "height": 740}, has_touch=True
    )
    failures: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        watch = PageWatch(page)

        def note(what: str, problems: list[str]) -> None:
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                problems = [*problems, f"waagerechtes Scrollen: Seite ist {width} px breit"]
            if problems:
                failures[what] = problems

        def step(what: str, action: Callable[[], None], *, expected: int = 200) -> None:
            watch.reset()
            with page.expect_navigation() as nav:
                action()
            status = nav.value.status if nav.value else None
            note(
                what,
                watch.inspect(status=status, expected_status=expected, shot=f"hausbesuch/{what}"),
            )

        sign_in(page, server_url, PLANER)
        note("anfragen", watch.check(f"{server_url}/koffer/hausbesuche/anfragen/"))
        assert "Anna Beispiel" in page.content()
        step("anfrage", lambda: page.get_by_role("link", name="Anfrage bearbeiten").first.click())
        assert "Bitte bei Sorge (Nr. 7) klingeln" in page.content()
        step(
            "anfrage fehler",
            lambda: page.get_by_role("button", name="Hausbesuch planen").click(),
            expected=400,
        )
        step("ablehnen", lambda: page.get_by_role("link", name="Anfrage ablehnen").click())
        step(
            "ablehnen fehler",
            lambda: page.get_by_role("button", name="Anfrage ablehnen").click(),
            expected=400,
        )
        context.clear_cookies()
        sign_in(page, server_url, ADMIN)
        note("verwaltung", watch.check(f"{server_url}/verwaltung/portal/hausbesuche/"))
    finally:
        context.close()
    assert not failures, format_failures(failures)
