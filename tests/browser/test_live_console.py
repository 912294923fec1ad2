"""Live updates without console errors (issue 14): the youth office's search page opens
its event stream on the stream process's own port (CSP connect-src names it) and swaps
in fresh results through htmx; neither may log a CSP violation or a failed request."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.pagecheck import PageWatch, sign_in

pytestmark = pytest.mark.browser


def test_the_live_search_page_logs_no_errors(chromium: Browser, server_url: str) -> None:
    context = chromium.new_context(locale="de-DE")
    try:
        watch = PageWatch(context.new_page())
        page = watch.page
        sign_in(page, server_url, "sb.jugendamt")
        page.goto(server_url + "/plaetze/gesuche/")
        watch.reset()
        page.get_by_role("link", name=re.compile("G-")).first.click()
        results = page.locator("#treffer")
        expect(results).to_have_attribute("data-live-state", "open")
        # What an event from the stream does: htmx fetches the results and swaps them in.
        with page.expect_response(lambda r: "/treffer/" in r.url) as fetched:
            page.evaluate("window.htmx.trigger('#treffer', 'placements:changed')")
        assert fetched.value.status == 200
        expect(results).to_contain_text("Wohngruppe Sonnenhof")
        page.wait_for_timeout(500)
        assert watch.console_errors == [], watch.console_errors
        assert watch.failed_requests == [], watch.failed_requests
    finally:
        context.close()
