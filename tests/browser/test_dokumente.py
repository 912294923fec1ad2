"""Document pages in a real browser (issue 14): after an upload the Akte's list and its
count "Dokumente (n)" are new without a reload; a page enlarged is a page of its own
(heading, way back, keyboard) without console errors; /favicon.ico answers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from koffer.demo.records import AUSZUG_AKTE
from tests.browser.pagecheck import PageWatch, format_failures, sign_in
from tests.records.dokumente.test_documents_fixtures import text_pdf

pytestmark = pytest.mark.browser


@pytest.fixture
def watch(chromium: Browser, server_url: str) -> Iterator[PageWatch]:
    context = chromium.new_context(locale="de-DE")
    watch = PageWatch(context.new_page())
    sign_in(watch.page, server_url, "sb.sozialamt")
    yield watch
    context.close()


def _open_akte(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/akten/")
    page.locator("tr", has_text=AUSZUG_AKTE).locator("a").first.click()
    page.wait_for_load_state()


def _count(page: Page) -> int:
    heading = page.locator("#dokumente-titel").inner_text()
    found = re.fullmatch(r"Dokumente \((\d+)\)", heading.strip())
    assert found, heading
    return int(found.group(1))


def test_upload_updates_the_list_and_its_count(watch: PageWatch, server_url: str) -> None:
    page = watch.page
    _open_akte(page, server_url)
    before = _count(page)
    name = f"nachreichung-{uuid.uuid4().hex[:8]}.pdf"
    received = page.get_by_label("Eingangsdatum")
    assert received.input_value(), "das Eingangsdatum ist nicht vorbelegt"
    page.get_by_label("Dateien auswählen").set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": text_pdf(1, marker=name)}
    )
    watch.reset()
    page.get_by_role("button", name="Hochladen").click()
    expect(page.locator("[data-upload-summary]")).to_contain_text("Fertig: 1 von 1")
    expect(page.locator("#dokumente-titel")).to_have_text(f"Dokumente ({before + 1})")
    row = page.locator(".koffer-dokumente__table tr", has_text=name.removesuffix(".pdf"))
    expect(row).to_have_count(1)
    day = received.input_value()  # yyyy-mm-dd
    expect(row).to_contain_text(f"{day[8:10]}.{day[5:7]}.{day[:4]}")
    assert watch.console_errors == [] and watch.failed_requests == []


def test_an_enlarged_page_is_a_page_with_a_way_back(watch: PageWatch, server_url: str) -> None:
    page = watch.page
    _open_akte(page, server_url)
    page.locator(".koffer-dokumente__table a[href^='/dokumente/']").first.click()
    page.wait_for_load_state()
    document_url = page.url.split("#")[0]
    zoom = page.locator("a.koffer-viewer__zoom").first
    watch.reset()
    with page.expect_navigation() as nav:
        zoom.click()
    status = nav.value.status if nav.value else None
    problems = watch.inspect(status=status, shot="dokumente/seite-vergroessert")
    assert not problems, format_failures({page.url: problems})
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Seite 1 von \d+"))
    expect(page.get_by_role("img", name=re.compile("Seite 1 von"))).to_be_visible()
    back = page.get_by_role("link", name="Zurück zum Dokument")
    back.focus()
    expect(back).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Escape")
    assert page.url == f"{document_url}#seite-1"


def test_favicon_ico_answers_with_the_icon(watch: PageWatch, server_url: str) -> None:
    response = watch.page.request.get(f"{server_url}/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
