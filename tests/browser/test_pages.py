"""Every page every demo role can reach: accessible (axe, WCAG 2.1 AA), German, with a
heading, without console errors, CSP violations or failed requests.

The crawler follows same-origin links from the start page and the navigation, so pages that
new apps add are checked without touching this file.
"""

from __future__ import annotations

from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from playwright.sync_api import Browser, Page

from koffer.demo.district import USERS
from koffer.shell.views import server_error
from tests.browser.pagecheck import PageWatch, format_failures, sign_in, slug_for

pytestmark = pytest.mark.browser

MAX_DEPTH = 3
MAX_PAGES = 60
# Pages of one route share a template; a few instances (the first and the last link of each
# list) show its variants (person and machine account) without visiting every row.
PER_ROUTE = 2
SKIP_PREFIXES = ("/static/", "/api/", "/abmelden/")


def _one_user_per_role() -> dict[str, str]:
    chosen: dict[str, str] = {}
    for demo in USERS:
        if demo.machine:
            continue
        for _, _, role in demo.grants:
            chosen.setdefault(role, demo.username)
    return chosen


ROLE_USERS = _one_user_per_role()


def _route(path: str) -> str:
    try:
        return resolve(path).route
    except Resolver404:
        return path


def _same_origin_links(page: Page, origin: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "a[href]:not([download])", "els => els.map(e => e.href)"
    )
    links = []
    for href in hrefs:
        url = urldefrag(href).url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin or parts.path.startswith(SKIP_PREFIXES):
            continue
        links.append(url)
    return links


def _post_actions(page: Page) -> set[str]:
    actions: list[str] = page.eval_on_selector_all(
        "form", "fs => fs.filter(f => f.method.toLowerCase() === 'post').map(f => f.action)"
    )
    return {urldefrag(a).url for a in actions if urldefrag(a).url != urldefrag(page.url).url}


def crawl(watch: PageWatch, base_url: str, shot_dir: str) -> tuple[list[str], dict[str, list[str]]]:
    """Breadth-first over GET links; returns the visited URLs and the problems per URL."""
    page = watch.page
    queue: deque[tuple[str, int]] = deque([(f"{base_url}/", 0)])
    seen = {f"{base_url}/"}
    post_actions: set[str] = set()
    per_route: dict[str, int] = {}
    visited: list[str] = []
    failures: dict[str, list[str]] = {}
    while queue and len(visited) < MAX_PAGES:
        url, depth = queue.popleft()
        if url in post_actions:
            continue
        route = _route(urlsplit(url).path)
        if per_route.get(route, 0) >= PER_ROUTE:
            continue
        per_route[route] = per_route.get(route, 0) + 1
        visited.append(url)
        problems = watch.check(url, shot=f"{shot_dir}/{_shot_name(url, base_url)}")
        if watch.was_download:
            if problems:
                failures[url] = problems
            continue
        if urlsplit(page.url).path.startswith("/anmelden"):
            problems.append(f"auf die Anmeldung umgeleitet: {page.url}")
        if problems:
            failures[url] = problems
        post_actions |= _post_actions(page)
        if depth >= MAX_DEPTH:
            continue
        for link in _spread(_same_origin_links(page, base_url)):
            if link not in seen:
                seen.add(link)
                queue.append((link, depth + 1))
    return visited, failures


def _spread(links: list[str]) -> list[str]:
    """Of the links to one route on a page, keep the first and the last (list rows)."""
    by_route: dict[str, list[str]] = {}
    for link in dict.fromkeys(links):
        by_route.setdefault(_route(urlsplit(link).path), []).append(link)
    kept: list[str] = []
    for group in by_route.values():
        kept.extend(dict.fromkeys([group[0], group[-1]]))
    return kept


def _shot_name(url: str, base_url: str) -> str:
    return slug_for(url.removeprefix(base_url))


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_every_reachable_page_passes(role: str, server_url: str, chromium: Browser) -> None:
    context = chromium.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        watch = PageWatch(page)
        sign_in(page, server_url, ROLE_USERS[role])
        visited, failures = crawl(watch, server_url, role)
    finally:
        context.close()
    assert not failures, (
        f"{role} ({ROLE_USERS[role]}), {len(visited)} Seiten geprüft:\n{format_failures(failures)}"
    )
    assert len(visited) >= 2, f"{role}: nur {visited} erreicht"


ANONYMOUS_PAGES = [
    ("/anmelden/", 200),
    ("/barrierefreiheit/", 200),
    ("/gibt-es-nicht/", 404),
]


def test_anonymous_and_error_pages(server_url: str, chromium: Browser) -> None:
    context = chromium.new_context(locale="de-DE")
    failures: dict[str, list[str]] = {}
    try:
        watch = PageWatch(context.new_page())
        for path, status in ANONYMOUS_PAGES:
            problems = watch.check(
                f"{server_url}{path}", expected_status=status, shot=f"anonym/{slug_for(path)}"
            )
            if problems:
                failures[path] = problems
        # Signed in: the error pages carry the full navigation.
        sign_in(watch.page, server_url, ROLE_USERS["sachbearbeitung"])
        for path, status in [("/gibt-es-nicht/", 404), ("/verwaltung/benutzer/", 403)]:
            problems = watch.check(
                f"{server_url}{path}", expected_status=status, shot=f"fehler/{status}"
            )
            if problems:
                failures[f"{path} (angemeldet)"] = problems
        # The 500 page cannot be provoked on a healthy server: serve the very response the
        # handler renders, under the server's origin so that its styles load from there.
        error = server_error(RequestFactory().get("/"))
        watch.page.route(
            f"{server_url}/__fehler-500__",
            lambda route: route.fulfill(
                status=500, content_type="text/html; charset=utf-8", body=error.content
            ),
        )
        if problems := watch.check(
            f"{server_url}/__fehler-500__", expected_status=500, shot="fehler/500"
        ):
            failures["Fehlerseite 500"] = problems
    finally:
        context.close()
    assert not failures, format_failures(failures)


def test_form_error_states(server_url: str, chromium: Browser) -> None:
    """A form sent back with errors is accessible too, and the error summary takes focus."""
    context = chromium.new_context(locale="de-DE")
    failures: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(f"{server_url}/anmelden/")
        page.get_by_label("Benutzername oder E-Mail").fill("niemand")
        page.get_by_label("Passwort").fill("falsch-falsch")
        watch.reset()
        with page.expect_navigation() as nav:
            page.get_by_role("button", name="Anmelden").click()
        status = nav.value.status if nav.value else None
        if problems := watch.inspect(status=status, expected_status=400, shot="fehler/anmeldung"):
            failures["Anmeldung mit falschem Passwort"] = problems

        sign_in(page, server_url, ROLE_USERS["mandant_admin"])
        page.goto(f"{server_url}/verwaltung/benutzer/neu/")
        watch.reset()
        with page.expect_navigation() as nav:
            page.get_by_role("button", name="Speichern").click()
        status = nav.value.status if nav.value else None
        if problems := watch.inspect(status=status, expected_status=400, shot="fehler/formular"):
            failures["Benutzer anlegen ohne Eingaben"] = problems
        focused = page.evaluate("document.activeElement && document.activeElement.id")
        if focused != "fehler":
            failures.setdefault("Benutzer anlegen ohne Eingaben", []).append(
                f"Fehlerübersicht hat nicht den Fokus (Fokus auf {focused!r})"
            )
    finally:
        context.close()
    assert not failures, format_failures(failures)
