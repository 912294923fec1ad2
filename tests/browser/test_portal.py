"""The citizens' portal in a browser: sign-in choices, the demo identity provider, a real
signed SAML answer into the portal, the start page and the Vertretungen (with an error
state), the e-mail pages; axe and the page checks on each."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser

from tests.browser.pagecheck import PageWatch, format_failures, slug_for

pytestmark = pytest.mark.browser

PORTAL = "/portal/jobcenter-musterland"


def test_citizen_pages(server_url: str, chromium: Browser) -> None:
    context = chromium.new_context(locale="de-DE")
    failures: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        watch = PageWatch(page)
        for path in (
            f"{PORTAL}/anmelden/",
            f"{PORTAL}/email/anmelden/",
            f"{PORTAL}/email/registrieren/",
            f"{PORTAL}/email/erneut-senden/",
            f"{PORTAL}/email/bestaetigen/beispiel/",
        ):
            if problems := watch.check(f"{server_url}{path}", shot=f"portal/{slug_for(path)}"):
                failures[path] = problems

        def step(what: str, action: Callable[[], None], *, expected: int = 200) -> None:
            watch.reset()
            with page.expect_navigation() as nav:
                action()
            status = nav.value.status if nav.value else None
            shot = f"portal/{what.replace(' ', '-')}"
            if problems := watch.inspect(status=status, expected_status=expected, shot=shot):
                failures[what] = problems

        page.goto(f"{server_url}{PORTAL}/anmelden/")
        page.get_by_label("hoch (Online-Ausweisfunktion)").check()
        step("demo-idp", lambda: page.get_by_role("button", name="Mit BundID anmelden").click())
        page.get_by_label("Deniz Yılmaz", exact=False).check()
        step("demo-idp weiter", lambda: page.get_by_role("button", name="Anmelden").click())
        step("start", lambda: page.get_by_role("button", name="Weiter zum Portal").click())
        assert "Deniz Yılmaz" in page.content(), page.url
        step("vertretungen", lambda: page.get_by_role("link", name="Vertretungen").click())
        step(
            "vertretungen fehler",
            lambda: page.get_by_role("button", name="Vertretung beantragen").click(),
            expected=400,
        )
    finally:
        context.close()
    assert not failures, format_failures(failures)
