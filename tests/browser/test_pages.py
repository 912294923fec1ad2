"""Every page every demo role can reach: accessible (axe, WCAG 2.1 AA), German, with a
heading, without console errors, CSP violations or failed requests.

The crawler follows same-origin links from the start page, so pages that new apps add are
checked without touching this file; and the routes the crawls reach are held against the
URL configuration (tests/browser/routes.py): a page route no role reaches fails the run.
Pages behind a form (the court's Akteneinsicht with its PIN) are walked through by script.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from playwright.sync_api import Browser, Page, sync_playwright

from koffer.demo.district import USERS
from koffer.demo.records import AUSZUG_AKTE
from koffer.shell.views import server_error
from tests.browser.conftest import launch_chromium
from tests.browser.pagecheck import ARTIFACTS, PageWatch, format_failures, sign_in, slug_for
from tests.browser.routes import (
    CHECKED_ELSEWHERE,
    NOT_PAGES,
    REQUESTED_KINDS,
    all_routes,
    gettable_routes,
    page_routes,
)

pytestmark = pytest.mark.browser

# A safety net against a link loop, not a sample: a role's crawl ends when no new route
# is left, far below this.
MAX_PAGES = 150
# Pages of one route share a template; a few instances (the first and the last link of each
# list) show its variants (person and machine account) without visiting every row.
PER_ROUTE = 2
SKIP_PREFIXES = ("/static/", "/api/")


def _one_user_per_role() -> dict[str, str]:
    chosen: dict[str, str] = {}
    for demo in USERS:
        if demo.machine:
            continue
        for _, _, role in demo.grants:
            chosen.setdefault(role, demo.username)
    # The Sozialamt's caseworker holds the Klage Akte with the court's Aktenauszug, so the
    # caseworker crawl reaches the extract and Akteneinsicht pages as well as documents.
    chosen["sachbearbeitung"] = "sb.sozialamt"
    return chosen


ROLE_USERS = _one_user_per_role()
# Crawl name -> demo user: one per role, plus the variants only other Mandanten hold: the
# Jobcenter's Akten with a Bedarfsgemeinschaft, and the provider whose facility has the
# demo's open Anfrage (the only way to its Absage page).
CRAWLERS = {
    **ROLE_USERS,
    "sachbearbeitung-jobcenter": "sb.jobcenter",
    "platzverwaltung-diakonie": "platz.diakonie",
}
GETTABLE = set(gettable_routes())


def _route(path: str) -> str:
    try:
        return str(resolve(path).route)
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


def _form_targets(page: Page, origin: str) -> list[str]:
    """Where the page's forms lead, as GET links: a GET form's action (a search page) and a
    POST form's action when its view also answers GET (the form page without JavaScript,
    e.g. the document upload). Actions whose view takes POST only are left out."""
    forms: list[list[str]] = page.eval_on_selector_all(
        "form[action]", "fs => fs.map(f => [f.method.toLowerCase(), f.action])"
    )
    targets = []
    for method, action in forms:
        parts = urlsplit(urldefrag(action).url)
        if f"{parts.scheme}://{parts.netloc}" != origin or parts.path.startswith(SKIP_PREFIXES):
            continue
        if method == "post" and _route(parts.path) not in GETTABLE:
            continue
        targets.append(f"{origin}{parts.path}")
    return targets


@dataclass
class Crawl:
    """What one signed-in crawl saw: the URLs, their routes, and the problems per URL."""

    user: str
    visited: list[str] = field(default_factory=list)
    routes: set[str] = field(default_factory=set)
    failures: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0


def crawl(watch: PageWatch, base_url: str, shot_dir: str, result: Crawl) -> None:
    """Breadth-first over GET links until every reachable route has been seen. Each crawl
    keeps its own PER_ROUTE budget, whatever other crawls saw: data variants (an Akte with
    a Bedarfsgemeinschaft) hang on the second instance, and the order of tests is random."""
    page = watch.page
    queue: deque[str] = deque([f"{base_url}/"])
    seen = {f"{base_url}/"}
    per_route: dict[str, int] = {}
    while queue and len(result.visited) < MAX_PAGES:
        url = queue.popleft()
        route = _route(urlsplit(url).path)
        if per_route.get(route, 0) >= PER_ROUTE:
            continue
        per_route[route] = per_route.get(route, 0) + 1
        if route in NOT_PAGES:
            _check_not_page(page, url, route, result)
            continue
        result.visited.append(url)
        result.routes.add(route)
        problems = watch.check(url, shot=f"{shot_dir}/{_shot_name(url, base_url)}")
        if watch.was_download:
            if problems:
                result.failures[url] = problems
            continue
        if urlsplit(page.url).path.startswith("/anmelden"):
            problems.append(f"auf die Anmeldung umgeleitet: {page.url}")
        if problems:
            result.failures[url] = problems
        links = _same_origin_links(page, base_url) + _form_targets(page, base_url)
        for link in _spread(links):
            if link not in seen:
                seen.add(link)
                queue.append(link)


def _check_not_page(page: Page, url: str, route: str, result: Crawl) -> None:
    """A download or fragment: only its status; streams and the logout are not requested."""
    kind, _ = NOT_PAGES[route]
    if kind not in REQUESTED_KINDS:
        return
    response = page.request.get(url)
    if response.status >= 400:
        result.failures[url] = [f"HTTP-Status {response.status} ({NOT_PAGES[route][1]})"]


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


CrawlFor = Callable[[str], Crawl]


def _write_log(role: str, result: Crawl) -> None:
    """test-artifacts/crawl/<role>.txt: which pages a role's crawl opened, for review."""
    folder = ARTIFACTS / "crawl"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"{role} ({result.user}): {len(result.visited)} Seiten in {result.seconds:.1f} s"]
    lines += [f"  {url}" for url in result.visited]
    (folder / f"{role}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


# Crawls run side by side in this many lanes, each a thread with its own Playwright and
# chromium (Playwright's sync API is per thread): one crawl keeps about one core busy
# between the browser, Playwright's driver and the server, and the machine has two.
CRAWL_LANES = 2
# The roles whose crawls open the most pages start first, so the lanes end together.
LONGEST_CRAWLS = ("teamleitung", "mandant_admin", "sachbearbeitung", "sachbearbeitung-jobcenter")


def _crawl_role(browser: Browser, server_url: str, role: str) -> Crawl:
    result = Crawl(user=CRAWLERS[role])
    started = time.monotonic()
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    try:
        watch = PageWatch(context.new_page())
        sign_in(watch.page, server_url, result.user)
        crawl(watch, server_url, role, result)
    finally:
        context.close()
    result.seconds = time.monotonic() - started
    _write_log(role, result)
    return result


def _crawl_lane(server_url: str, roles: queue.Queue[str], done: dict[str, object]) -> None:
    """One lane: takes the next role until none is left. What goes wrong is kept (a crawl's
    error under its role, the lane's own under its name) and raised in the main thread."""
    name = threading.current_thread().name
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                while True:
                    try:
                        role = roles.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        done[role] = _crawl_role(browser, server_url, role)
                    except BaseException as exc:  # raised again in the role's test
                        done[role] = exc
            finally:
                browser.close()
    except BaseException as exc:  # raised again by every test whose crawl is missing
        done[name] = exc


@pytest.fixture(scope="session")
def crawl_for(server_url: str) -> CrawlFor:
    """Each role's crawl, run once per session and shared by the tests that need it: all
    of them at the first request, in CRAWL_LANES lanes side by side."""
    done: dict[str, object] = {}
    ran: list[bool] = []

    def crawl_all() -> None:
        roles: queue.Queue[str] = queue.Queue()
        for role in sorted(CRAWLERS, key=lambda r: (r not in LONGEST_CRAWLS, r)):
            roles.put(role)
        lanes = [
            threading.Thread(
                target=_crawl_lane, args=(server_url, roles, done), name=f"Crawl-Spur {n}"
            )
            for n in range(1, CRAWL_LANES + 1)
        ]
        for lane in lanes:
            lane.start()
        for lane in lanes:
            lane.join()
        ran.append(True)

    def get(role: str) -> Crawl:
        if not ran:
            crawl_all()
        result = done.get(role)
        if isinstance(result, Crawl):
            return result
        if isinstance(result, BaseException):
            raise result
        lane_errors = [e for e in done.values() if isinstance(e, BaseException)]
        raise AssertionError(f"{role}: kein Crawl gelaufen; Fehler der Spuren: {lane_errors}")

    return get


@pytest.mark.parametrize("role", sorted(CRAWLERS))
def test_every_reachable_page_passes(role: str, crawl_for: CrawlFor) -> None:
    result = crawl_for(role)
    assert not result.failures, (
        f"{role} ({result.user}), {len(result.visited)} Seiten geprüft:\n"
        f"{format_failures(result.failures)}"
    )
    assert len(result.visited) >= 2, f"{role}: nur {result.visited} erreicht"


# --- The court's Akteneinsicht: a link and a PIN, created through a form --------------------


@dataclass
class EinsichtWalk:
    routes: set[str] = field(default_factory=set)
    failures: dict[str, list[str]] = field(default_factory=dict)


@pytest.fixture(scope="session")
def einsicht_walk(server_url: str, chromium: Browser) -> EinsichtWalk:
    """The caseworker issues a link and PIN for the demo's Aktenauszug; the court opens
    the link in its own browser, mistypes the PIN, enters it, and pages through."""
    walk = EinsichtWalk()
    staff = chromium.new_context(locale="de-DE")
    court = chromium.new_context(locale="de-DE")
    try:
        link, pin = _issue_einsicht(PageWatch(staff.new_page()), server_url, walk)
        _open_as_court(PageWatch(court.new_page()), server_url, link, pin, walk)
    finally:
        staff.close()
        court.close()
    return walk


def _note(walk: EinsichtWalk, watch: PageWatch, what: str, problems: list[str]) -> None:
    walk.routes.add(_route(urlsplit(watch.page.url).path))
    if problems:
        walk.failures[what] = problems


def _issue_einsicht(watch: PageWatch, server_url: str, walk: EinsichtWalk) -> tuple[str, str]:
    page = watch.page
    sign_in(page, server_url, ROLE_USERS["sachbearbeitung"])
    page.goto(f"{server_url}/akten/")
    # Akte list (linked by Aktenzeichen) -> the Akte, which lists its Aktenauszüge.
    page.locator("tr", has_text=AUSZUG_AKTE).locator("a").first.click()
    page.locator("a[href^='/auszuege/']").first.click()
    page.wait_for_load_state()
    page.get_by_label("Empfänger").fill("Rechtsanwältin Dr. Beispiel")
    watch.reset()
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="Link und PIN erzeugen").click()
    status = nav.value.status if nav.value else None
    _note(
        walk, watch, "Akteneinsicht eingerichtet", watch.inspect(status=status, shot="einsicht/neu")
    )
    link = page.locator("#einsicht-link").input_value()
    pin = page.locator(".koffer-einsicht__pin").inner_text().strip()
    assert re.fullmatch(r"\d{6}", pin), f"keine PIN auf der Seite: {pin!r}"
    return urlsplit(link).path, pin


def _open_as_court(
    watch: PageWatch, server_url: str, path: str, pin: str, walk: EinsichtWalk
) -> None:
    page = watch.page
    _note(walk, watch, "PIN-Abfrage", watch.check(f"{server_url}{path}", shot="einsicht/pin"))
    wrong = "000000" if pin != "000000" else "111111"
    for attempt, expected in ((wrong, 400), (pin, 200)):
        page.get_by_label("PIN").fill(attempt)
        watch.reset()
        with page.expect_navigation() as nav:
            page.get_by_role("button", name="Weiter").click()
        page.wait_for_load_state()
        status = nav.value.status if nav.value else None
        if expected == 200:
            # The PIN POST redirects; the page shown is the GET that followed.
            status = 200 if page.get_by_role("link", name="Seiten ansehen").count() else status
        what = "falsche PIN" if expected == 400 else "Akteneinsicht nach der PIN"
        shot = "einsicht/pin-falsch" if expected == 400 else "einsicht/uebersicht"
        _note(walk, watch, what, watch.inspect(status=status, expected_status=expected, shot=shot))
    page.get_by_role("link", name="Seiten ansehen").click()
    page.wait_for_load_state()
    _note(walk, watch, "Seitenansicht", watch.inspect(status=200, shot="einsicht/seiten"))


def test_akteneinsicht_pages_pass(einsicht_walk: EinsichtWalk) -> None:
    assert not einsicht_walk.failures, format_failures(einsicht_walk.failures)


# --- Coverage: the URL configuration against what was visited ------------------------------


def test_every_page_route_is_visited(crawl_for: CrawlFor, einsicht_walk: EinsichtWalk) -> None:
    """Each page route of the URL configuration is opened by at least one role (or by the
    Akteneinsicht walk). A new page that no link reaches fails here: link it, give the demo
    the data it needs, or, if it is no page, list it in routes.NOT_PAGES with the reason."""
    visited_by: dict[str, list[str]] = {}
    for role in sorted(CRAWLERS):
        for route in crawl_for(role).routes:
            visited_by.setdefault(route, []).append(role)
    for route in einsicht_walk.routes:
        visited_by.setdefault(route, []).append("Akteneinsicht")
    missing = sorted(set(page_routes()) - set(visited_by))
    assert not missing, f"{len(missing)} Seiten hat keine Rolle erreicht:\n" + "\n".join(
        f"  /{route}  ({page_routes()[route]})" for route in missing
    )
    stale = sorted((set(NOT_PAGES) | set(CHECKED_ELSEWHERE)) - all_routes())
    assert not stale, f"Ausnahmen ohne Route in der URL-Konfiguration: {stale}"


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


def test_second_factor_page(server_url: str, chromium: Browser) -> None:
    """The TOTP set-up page (QR code, key) and its wrong-code state. The demo waives the
    second factor, so no link leads here; a person with personal data opens it directly."""
    context = chromium.new_context(locale="de-DE")
    failures: dict[str, list[str]] = {}
    try:
        watch = PageWatch(context.new_page())
        page = watch.page
        sign_in(page, server_url, ROLE_USERS["datenschutz"])
        if problems := watch.check(f"{server_url}/zweiter-faktor/", shot="otp/einrichten"):
            failures["Einrichtung"] = problems
        page.get_by_label("Sechsstelliger Code aus Ihrer Authenticator-App").fill("000000")
        watch.reset()
        with page.expect_navigation() as nav:
            page.get_by_role("button", name="Bestätigen").click()
        status = nav.value.status if nav.value else None
        if problems := watch.inspect(status=status, shot="otp/falscher-code"):
            failures["falscher Code"] = problems
        if page.get_by_text("Der Code stimmt nicht").count() == 0:
            failures.setdefault("falscher Code", []).append("keine Fehlermeldung")
    finally:
        context.close()
    assert not failures, format_failures(failures)


def test_password_change_page(server_url: str, chromium: Browser) -> None:
    """The page where a person replaces a password someone else chose (the middleware
    sends them there) and its error state. The demo's people keep the published password,
    so no link leads here; the new passwords differ, so nothing is changed."""
    context = chromium.new_context(locale="de-DE")
    failures: dict[str, list[str]] = {}
    try:
        watch = PageWatch(context.new_page())
        page = watch.page
        sign_in(page, server_url, ROLE_USERS["sachbearbeitung"])
        if problems := watch.check(f"{server_url}/passwort-aendern/", shot="passwort/aendern"):
            failures["Formular"] = problems
        page.get_by_label("Bisheriges Passwort").fill("nicht-das-richtige-1")
        page.get_by_label("Neues Passwort", exact=True).fill("ein-neues-passwort-7")
        page.get_by_label("Neues Passwort wiederholen").fill("ein-anderes-passwort-8")
        watch.reset()
        with page.expect_navigation() as nav:
            page.get_by_role("button", name="Passwort ändern").click()
        status = nav.value.status if nav.value else None
        if problems := watch.inspect(status=status, expected_status=400, shot="passwort/fehler"):
            failures["Fehler"] = problems
        if page.get_by_text("stimmen nicht überein").count() == 0:
            failures.setdefault("Fehler", []).append("keine Fehlermeldung")
    finally:
        context.close()
    assert not failures, format_failures(failures)
