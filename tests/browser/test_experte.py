"""Issue 18, item 5 in two real browsers at once: the field worker (on a small screen)
invites an expert with the citizen's consent, the expert (at the office desk) joins, both
fill fields of the same form and each sees the other's change appear without reloading;
the expert sees of the signature and the attachments only that there are none yet. Both
screens are screenshotted. The second test covers the fields with several controls (a
table, an address), the form's conditions, and a step saved through the ordinary form
page while the session is open."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.pagecheck import run_axe, screenshot_dir, sign_in

pytestmark = pytest.mark.browser

LIVE = 5_000  # ms: the test's patience; the speed itself is measured in tests/field


def _shot(page: Page, name: str) -> None:
    folder = screenshot_dir("experte")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_field_worker_and_expert_fill_one_form_at_the_same_time(
    chromium: Browser, server_url: str
) -> None:
    mobil = chromium.new_context(locale="de-DE", viewport={"width": 375, "height": 800})
    buero = chromium.new_context(locale="de-DE", viewport={"width": 1366, "height": 900})
    try:
        worker, experte = mobil.new_page(), buero.new_page()
        sign_in(worker, server_url, "sb.jobcenter")
        sign_in(experte, server_url, "tl.jobcenter")

        # The field worker invites; without the consent box nothing happens.
        worker.goto(server_url + "/koffer/experte/")
        worker.get_by_role("link", name="Expertin/Experte einladen").first.click()
        worker.get_by_label("Expertin/Experte").select_option(label="Tim Krause")
        worker.get_by_label("Einwilligung gegeben von").fill("Anna Beispiel")
        worker.get_by_label("Art der Einwilligung").select_option(label="mündlich")
        worker.get_by_role("button", name="Einladen").click()
        expect(worker.locator(".koffer-error-summary")).to_contain_text("Einwilligung")
        worker.get_by_label(re.compile("ist einverstanden")).check()
        worker.get_by_role("button", name="Einladen").click()
        expect(worker.get_by_role("heading", level=1)).to_contain_text("Expertensitzung")

        # The expert sees the invitation and joins.
        experte.goto(server_url + "/koffer/experte/")
        experte.get_by_role("link", name="Formlose Nachricht oder formloser Antrag").click()
        experte.get_by_role("button", name="Beitreten").click()
        expect(experte.locator("#experte-live")).to_have_attribute("data-live-state", "open")
        worker.reload()
        expect(worker.locator("#experte-live")).to_have_attribute("data-live-state", "open")

        # Both type, each into another field; each sees the other's text arrive.
        worker.get_by_label("Betreff", exact=True).fill("Umzug zum 1. Januar")
        experte.get_by_label("Ihre Nachricht", exact=True).fill("Bitte Mietvertrag beifügen.")
        expect(experte.get_by_label("Betreff", exact=True)).to_have_value(
            "Umzug zum 1. Januar", timeout=LIVE
        )
        expect(worker.get_by_label("Ihre Nachricht", exact=True)).to_have_value(
            "Bitte Mietvertrag beifügen.", timeout=LIVE
        )
        expect(worker.locator("#experte-status")).to_contain_text("Tim Krause", timeout=LIVE)
        expect(experte.locator("#experte-status")).to_contain_text("Lea Wagner", timeout=LIVE)
        # The expert corrects the worker's field; the worker's screen follows.
        experte.get_by_label("Betreff", exact=True).fill("Umzug zum 1. Februar")
        expect(worker.get_by_label("Betreff", exact=True)).to_have_value(
            "Umzug zum 1. Februar", timeout=LIVE
        )

        # Of the signature and the attachments the expert sees only their state.
        expect(experte.locator('[data-anzeige="unterschrift"]')).to_contain_text(
            "noch nicht unterschrieben"
        )
        expect(experte.locator('[data-anzeige="anlagen"]')).to_contain_text("keine Datei")
        expect(experte.get_by_label("Unterschrift", exact=True)).to_have_count(0)

        assert run_axe(worker) == []
        assert run_axe(experte) == []
        assert worker.evaluate("document.documentElement.scrollWidth") <= 375
        _shot(worker, "aussendienst-375")
        _shot(experte, "experte-1366")

        # The field worker ends the session: the expert's page says so by itself.
        worker.get_by_role("button", name="Sitzung beenden").click()
        expect(experte.get_by_text("Diese Sitzung ist beendet.")).to_be_visible(timeout=LIVE)
    finally:
        mobil.close()
        buero.close()


def test_a_table_a_condition_and_a_step_saved_in_the_form_appear_on_both_screens(
    chromium: Browser, server_url: str
) -> None:
    titel = "Antrag auf Weiterbewilligung des Bürgergelds (SGB II)"
    mobil = chromium.new_context(locale="de-DE", viewport={"width": 375, "height": 800})
    buero = chromium.new_context(locale="de-DE", viewport={"width": 1366, "height": 900})
    try:
        worker, experte = mobil.new_page(), buero.new_page()
        sign_in(worker, server_url, "sb.jobcenter")
        sign_in(experte, server_url, "tl.jobcenter")

        # The field worker begins an application in an Akte of theirs.
        worker.goto(server_url + "/formulare/entwuerfe/")
        href = worker.evaluate(
            "() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
            ".find(h => /\\/akten\\/[0-9a-f-]{36}\\//.test(h)) || ''"
        )
        akte = re.search(r"/akten/([0-9a-f-]{36})/", href)
        assert akte is not None, href
        worker.goto(f"{server_url}/akten/{akte.group(1)}/formulare/")
        antrag = worker.locator("li", has=worker.get_by_role("heading", name=titel))
        antrag.get_by_role("button", name="Ausfüllen").click()
        entwurf_url = worker.url.rsplit("/schritte/", 1)[0]

        worker.goto(server_url + "/koffer/experte/")
        worker.get_by_role(
            "link", name=re.compile(r"Expertin\/Experte einladen.*Weiterbewilligung")
        ).first.click()
        worker.get_by_label("Expertin/Experte").select_option(label="Tim Krause")
        worker.get_by_label("Einwilligung gegeben von").fill("Anna Beispiel")
        worker.get_by_label("Art der Einwilligung").select_option(label="schriftlich")
        worker.get_by_label(re.compile("ist einverstanden")).check()
        worker.get_by_role("button", name="Einladen").click()

        experte.goto(server_url + "/koffer/experte/")
        experte.get_by_role("link", name=titel).first.click()
        experte.get_by_role("button", name="Beitreten").click()
        expect(experte.locator("#experte-live")).to_have_attribute("data-live-state", "open")
        worker.reload()
        expect(worker.locator("#experte-live")).to_have_attribute("data-live-state", "open")

        # The expert fills the table's empty row; once they leave the table, the worker's
        # table shows the new row and both get an empty one for the next entry.
        tabelle = '[data-feld-box="mitglieder"]'
        zeile = re.compile(r"^Nachname, Zeile \d+$")
        experte.locator(tabelle).get_by_label(zeile).last.fill("Beispiel")
        experte.locator(tabelle).get_by_label(re.compile(r"^Vorname, Zeile \d+$")).last.fill("Karl")
        experte.locator("#feld-sonstige_aenderungen").focus()  # leaves the table
        expect(worker.locator(tabelle + ' input[value="Karl"]')).to_have_count(1, timeout=LIVE)
        expect(
            experte.locator(tabelle).get_by_role("button", name=re.compile("entfernen"))
        ).not_to_have_count(0, timeout=LIVE)

        # A condition: a field not asked shows only the sentence saying so on both
        # screens, its input hidden (out of the tab order); the worker answers „ja“ and
        # both pages ask it, „nein“ hides it again, „ja“ brings it back.
        frage = experte.locator('[data-bedingung="einzugsdatum"]')
        umgezogen = worker.get_by_label("Sind Sie seit dem letzten Antrag umgezogen?", exact=True)
        expect(frage).to_contain_text("nicht gefragt")
        for page in (worker, experte):
            expect(page.locator("#feld-einzugsdatum")).to_be_hidden()
        worker.locator('[data-feld-box="einzugsdatum"]').scroll_into_view_if_needed()
        _shot(worker, "bedingung-nicht-gefragt-375")
        umgezogen.select_option("ja")
        expect(frage).to_be_hidden(timeout=LIVE)
        for page in (worker, experte):
            expect(page.locator("#feld-einzugsdatum")).to_be_visible(timeout=LIVE)
        umgezogen.select_option("nein")
        for page in (worker, experte):
            expect(page.locator("#feld-einzugsdatum")).to_be_hidden(timeout=LIVE)
        expect(frage).to_contain_text("nicht gefragt", timeout=LIVE)
        umgezogen.select_option("ja")
        for page in (worker, experte):
            expect(page.locator("#feld-einzugsdatum")).to_be_visible(timeout=LIVE)

        # The worker saves a step through the ordinary form page (another tab): both
        # session screens show the value, the worker's says it came from the form.
        formular = mobil.new_page()
        formular.goto(entwurf_url + "/schritte/aenderungen/")
        formular.get_by_label("Einzug in die jetzige Wohnung am").fill("2026-11-01")
        formular.get_by_role("button", name="Zwischenspeichern").click()
        for page in (experte, worker):
            expect(page.get_by_label("Einzug in die jetzige Wohnung am", exact=True)).to_have_value(
                "2026-11-01", timeout=LIVE
            )
        expect(worker.locator("#experte-status")).to_contain_text("im Formular", timeout=LIVE)
        formular.close()

        # Bank details hidden, the signature only by its state.
        expect(experte.locator('[data-feld-box="iban"]')).to_contain_text("für Sie verborgen")
        expect(experte.locator('[data-anzeige="unterschrift"]')).to_contain_text("noch nicht")

        assert run_axe(worker) == []
        assert run_axe(experte) == []
        assert worker.evaluate("document.documentElement.scrollWidth") <= 375
        _shot(worker, "feldtypen-aussendienst-375")
        _shot(experte, "feldtypen-experte-1366")
    finally:
        mobil.close()
        buero.close()
