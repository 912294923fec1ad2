"""The header quick search in a real browser: suggestions while typing, keyboard only,
no axe violations with the list open; and the search page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.pagecheck import run_axe, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def page(chromium: Browser, server_url: str) -> Iterator[Page]:
    context = chromium.new_context(locale="de-DE")
    page = context.new_page()
    sign_in(page, server_url, "sb.jobcenter")
    yield page
    context.close()


def test_quick_search_with_the_keyboard(page: Page, server_url: str) -> None:
    box = page.get_by_role("combobox", name="Akte finden")
    box.focus()
    page.keyboard.type("beisp")
    options = page.get_by_role("option")
    expect(options.first).to_contain_text("Beispiel")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#koffer-quicksearch-status")).to_contain_text("gefunden")
    assert run_axe(page) == []

    page.keyboard.press("ArrowDown")
    first_id = options.first.get_attribute("id")
    expect(box).to_have_attribute("aria-activedescendant", first_id or "")
    expect(options.first).to_have_attribute("aria-selected", "true")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/akten/[0-9a-f-]{36}/$", page.url), page.url


def test_escape_closes_and_enter_submits_to_the_search_page(
    page: Page,
    server_url: str,
) -> None:
    box = page.get_by_role("combobox", name="Akte finden")
    box.fill("Beispiel")
    expect(page.get_by_role("option").first).to_be_visible()
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("option")).to_have_count(0)
    with page.expect_navigation():
        box.press("Enter")
    assert "/suche/?q=Beispiel" in page.url
    expect(page.get_by_role("heading", name="Akten")).to_be_visible()
    assert run_axe(page) == []
