"""Checks every browser test applies to a page: status, German language, a heading, axe-core
(WCAG 2.1 AA), no console errors (CSP violations show up there), no failed subresources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Page, Request, Response
from playwright.sync_api import Error as PlaywrightError

from koffer.demo.district import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_21_AA},
    "resultTypes": ["violations"],
}
SCREENSHOTS = ARTIFACTS / "screenshots"
# A small phone: every page is also laid out at this width, and nothing clickable may lie
# beyond it unless it sits in a table that visibly scrolls sideways.
PHONE_WIDTH = 375
PHONE_HEIGHT = 740
CLICKABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]"
# The controls beyond the right (or left) edge of a 375-px screen, except those inside a
# scroll box that shows it scrolls: a koffer-table-wrap that koffer.js marked (a tab stop, a
# region with a name, and the visible hint "Tabelle seitlich scrollbar" just above it). The
# skip link waits off-screen on purpose and comes in on focus.
_OFFSCREEN_JS = """([width, selector]) => {
  const visible = e => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const name = e => {
    const text = (e.getAttribute('aria-label') || e.innerText || e.value || e.name || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `${e.tagName.toLowerCase()} „${text}“`;
  };
  const hint = box => box.previousElementSibling;
  const marked = box => box.classList.contains('koffer-table-wrap')
    && box.getAttribute('tabindex') === '0' && box.getAttribute('role') === 'region'
    && (box.getAttribute('aria-label') || box.getAttribute('aria-labelledby') || '').trim()
    && hint(box) && hint(box).classList.contains('koffer-scroll-hint') && visible(hint(box))
    && /seitlich scrollbar/.test(hint(box).textContent);
  const problems = [];
  for (const e of document.querySelectorAll(selector)) {
    if (!visible(e) || e.classList.contains('koffer-skip-link')) continue;
    const r = e.getBoundingClientRect();
    if (r.left >= -1 && r.right <= width + 1) continue;
    let box = e.parentElement;
    while (box && box !== document.body) {
      const s = getComputedStyle(box);
      if (['auto', 'scroll'].includes(s.overflowX) && box.scrollWidth > box.clientWidth) break;
      box = box.parentElement;
    }
    const inScroller = box && box !== document.body;
    if (inScroller && marked(box)) {
      const b = box.getBoundingClientRect();
      if (b.left >= -1 && b.right <= width + 1) continue;
    }
    const where = inScroller ? 'in einer nicht als scrollbar markierten Box' : 'außerhalb';
    problems.push(`${name(e)} ${where} (x ${Math.round(r.left)}–${Math.round(r.right)})`);
  }
  return problems;
}"""
_axe = Axe()


def axe_report(violations: list[dict]) -> str:
    """One readable block per violation: rule, impact, help link, each offending element."""
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"      bei {', '.join(map(str, node['target']))}")
            lines.append(f"        {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"        {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"      … und {len(v['nodes']) - 8} weitere Elemente")
    return "\n".join(lines)


def run_axe(page: Page) -> list[dict]:
    return list(_axe.run(page, options=AXE_OPTIONS).response["violations"])


def slug_for(url: str) -> str:
    parts = urlsplit(url)
    slug = parts.path.strip("/").replace("/", "_") or "start"
    if parts.query:
        slug += "_" + parts.query
    return re.sub(r"[^A-Za-z0-9_.=-]+", "-", slug)[:150]


@dataclass
class PageWatch:
    """Listens to one Playwright page and collects what went wrong since the last reset."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    was_download: bool = False

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"JS-Fehler: {exc}"))
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._request_failed)

    def reset(self) -> None:
        self.console_errors.clear()
        self.failed_requests.clear()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.console_errors.append(f"{message.text} ({where})")

    def _response(self, response: Response) -> None:
        if response.status >= 400 and not response.request.is_navigation_request():
            self.failed_requests.append(
                f"{response.status} {response.request.method} {response.url}"
            )

    def _request_failed(self, request: Request) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" not in failure:
            self.failed_requests.append(f"{failure} {request.method} {request.url}")

    def check(self, url: str, *, expected_status: int = 200, shot: str | None = None) -> list[str]:
        """Open ``url`` and return every problem found, in German, empty when all is well.

        A link to a file (CSV export) starts a download instead of a page: then only its
        status is checked, and ``was_download`` is set."""
        self.reset()
        self.was_download = False
        try:
            response = self.page.goto(url, wait_until="load")
        except PlaywrightError as exc:
            if "Download is starting" not in str(exc):
                raise
            self.was_download = True
            download = self.page.request.get(url)
            return [] if download.status < 400 else [f"Download mit HTTP-Status {download.status}"]
        return self.inspect(
            status=response.status if response else None, expected_status=expected_status, shot=shot
        )

    def inspect(
        self, *, status: int | None, expected_status: int = 200, shot: str | None = None
    ) -> list[str]:
        """Check the page as it is now (after a goto or a form submission)."""
        page = self.page
        problems: list[str] = []
        if status is None:
            problems.append("keine HTTP-Antwort")
        elif expected_status < 400 and status >= 400:
            hint = " (Traceback in test-artifacts/server.log)" if status >= 500 else ""
            problems.append(f"HTTP-Status {status}{hint}")
        elif expected_status >= 400 and status != expected_status:
            problems.append(f"HTTP-Status {status}, erwartet {expected_status}")
        lang = page.get_attribute("html", "lang")
        if lang != "de":
            problems.append(f'<html lang="{lang}"> statt lang="de"')
        if page.locator("h1").count() < 1:
            problems.append("keine Überschrift <h1>")
        problems.extend(heading_problems(page))
        problems.extend(favicon_problems(page))
        problems.extend(multiselect_problems(page))
        violations = run_axe(page)
        if violations:
            problems.append(
                f"{len(violations)} axe-Verstöße (WCAG 2.1 AA):\n{axe_report(violations)}"
            )
        console = self.console_errors
        if expected_status >= 400:
            # Chromium logs the error status of the document itself; that one is intended.
            console = [c for c in console if not c.startswith("Failed to load resource")]
        problems.extend(f"Konsolenfehler: {c}" for c in console)
        problems.extend(f"fehlgeschlagene Anfrage: {r}" for r in self.failed_requests)
        if shot:
            path = SCREENSHOTS / f"{shot}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), full_page=True)
        problems.extend(phone_problems(page, shot=shot))
        return problems


def offscreen_controls(page: Page) -> list[str]:
    """Controls a phone user cannot see nor know to scroll to, at the current viewport."""
    return list(page.evaluate(_OFFSCREEN_JS, [page.viewport_size["width"], CLICKABLE]))


def _settle(page: Page) -> None:
    """Wait two frames: the resize handlers (koffer.js marks scrolling tables) have run."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def phone_problems(page: Page, *, shot: str | None = None) -> list[str]:
    """Lay the page out at 375 px and list what is clickable but off-screen there; the
    viewport is put back afterwards. Saves a phone screenshot of a page that fails."""
    size = page.viewport_size
    if size is None:
        return []
    if size["width"] != PHONE_WIDTH:
        page.set_viewport_size({"width": PHONE_WIDTH, "height": PHONE_HEIGHT})
    try:
        _settle(page)
        offscreen = offscreen_controls(page)
        if offscreen and shot:
            path = SCREENSHOTS / f"{shot}-375.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), full_page=True)
    finally:
        if size["width"] != PHONE_WIDTH:
            page.set_viewport_size(size)
            _settle(page)
    if not offscreen:
        return []
    more = f" … und {len(offscreen) - 8} weitere" if len(offscreen) > 8 else ""
    return [
        f"bei {PHONE_WIDTH} px nicht erreichbar (außerhalb des Bildschirms, kein "
        f"Scroll-Hinweis): " + "; ".join(offscreen[:8]) + more
    ]


def heading_problems(page: Page) -> list[str]:
    """More than one <h1>, or the same h1/h2 text twice in a row (a page heading repeated
    by the section below it): a screen reader's list of headings says everything twice."""
    headings: list[list[str]] = page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6",
        "els => els.map(e => [e.tagName.toLowerCase(), e.textContent.replace(/\\s+/g, ' ').trim()])",
    )
    problems = caption_problems(page)
    h1s = [text for tag, text in headings if tag == "h1"]
    if len(h1s) > 1:
        problems.append(f"{len(h1s)} Überschriften <h1>: " + " | ".join(h1s))
    for (tag, text), (next_tag, next_text) in pairwise(headings):
        if {tag, next_tag} <= {"h1", "h2"} and text and text == next_text:
            problems.append(f"Überschrift „{text}“ zweimal hintereinander (<{tag}>, <{next_tag}>)")
    return problems


def multiselect_problems(page: Page) -> list[str]:
    """A ``<select multiple>`` needs Ctrl- or Shift-click, which few users know and no phone
    offers (issue 14): choices of several are checkboxes."""
    names: list[str] = page.eval_on_selector_all(
        "select[multiple]", "els => els.map(e => e.name || e.id)"
    )
    return [f"Mehrfachauswahl mit Strg-Klick (select multiple): {name}" for name in names]


_CAPTIONS_JS = """() => {
  const visible = e => {
    const c = e.cloneNode(true);
    c.querySelectorAll('.kern-sr-only').forEach(x => x.remove());
    return c.textContent.replace(/\\s+/g, ' ').trim();
  };
  const out = [];
  let heading = '';
  for (const e of document.querySelectorAll('h1, h2, h3, h4, h5, h6, caption')) {
    if (e.tagName !== 'CAPTION') { heading = visible(e); continue; }
    const text = visible(e);
    if (text && text === heading) out.push(text);
  }
  return out;
}"""


def caption_problems(page: Page) -> list[str]:
    """A table whose visible caption repeats the heading just above it: the page says the
    same thing twice (a caption that names the table for screen readers can be kern-sr-only)."""
    repeated: list[str] = page.evaluate(_CAPTIONS_JS)
    return [f"Tabellenüberschrift „{text}“ wiederholt die Überschrift darüber" for text in repeated]


# Status of each icon URL, fetched once per test session.
_icon_status: dict[str, int] = {}


def favicon_problems(page: Page) -> list[str]:
    """The page names its icon (<link rel="icon">) and the icon loads. Without the link a
    browser asks for /favicon.ico on its own, which Playwright's headless Chromium does
    not, so a missing icon would never show up as a failed request in the crawl."""
    hrefs: list[str] = page.eval_on_selector_all(
        "link[rel~='icon']", "links => links.map(l => l.href)"
    )
    if not hrefs:
        return ['kein <link rel="icon">: der Browser fragt /favicon.ico ab']
    problems = []
    for href in hrefs:
        if href not in _icon_status:
            _icon_status[href] = page.request.get(href).status
        if _icon_status[href] >= 400:
            problems.append(f"Symbol der Seite (favicon) {href}: HTTP-Status {_icon_status[href]}")
    return problems


def sign_in(page: Page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real login form, as a person would."""
    page.goto(f"{base_url}/anmelden/")
    page.get_by_label("Benutzername oder E-Mail").fill(username)
    page.get_by_label("Passwort").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    if urlsplit(page.url).path != "/":
        raise AssertionError(f"Anmeldung von {username} fehlgeschlagen: jetzt auf {page.url}")


def format_failures(failures: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{url}:\n" + "\n".join(f"  - {p}" for p in problems) for url, problems in failures.items()
    )


def screenshot_dir(name: str) -> Path:
    return SCREENSHOTS / name
