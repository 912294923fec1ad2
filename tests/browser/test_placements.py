"""The Platzbörse in a real browser: a provider sets a place free from a phone (375 px),
and the youth office's open search page shows it without reloading (server-sent events from
the stream process beside the web workers, as make run serves them)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from tests.browser.pagecheck import run_axe, screenshot_dir, sign_in

pytestmark = pytest.mark.browser


def test_place_set_free_on_a_phone_appears_live_in_the_search(
    chromium: Browser, server_url: str
) -> None:
    office_ctx = chromium.new_context(locale="de-DE")
    office = office_ctx.new_page()
    sign_in(office, server_url, "sb.jugendamt")
    office.goto(server_url + "/plaetze/gesuche/")
    office.get_by_role("link", name=re.compile("G-")).first.click()
    results = office.locator("#treffer")
    expect(results).to_contain_text("Wohngruppe Sonnenhof")
    before = results.inner_text()
    # The stream comes from make run's stream process on its own port, with the session.
    expect(results).to_have_attribute("data-live-state", "open")
    assert results.get_attribute("data-live-url").startswith("http://127.0.0.1:")
    assert not results.get_attribute("data-live-url").startswith(server_url + "/")
    assert run_axe(office) == []

    phone_ctx = chromium.new_context(locale="de-DE", viewport={"width": 375, "height": 800})
    phone = phone_ctx.new_page()
    sign_in(phone, server_url, "platz.sonnenhof")
    phone.goto(server_url + "/plaetze/einrichtungen/")
    phone.get_by_role("link", name="Wohngruppe Sonnenhof").click()
    group = phone.locator("section").filter(
        has=phone.get_by_role("heading", name=re.compile("Regelwohngruppe"))
    )
    free = group.locator(".koffer-place--nicht-angeboten").first
    label = free.locator(".koffer-place__label").inner_text()
    when = timezone.localdate() + timedelta(days=1)
    free.locator("input[type=date]").fill(when.isoformat())
    # One save button for all places of the Angebot (issue 14): the group's form.
    group.get_by_role("button", name=re.compile("Plätze speichern")).click()
    expect(phone.locator(".koffer-messages")).to_contain_text(f"{label}: frei ab {when:%d.%m.%Y}")
    # The page opens at the offer's section; the message is there too, in sight and focused.
    expect(phone.locator(".koffer-messages")).to_be_in_viewport()
    assert phone.evaluate("document.activeElement.id") == "meldung"
    # Nothing wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert run_axe(phone) == []
    phone.screenshot(path=str(screenshot_dir("placements") / "provider-375.png"), full_page=True)

    # The youth office's page changes by itself: the free count of the group went up.
    expect(results).not_to_have_text(before, timeout=15000)
    office.screenshot(path=str(screenshot_dir("placements") / "gesuch-live.png"), full_page=True)
    phone_ctx.close()
    office_ctx.close()


def test_provider_keeps_facility_rates_and_absences_on_a_phone(
    chromium: Browser, server_url: str
) -> None:
    """Facility data, a new day rate from a date and an absence, each at 375 px, with
    axe-core clean and nothing wider than the screen."""
    ctx = chromium.new_context(locale="de-DE", viewport={"width": 375, "height": 800})
    phone = ctx.new_page()
    sign_in(phone, server_url, "platz.sonnenhof")

    def fits() -> None:
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        assert run_axe(phone) == []

    phone.goto(server_url + "/plaetze/einrichtungen/")
    phone.get_by_role("link", name="Wohngruppe Sonnenhof").click()
    phone.get_by_role("link", name="Angaben bearbeiten").click()
    expect(phone.get_by_role("heading", name="Einrichtung bearbeiten")).to_be_visible()
    fits()
    phone.get_by_label("Auflagen der Betriebserlaubnis").fill("Höchstens 9 Plätze je Gruppe")
    phone.get_by_role("button", name="Änderungen speichern").click()
    expect(phone.locator(".koffer-messages")).to_contain_text("Angaben der Einrichtung")
    expect(phone.locator(".koffer-facts")).to_contain_text("Höchstens 9 Plätze je Gruppe")

    phone.get_by_role("link", name=re.compile("Neuer Tagessatz ab Datum")).first.click()
    # Wait for the new page before measuring it: right after the click, evaluate() may
    # still reach the old page or a context the navigation destroys.
    expect(phone.get_by_label("Neuer Tagessatz gilt ab")).to_be_visible()
    fits()
    start = (timezone.localdate().replace(day=1) + timedelta(days=62)).replace(day=1)
    phone.get_by_label("Neuer Tagessatz gilt ab").fill(start.isoformat())
    phone.get_by_label("Leistungsentgelt je Tag (€)").fill("175.00")
    phone.get_by_role("button", name="Neuen Tagessatz speichern").click()
    expect(phone.locator(".koffer-messages")).to_contain_text(f"ab {start:%d.%m.%Y}")

    phone.goto(server_url + "/plaetze/anfragen/")
    phone.get_by_role("link", name=re.compile("^Abwesenheiten")).first.click()
    expect(phone.get_by_label("Abwesend ab (erster Tag)")).to_be_visible()
    fits()
    today = timezone.localdate()
    phone.get_by_label("Abwesend ab (erster Tag)").fill(today.isoformat())
    phone.get_by_label("Abwesend bis (letzter Tag)").fill(today.isoformat())
    phone.get_by_label("Grund").fill("Heimfahrt")
    phone.get_by_role("button", name="Abwesenheit speichern").click()
    expect(phone.locator(".koffer-messages")).to_contain_text("Abwesenheit vom")
    # The same days again: a German message at the form, no 500.
    phone.get_by_label("Abwesend ab (erster Tag)").fill(today.isoformat())
    phone.get_by_label("Abwesend bis (letzter Tag)").fill(today.isoformat())
    phone.get_by_label("Grund").fill("Heimfahrt")
    phone.get_by_role("button", name="Abwesenheit speichern").click()
    expect(phone.locator("main")).to_contain_text("schon eine Abwesenheit erfasst")
    fits()
    phone.screenshot(path=str(screenshot_dir("placements") / "abwesenheit-375.png"), full_page=True)
    ctx.close()
