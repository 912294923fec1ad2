"""At 375 px (a small phone) nothing scrolls sideways and the navigation still works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.pagecheck import SCREENSHOTS, PageWatch, format_failures, sign_in, slug_for

pytestmark = pytest.mark.browser

WIDTH = 375
ADMIN = "admin.kreis"
TWO_TENANTS = "post.zentral"  # has the tenant switch in the header, the widest one
CASEWORKER = "sb.sozialamt"  # holds the Klage Akte with documents and an Aktenauszug


@pytest.fixture
def phone(chromium: Browser) -> Iterator[BrowserContext]:
    context = chromium.new_context(
        locale="de-DE", viewport={"width": WIDTH, "height": 740}, has_touch=True
    )
    yield context
    context.close()


def _layout_problems(page: Page) -> list[str]:
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        wide = page.evaluate(
            """w => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w + 1)
                // Inside a scroll box only what escapes it counts: positioned elements.
                .filter(e => !e.closest('.koffer-table-wrap')
                    || ['absolute', 'fixed'].includes(getComputedStyle(e).position))
                .slice(0, 5)
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""",
            WIDTH,
        )
        problems.append(f"waagerechtes Scrollen: Seite ist {width} px breit ({', '.join(wide)})")
    return problems


def _check(watch: PageWatch, url: str, name: str) -> list[str]:
    problems = watch.check(url, shot=f"mobil/{name}")
    return problems + _layout_problems(watch.page)


# Header, folded menu and demo banner together: at most this share of a 740-px-high phone
# screen, so the page's own content starts in its upper half.
MAX_CHROME_SHARE = 0.33


@pytest.mark.parametrize("user", [ADMIN, TWO_TENANTS, CASEWORKER])
def test_header_takes_little_room_at_375px(
    server_url: str, phone: BrowserContext, user: str
) -> None:
    page = phone.new_page()
    sign_in(page, server_url, user)
    banner = page.locator(".koffer-demo-banner")
    top = page.locator("main").evaluate("e => e.getBoundingClientRect().top")
    # The lines the banner's visible text takes: the distinct tops of its line boxes.
    lines = banner.evaluate(
        """e => { const r = document.createRange(); r.selectNodeContents(e);
                  return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"""
    )
    page.screenshot(path=str(SCREENSHOTS / "mobil" / f"kopf_{user}.png"))
    assert top <= 740 * MAX_CHROME_SHARE, f"Inhalt beginnt erst bei {top} px"
    assert lines == 1, f"Demo-Hinweis hat {lines} Zeilen"


def test_no_horizontal_scrolling_at_375px(server_url: str, phone: BrowserContext) -> None:
    failures: dict[str, list[str]] = {}
    watch = PageWatch(phone.new_page())
    for path in ["/anmelden/", "/barrierefreiheit/"]:
        if problems := _check(watch, f"{server_url}{path}", f"anonym_{slug_for(path)}"):
            failures[path] = problems
    sign_in(watch.page, server_url, ADMIN)
    page = watch.page
    paths = ["/", "/verwaltung/benutzer/", "/verwaltung/rollen/", "/verwaltung/benutzer/neu/"]
    page.goto(f"{server_url}/verwaltung/benutzer/")
    detail = page.locator("table a.kern-link").last.get_attribute("href")
    if detail:
        paths.append(detail)
    for path in paths:
        if problems := _check(watch, f"{server_url}{path}", slug_for(path)):
            failures[path] = problems
    page.context.clear_cookies()
    sign_in(page, server_url, TWO_TENANTS)
    if problems := _check(watch, f"{server_url}/", "start_zwei-mandanten"):
        failures["/ (zwei Mandanten)"] = problems
    assert not failures, format_failures(failures)


def test_navigation_is_usable_at_375px(server_url: str, phone: BrowserContext) -> None:
    page = phone.new_page()
    sign_in(page, server_url, ADMIN)
    nav = page.get_by_role("navigation", name="Module")
    links = nav.get_by_role("link")
    # On a phone the menu is folded behind one button, so the page starts near the top.
    assert not links.first.is_visible()
    nav.locator("summary", has_text="Menü").tap()
    assert links.count() >= 2
    for i in range(links.count()):
        link = links.nth(i)
        assert link.is_visible()
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, f"{link.inner_text()}: {box}"
        # WCAG 2.5.8 (AA in 2.2, good practice for 2.1): targets at least 24 px.
        assert box["height"] >= 24 and box["width"] >= 24, f"{link.inner_text()}: {box}"
    logout = page.get_by_role("button", name="Abmelden")
    box = logout.bounding_box()
    assert box is not None and box["x"] + box["width"] <= WIDTH
    nav.get_by_role("link", name="Verwaltung").tap()
    page.wait_for_url(f"{server_url}/verwaltung/benutzer/")
    assert not links.first.is_visible(), "Das Menü bleibt nach dem Seitenwechsel offen"
    assert page.get_by_role("heading", level=1).inner_text() == "Benutzer"
    # Folded again on the new page (hidden links have no role): found by their text.
    assert nav.locator("a", has_text="Verwaltung").get_attribute("aria-current") == "page"


KLAGE_AKTE = "Klage S 12 SB 345/26"


def _open_klage_akte(page: Page, server_url: str) -> str:
    page.goto(f"{server_url}/akten/")
    page.locator("tr", has_text=KLAGE_AKTE).locator("a").first.click()
    page.wait_for_load_state()
    return page.url


def test_records_pages_fit_375px(server_url: str, phone: BrowserContext) -> None:
    """Akte, document viewer and Aktenauszug have wide tables; they scroll inside their
    box, never the page (screen-reader-only text in a cell once widened the whole page)."""
    watch = PageWatch(phone.new_page())
    page = watch.page
    sign_in(page, server_url, CASEWORKER)
    akte = _open_klage_akte(page, server_url)
    dokument = page.locator("a[href^='/dokumente/']").first.get_attribute("href")
    auszug = page.locator("a[href^='/auszuege/']").first.get_attribute("href")
    assert dokument and auszug, "Die Klage-Akte des Demo-Landkreises hat keine Dokumente"
    failures: dict[str, list[str]] = {}
    for name, url in [
        ("akte", akte),
        ("dokument", f"{server_url}{dokument}"),
        ("aktenauszug", f"{server_url}{auszug}"),
    ]:
        if problems := _check(watch, url, name):
            failures[url] = problems
    assert not failures, format_failures(failures)


FORMS_CASEWORKER = "sb.jobcenter"  # the demo begins a form for this caseworker's first Akte


def test_formulare_pages_fit_375px(server_url: str, phone: BrowserContext) -> None:
    """Filling a form at the desk on a phone: the drafts, a step with its table, upload and
    signature pad, the chooser of forms and the summary stay within the screen."""
    watch = PageWatch(phone.new_page())
    page = watch.page
    sign_in(page, server_url, FORMS_CASEWORKER)
    page.goto(f"{server_url}/formulare/entwuerfe/")
    schritt = page.get_by_role("link", name="Weiter ausfüllen").first.get_attribute("href")
    assert schritt, "Die Demo hat keinen begonnenen Formularentwurf"
    entwurf = schritt.split("/schritte/")[0]
    page.goto(f"{server_url}{schritt}")
    akte = page.locator("main p a[href^='/akten/']").first.get_attribute("href")
    failures: dict[str, list[str]] = {}
    for name, url in [
        ("formularentwuerfe", f"{server_url}/formulare/entwuerfe/"),
        ("formularschritt", f"{server_url}{schritt}"),
        ("formularwahl", f"{server_url}{akte}formulare/"),
        ("formular-pruefen", f"{server_url}{entwurf}/pruefen/"),
    ]:
        if problems := _check(watch, url, name):
            failures[url] = problems
    assert not failures, format_failures(failures)


@pytest.mark.parametrize("width", [1280, WIDTH])
def test_description_list_values_line_up(server_url: str, chromium: Browser, width: int) -> None:
    """Terms and values of the Akte's facts: on a wide screen every value starts in one
    column, on a phone each value sits under its term, flush left."""
    context = chromium.new_context(locale="de-DE", viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, server_url, CASEWORKER)
        _open_klage_akte(page, server_url)
        facts = page.locator("main dl.kern-description-list").first
        terms = facts.locator("dt").evaluate_all(
            "els => els.map(e => Math.round(e.getBoundingClientRect().left))"
        )
        values = facts.locator("dd").evaluate_all(
            "els => els.map(e => Math.round(e.getBoundingClientRect().left))"
        )
    finally:
        context.close()
    assert len(values) >= 3, values
    assert len(set(values)) == 1, f"Werte beginnen an verschiedenen Stellen: {values}"
    if width == WIDTH:
        assert values[0] == terms[0], f"Werte eingerückt: Begriffe {terms}, Werte {values}"
    else:
        assert values[0] > terms[0], f"Werte nicht neben den Begriffen: {terms}, {values}"


PROVIDER = "platz.sonnenhof"
# Chart text drawn smaller than this is hard to read (the page's small print is 14 px).
MIN_CHART_TEXT_PX = 11.5  # places, month's billing and statistics of the Platzbörse


@pytest.mark.parametrize("width", [WIDTH, 1366])
def test_platzboerse_pages_fit(server_url: str, chromium: Browser, width: int) -> None:
    """The provider's pages with wide tables and charts, on a phone and a laptop: the row
    actions within the screen (cards on the phone), charts as wide as the screen, nothing
    wider than the page. Screenshots in test-artifacts/screenshots/breiten/."""
    context = chromium.new_context(locale="de-DE", viewport={"width": width, "height": 900})
    try:
        watch = PageWatch(context.new_page())
        page = watch.page
        sign_in(page, server_url, PROVIDER)
        page.goto(f"{server_url}/plaetze/einrichtungen/")
        page.get_by_role("link", name="Wohngruppe Sonnenhof").click()
        page.wait_for_load_state()
        pages = {
            "start": f"{server_url}/",
            "einrichtung": page.url,
            "abrechnung": f"{server_url}/plaetze/abrechnung/",
            "anfragen": f"{server_url}/plaetze/anfragen/",
            "statistik": f"{server_url}/plaetze/statistik/",
        }
        failures: dict[str, list[str]] = {}
        for name, url in pages.items():
            problems = watch.check(url, shot=f"breiten/{name}-{width}")
            if width == WIDTH:
                problems += _layout_problems(page)
            charts = page.locator("svg.koffer-chart").evaluate_all(
                """cs => cs.filter(c => c.getBoundingClientRect().width > 0).map(c => [
                    c.getBoundingClientRect().width,
                    c.parentElement.clientWidth,
                    // the text's drawn size: font size scaled by drawn / laid-out width
                    13 * c.getBoundingClientRect().width / c.viewBox.baseVal.width,
                ])"""
            )
            problems += [f"Diagramm {w:.0f} px in {p} px" for w, p, _ in charts if abs(w - p) > 1]
            problems += [
                f"Diagrammtext nur {px:.1f} px groß (mindestens {MIN_CHART_TEXT_PX} px)"
                for _, _, px in charts
                if px < MIN_CHART_TEXT_PX
            ]
            shown = page.locator("svg.koffer-chart").count()
            if shown and len(charts) != shown // 2:
                problems.append(
                    f"{len(charts)} von {shown} Diagrammen sichtbar, erwartet die Hälfte"
                )
            if problems:
                failures[name] = problems
    finally:
        context.close()
    assert not failures, format_failures(failures)
