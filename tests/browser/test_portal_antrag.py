"""An online application on a phone (375 px): signed in at the demo identity provider,
the demo Jobcenter's „Formlose Nachricht“ begun from the start page, filled, checked
with an error first, submitted; axe and the page checks on every page, screenshots
under portal-antrag/."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser

from tests.browser.pagecheck import PageWatch, format_failures

pytestmark = pytest.mark.browser

PORTAL = "/portal/jobcenter-musterland"


def test_apply_online_on_a_phone(server_url: str, chromium: Browser) -> None:
    context = chromium.new_context(
        locale="de-DE", viewport={"width": 375, "height": 740}, has_touch=True
    )
    failures: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        watch = PageWatch(page)

        def step(what: str, action: Callable[[], None], *, expected: int = 200) -> None:
            watch.reset()
            with page.expect_navigation() as nav:
                action()
            status = nav.value.status if nav.value else None
            shot = f"portal-antrag/{what.replace(' ', '-')}"
            if problems := watch.inspect(status=status, expected_status=expected, shot=shot):
                failures[what] = problems

        page.goto(f"{server_url}{PORTAL}/anmelden/")
        with page.expect_navigation():
            page.get_by_role("button", name="Mit BundID anmelden").click()
        page.get_by_label("Deniz Yılmaz", exact=False).check()
        with page.expect_navigation():
            page.get_by_role("button", name="Anmelden").click()
        step("start", lambda: page.get_by_role("button", name="Weiter zum Portal").click())
        step(
            "schritt",
            lambda: page.get_by_role(
                "button", name="Formlose Nachricht oder formloser Antrag"
            ).click(),
        )
        # an empty required field: the step's error summary
        step(
            "schritt fehler",
            lambda: page.get_by_role("button", name="Weiter zur Prüfung").click(),
        )
        page.get_by_label("Betreff").fill("Nebenkostennachzahlung")
        page.get_by_label("Ihre Nachricht").fill("Bitte übernehmen Sie die Nachzahlung.")
        step("pruefen", lambda: page.get_by_role("button", name="Weiter zur Prüfung").click())
        step("eingereicht", lambda: page.get_by_role("button", name="Antrag absenden").click())
        assert "Antrag abgesendet" in page.content()
        assert page.get_by_role("link", name="Eingangsbestätigung herunterladen (PDF)").is_visible()
    finally:
        context.close()
    assert not failures, format_failures(failures)
