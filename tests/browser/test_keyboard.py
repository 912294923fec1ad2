"""Keyboard only: the skip link comes first and lands in <main>; sign-in needs no mouse."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page

from koffer.demo.district import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(locale="de-DE")
    yield context.new_page()
    context.close()


def _focused(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => { const e = document.activeElement;
                  return {tag: e.tagName.toLowerCase(), id: e.id, text: e.innerText || '',
                          name: e.getAttribute('name') || ''}; }"""
    )


def _skip_to_main(page: Page) -> None:
    page.keyboard.press("Tab")
    focused = _focused(page)
    assert focused["tag"] == "a" and focused["text"].strip() == "Zum Inhalt springen", focused
    box = page.locator(".koffer-skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "Sprunglink bei Fokus unsichtbar"
    page.keyboard.press("Enter")
    focused = _focused(page)
    assert focused["tag"] == "main" and focused["id"] == "inhalt", focused


def test_skip_link_is_first_tab_stop_and_focuses_main(server_url: str, page: Page) -> None:
    page.goto(f"{server_url}/barrierefreiheit/")
    _skip_to_main(page)


def test_sign_in_with_keyboard_only(server_url: str, page: Page) -> None:
    page.goto(f"{server_url}/anmelden/")
    _skip_to_main(page)
    page.keyboard.press("Tab")
    assert _focused(page)["name"] == "username"
    page.keyboard.type("sb.jugendamt")
    page.keyboard.press("Tab")
    assert _focused(page)["name"] == "password"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    assert _focused(page)["text"].strip() == "Anmelden"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Guten Tag")
    # Signed in, the skip link still comes before the header's tools and the navigation.
    page.goto(f"{server_url}/")
    _skip_to_main(page)


def test_sign_out_with_keyboard(server_url: str, page: Page) -> None:
    page.goto(f"{server_url}/anmelden/")
    page.get_by_label("Benutzername oder E-Mail").fill("sb.jugendamt")
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_label("Passwort").press("Enter")
    page.wait_for_url(f"{server_url}/")
    page.get_by_role("button", name="Abmelden").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.startswith(f"{server_url}/anmelden/")
    assert "Sie sind abgemeldet." in page.locator("main").inner_text()
