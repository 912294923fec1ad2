"""The citizens' portal in a browser: sign-in choices, the demo identity provider, a real
signed SAML answer into the portal, the start page and the Vertretungen (with an error
state), a home visit asked for (with an error state), the e-mail pages; axe and the page
checks on each."""

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
        # Hausbesuch anfragen: for whom, then the request with an error state, then sent.
        page.goto(f"{server_url}{PORTAL}/")
        step("hausbesuch", lambda: page.get_by_role("link", name="Hausbesuch anfragen").click())
        page.get_by_label("für eine angehörige oder andere Person", exact=False).check()
        step("hausbesuch fuer", lambda: page.get_by_role("button", name="Weiter").click())
        step(
            "hausbesuch fehler",
            lambda: page.get_by_role("button", name="Hausbesuch anfragen").click(),
            expected=400,
        )
        page.get_by_label("Familienname").fill("Brandt")
        page.get_by_label("Straße und Hausnummer").fill("Kirchgasse 9")
        page.get_by_label("Postleitzahl").fill("99999")
        page.get_by_label("Ort", exact=True).fill("Musterstadt")
        page.get_by_label("Telefon für Rückruf").fill("0151 2345678")
        page.get_by_label("Thema").select_option("beratung")
        page.get_by_label("Dienstag").check()
        step(
            "hausbesuch gesendet",
            lambda: page.get_by_role("button", name="Hausbesuch anfragen").click(),
        )
        assert "eingegangen, wird geplant" in page.content(), page.url
        # … and withdrawn again: the confirm step, then „zurückgezogen“ on the start page.
        step(
            "hausbesuch zurueckziehen",
            lambda: page.get_by_role("link", name="Anfrage zurückziehen").first.click(),
        )
        step(
            "hausbesuch zurueckgezogen",
            lambda: page.get_by_role("button", name="Ja, Anfrage zurückziehen").click(),
        )
        assert "zurückgezogen" in page.content(), page.url
        page.goto(f"{server_url}{PORTAL}/")
        step("postfach", lambda: page.get_by_role("link", name="Postfach").click())
        # Deniz Yılmaz's Akte has an open Vorgang (the demo's application): its messages.
        vorgaenge = page.get_by_role("list", name="Vorgänge, zu denen Sie schreiben können")
        step("nachrichten", lambda: vorgaenge.get_by_role("link").first.click())
        step(
            "nachrichten fehler",
            lambda: page.get_by_role("button", name="Nachricht senden").click(),
            expected=400,
        )
    finally:
        context.close()
    assert not failures, format_failures(failures)
