"""Issue 18, item 5 in two real browsers at once: the field worker (on a small screen)
invites an expert with the citizen's consent, the expert (at the office desk) joins, both
fill fields of the same form and each sees the other's change appear without reloading;
the signature and the attachments stay hidden from the expert. Both screens are
screenshotted."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.pagecheck import run_axe, screenshot_dir, sign_in

pytestmark = pytest.mark.browser

LIVE = 5_000  # ms: the test's patience; the speed itself is measured in tests/field


def _shot(page: Page, name: str) -> None:
    folder = screenshot_dir("experte")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_field_worker_and_expert_fill_one_form_at_the_same_time(
    chromium: Browser, server_url: str
) -> None:
    mobil = chromium.new_context(locale="de-DE", viewport={"width": 375, "height": 800})
    buero = chromium.new_context(locale="de-DE", viewport={"width": 1366, "height": 900})
    try:
        worker, experte = mobil.new_page(), buero.new_page()
        sign_in(worker, server_url, "sb.jobcenter")
        sign_in(experte, server_url, "tl.jobcenter")

        # The field worker invites; without the consent box nothing happens.
        worker.goto(server_url + "/koffer/experte/")
        worker.get_by_role("link", name="Expertin/Experte einladen").first.click()
        worker.get_by_label("Expertin/Experte").select_option(label="Tim Krause")
        worker.get_by_label("Einwilligung gegeben von").fill("Anna Beispiel")
        worker.get_by_label("Art der Einwilligung").select_option(label="mündlich")
        worker.get_by_role("button", name="Einladen").click()
        expect(worker.locator(".koffer-error-summary")).to_contain_text("Einwilligung")
        worker.get_by_label(re.compile("ist einverstanden")).check()
        worker.get_by_role("button", name="Einladen").click()
        expect(worker.get_by_role("heading", level=1)).to_contain_text("Expertensitzung")

        # The expert sees the invitation and joins.
        experte.goto(server_url + "/koffer/experte/")
        experte.get_by_role("link", name="Formlose Nachricht oder formloser Antrag").click()
        experte.get_by_role("button", name="Beitreten").click()
        expect(experte.locator("#experte-live")).to_have_attribute("data-live-state", "open")
        worker.reload()
        expect(worker.locator("#experte-live")).to_have_attribute("data-live-state", "open")

        # Both type, each into another field; each sees the other's text arrive.
        worker.get_by_label("Betreff", exact=True).fill("Umzug zum 1. Januar")
        experte.get_by_label("Ihre Nachricht", exact=True).fill("Bitte Mietvertrag beifügen.")
        expect(experte.get_by_label("Betreff", exact=True)).to_have_value(
            "Umzug zum 1. Januar", timeout=LIVE
        )
        expect(worker.get_by_label("Ihre Nachricht", exact=True)).to_have_value(
            "Bitte Mietvertrag beifügen.", timeout=LIVE
        )
        expect(worker.locator("#experte-status")).to_contain_text("Tim Krause", timeout=LIVE)
        expect(experte.locator("#experte-status")).to_contain_text("Lea Wagner", timeout=LIVE)
        # The expert corrects the worker's field; the worker's screen follows.
        experte.get_by_label("Betreff", exact=True).fill("Umzug zum 1. Februar")
        expect(worker.get_by_label("Betreff", exact=True)).to_have_value(
            "Umzug zum 1. Februar", timeout=LIVE
        )

        # What the expert may not see is not on their page at all.
        assert "für Sie verborgen" in experte.content()
        expect(experte.get_by_label("Unterschrift", exact=True)).to_have_count(0)

        assert run_axe(worker) == []
        assert run_axe(experte) == []
        assert worker.evaluate("document.documentElement.scrollWidth") <= 375
        _shot(worker, "aussendienst-375")
        _shot(experte, "experte-1366")

        # The field worker ends the session: the expert's page says so by itself.
        worker.get_by_role("button", name="Sitzung beenden").click()
        expect(experte.get_by_text("Diese Sitzung ist beendet.")).to_be_visible(timeout=LIVE)
    finally:
        mobil.close()
        buero.close()
