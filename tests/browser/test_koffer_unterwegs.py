"""The Koffer's own page on a laptop in Koffer mode, in a real browser at 375 px: the
demo's field worker signs in, finds „Koffer“ in the navigation, sees the pairing form
(labelled, reachable by keyboard) and no sideways scrolling; a screenshot is kept under
test-artifacts/screenshots/koffer/."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from koffer.shell import server
from tests import dbtemplate
from tests.browser.conftest import ARTIFACTS, _manage, _server_env, _wait_healthy
from tests.browser.pagecheck import SCREENSHOTS, PageWatch, sign_in
from tests.subprocesses import ROOT, stop_group

pytestmark = pytest.mark.browser

WIDTH = 375


@pytest.fixture(scope="module")
def koffer_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir = tmp_path_factory.mktemp("koffer-unterwegs-var")
    env = {
        **_server_env(var_dir),
        "KOFFER_MODE": "koffer",
        "KOFFER_BUERO_URL": "http://127.0.0.1:9",
    }
    migrated = dbtemplate.migrate_var_dir(var_dir, env)
    assert migrated.returncode == 0, migrated.stderr
    _manage(env, "load_demo")
    port = server.free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "server-koffer-unterwegs.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            server.web_command(host="127.0.0.1", port=port, workers=1),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        stop_group(proc)


def test_the_koffer_page_at_375px(koffer_url: str, chromium: Browser) -> None:
    context = chromium.new_context(locale="de-DE", viewport={"width": WIDTH, "height": 740})
    watch = PageWatch(context.new_page())
    page = watch.page
    sign_in(page, koffer_url, "aussendienst")
    page.goto(f"{koffer_url}/")
    # At 375 px the menu is folded: the entry is there, behind „Menü“.
    nav = page.get_by_role("navigation", name="Module")
    assert nav.locator('a[href="/unterwegs/"]').count() == 1

    problems = watch.check(f"{koffer_url}/unterwegs/", shot="koffer/unterwegs")

    assert not problems, problems
    assert page.get_by_role("heading", name="Koffer", exact=True).is_visible()
    code = page.get_by_label("Kopplungscode")
    code.focus()
    assert page.evaluate("document.activeElement.name") == "code"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"waagerechtes Scrollen: {width} px"
    page.screenshot(path=str(SCREENSHOTS / "koffer" / "unterwegs_375.png"), full_page=True)
    context.close()
