"""The Koffer's own page on a laptop in Koffer mode, in a real browser at 375 px: the
demo's field worker signs in, finds „Koffer“ in the navigation, sees the pairing form
(labelled, reachable by keyboard, its inputs as wide as the form) and no sideways
scrolling; a fresh Koffer (no account) lands on „Koffer einrichten“. Screenshots are kept
under test-artifacts/screenshots/koffer/."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from koffer.shell import server
from tests import dbtemplate
from tests.browser.conftest import ARTIFACTS, _manage, _server_env, _wait_healthy
from tests.browser.pagecheck import SCREENSHOTS, PageWatch, sign_in
from tests.subprocesses import ROOT, stop_group

pytestmark = pytest.mark.browser

WIDTH = 375


def _koffer_server(tmp_path_factory: pytest.TempPathFactory, *, demo: bool) -> Iterator[str]:
    name = "unterwegs" if demo else "einrichten"
    var_dir = tmp_path_factory.mktemp(f"koffer-{name}-var")
    env = {
        **_server_env(var_dir),
        "KOFFER_MODE": "koffer",
        "KOFFER_BUERO_URL": "http://127.0.0.1:9",
    }
    migrated = dbtemplate.migrate_var_dir(var_dir, env)
    assert migrated.returncode == 0, migrated.stderr
    if demo:
        _manage(env, "load_demo")
    port = server.free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"server-koffer-{name}.log"
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


@pytest.fixture(scope="module")
def koffer_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _koffer_server(tmp_path_factory, demo=True)


@pytest.fixture(scope="module")
def frischer_koffer_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh Koffer: migrated, no demo, nobody in it, not paired."""
    yield from _koffer_server(tmp_path_factory, demo=False)


def _breiten(page: Page) -> dict[str, float]:
    """The widths of the pairing form and its two inputs, in px."""
    return dict(
        page.evaluate(
            """() => ({
                form: document.querySelector('form.koffer-form').clientWidth,
                buero: document.querySelector('#id_buero').getBoundingClientRect().width,
                code: document.querySelector('#id_code').getBoundingClientRect().width,
            })"""
        )
    )


def _gleich_breit(breiten: dict[str, float], *, fehler: int = 0) -> None:
    # Both inputs fill the form like every KERN input (the browser's default is ~170 px);
    # an input with an error is indented by KERN's error bar (``fehler`` px).
    assert breiten["buero"] >= breiten["form"] - 2, breiten
    assert breiten["code"] >= breiten["form"] - 2 - fehler, breiten


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
    _gleich_breit(_breiten(page))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"waagerechtes Scrollen: {width} px"
    page.screenshot(path=str(SCREENSHOTS / "koffer" / "unterwegs_375.png"), full_page=True)
    context.close()


def test_a_fresh_koffer_lands_on_its_set_up_page_at_375px(
    frischer_koffer_url: str, chromium: Browser
) -> None:
    context = chromium.new_context(locale="de-DE", viewport={"width": WIDTH, "height": 740})
    watch = PageWatch(context.new_page())
    page = watch.page
    page.goto(f"{frischer_koffer_url}/")
    assert page.url == f"{frischer_koffer_url}/unterwegs/einrichten/"

    problems = watch.check(page.url, shot="koffer/einrichten")

    assert not problems, problems
    assert page.get_by_role("heading", name="Koffer einrichten").is_visible()
    assert page.get_by_label("Adresse des Büros").input_value() == "http://127.0.0.1:9"
    _gleich_breit(_breiten(page))
    page.keyboard.press("Tab")
    for _ in range(30):  # keyboard only: the code field is reached
        if page.evaluate("document.activeElement.name") == "code":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "code"
    page.keyboard.type("ABCD-EFGH")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    fehler = page.locator(".kern-error").first
    assert "nicht erreichbar" in fehler.inner_text()
    _gleich_breit(_breiten(page), fehler=24)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"waagerechtes Scrollen: {width} px"
    page.screenshot(path=str(SCREENSHOTS / "koffer" / "einrichten_375.png"), full_page=True)
    context.close()
