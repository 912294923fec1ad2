"""Issue 14 in a real browser: the new Gesuch shows its date (no console warning about the
value's format), the needs are checkboxes, the provider sets several places free with one
save, and edits an absence in a month already invoiced with the warning shown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.browser.pagecheck import run_axe, screenshot_dir, sign_in

pytestmark = pytest.mark.browser

SIZES = {"1366": {"width": 1366, "height": 900}, "375": {"width": 375, "height": 800}}


@pytest.fixture(params=list(SIZES))
def context(request: pytest.FixtureRequest, chromium: Browser) -> Iterator[BrowserContext]:
    ctx = chromium.new_context(locale="de-DE", viewport=SIZES[request.param])
    ctx.size = request.param  # type: ignore[attr-defined]
    yield ctx
    ctx.close()


def _console(page: Page) -> list[str]:
    said: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type in ("warning", "error"):
            said.append(f"{message.type}: {message.text}")

    page.on("console", note)
    return said


def _shot(page: Page, name: str, size: str) -> None:
    page.screenshot(path=str(screenshot_dir("forms") / f"{name}-{size}.png"), full_page=True)


def test_new_gesuch_shows_its_date_and_checkboxes(context: BrowserContext, server_url: str) -> None:
    page = context.new_page()
    said = _console(page)
    sign_in(page, server_url, "sb.jugendamt")
    page.goto(server_url + "/plaetze/gesuche/neu/")
    date_input = page.get_by_label("Benötigt ab")
    # Before: value="06.12.2026" and the browser showed an empty field with a warning.
    assert date_input.input_value() == timezone.localdate().isoformat()
    assert date_input.get_attribute("value") == timezone.localdate().isoformat()
    assert not [s for s in said if "does not conform" in s or "format" in s], said
    assert said == []
    assert "---------" not in page.content()
    expect(page.get_by_label("Geschlecht")).to_have_value("")
    arabic = page.get_by_role("checkbox", name="Arabisch")
    expect(arabic).to_have_count(1)
    arabic.check()
    assert page.locator("select[multiple]").count() == 0
    assert run_axe(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[context.size]["width"]  # type: ignore[attr-defined]
    _shot(page, "gesuch-neu", context.size)  # type: ignore[attr-defined]
    # Sent without a Geschlecht: the page asks for it instead of assuming 'weiblich'.
    page.get_by_label("Alter (Jahre)").fill("14")
    page.get_by_role("button", name="Passende Plätze suchen").click()
    expect(page.locator(".koffer-error-summary")).to_contain_text(
        "Bitte wählen Sie das Geschlecht."
    )


def test_provider_sets_several_places_free_with_one_save(
    context: BrowserContext, server_url: str
) -> None:
    page = context.new_page()
    sign_in(page, server_url, "platz.sonnenhof")
    page.goto(server_url + "/plaetze/einrichtungen/")
    page.get_by_role("link", name="Wohngruppe Sonnenhof").click()
    group = page.locator("section").filter(
        has=page.get_by_role("heading", name=re.compile("Regelwohngruppe"))
    )
    rows = group.locator(".koffer-place").filter(has=page.locator("input[type=date]"))
    assert rows.count() >= 2
    # Every shown value is an ISO date the picker displays.
    for i in range(rows.count()):
        value = rows.nth(i).locator("input[type=date]").get_attribute("value")
        assert value is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), value
    when = timezone.localdate() + timedelta(days=7 if context.size == "1366" else 8)  # type: ignore[attr-defined]
    labels = []
    for i in range(2):
        labels.append(rows.nth(i).locator(".koffer-place__label").inner_text().split(" (")[0])
        rows.nth(i).locator("input[type=date]").fill(when.isoformat())
    assert group.get_by_role("button", name=re.compile("Plätze speichern")).count() == 1
    group.get_by_role("button", name=re.compile("Plätze speichern")).click()
    for label in labels:
        expect(page.locator(".koffer-messages")).to_contain_text(
            f"{label}: frei ab {when:%d.%m.%Y}"
        )
    assert run_axe(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[context.size]["width"]  # type: ignore[attr-defined]
    _shot(page, "plaetze", context.size)  # type: ignore[attr-defined]


def test_absence_in_an_invoiced_month_warns(context: BrowserContext, server_url: str) -> None:
    page = context.new_page()
    sign_in(page, server_url, "platz.sonnenhof")
    page.goto(server_url + "/plaetze/anfragen/")
    page.get_by_role("link", name=re.compile("Abwesenheiten")).first.click()
    expect(page.locator("#abgerechnet")).to_contain_text("Rechnung")
    # The demo billed last month; its Belegung began 38 days ago and has an absence 3 days
    # ago: five days before last month's end lies inside it and apart from that absence.
    day = timezone.localdate().replace(day=1) - timedelta(days=6)
    page.get_by_label("Abwesend ab (erster Tag)").fill(day.isoformat())
    page.get_by_label("Abwesend bis (letzter Tag)").fill(day.isoformat())
    page.get_by_label("Grund").fill("Arzttermin")
    page.get_by_role("button", name="Abwesenheit speichern").click()
    messages = page.locator(".koffer-messages")
    expect(messages).to_contain_text("Die Rechnung bleibt unverändert.")
    row = page.locator(".koffer-absences li").filter(has_text="Arzttermin")
    expect(row).to_contain_text("(Monat abgerechnet)")
    assert run_axe(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[context.size]["width"]  # type: ignore[attr-defined]
    _shot(page, "abwesenheiten", context.size)  # type: ignore[attr-defined]
    # Change it, then delete it: both from the list.
    row.get_by_role("link", name=re.compile("Ändern")).click()
    page.get_by_label("Grund").fill("Arzttermin (Zahnarzt)")
    page.get_by_role("button", name="Änderung speichern").click()
    expect(messages).to_contain_text("Abwesenheit geändert")
    expect(messages).to_contain_text("Die Rechnung bleibt unverändert.")
    row = page.locator(".koffer-absences li").filter(has_text="Zahnarzt")
    row.get_by_role("button", name=re.compile("Löschen")).click()
    expect(messages).to_contain_text("gelöscht")
    expect(page.locator(".koffer-absences li").filter(has_text="Zahnarzt")).to_have_count(0)
