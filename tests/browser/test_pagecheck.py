"""The page checks themselves: the heading check catches a heading said twice and a
second <h1>, the icon check a page without <link rel="icon">, and the multi-select check a
Ctrl-click list."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.pagecheck import favicon_problems, heading_problems, multiselect_problems

pytestmark = pytest.mark.browser


def test_heading_and_icon_checks(chromium: Browser) -> None:
    context = chromium.new_context(locale="de-DE")
    try:
        page = context.new_page()
        page.set_content(
            "<h1>Rechnungseingang</h1><h2>Rechnungseingang</h2><h2>Rechnungen</h2>"
            "<h3>Rechnungen</h3><h1>Noch eine</h1>"
        )
        problems = heading_problems(page)
        assert len(problems) == 2, problems
        assert "2 Überschriften <h1>" in problems[0]
        assert "„Rechnungseingang“ zweimal hintereinander" in problems[1]
        assert favicon_problems(page) == [
            'kein <link rel="icon">: der Browser fragt /favicon.ico ab'
        ]
        page.set_content("<h1>Start</h1><h2>Ihre Module</h2><h3>Start</h3>")
        assert heading_problems(page) == []
        page.set_content(
            "<h1>Anfragen</h1><h2>Laufende Belegungen</h2>"
            "<table><caption>Laufende Belegungen</caption><tr><td>1</td></tr></table>"
        )
        assert heading_problems(page) == [
            "Tabellenüberschrift „Laufende Belegungen“ wiederholt die Überschrift darüber"
        ]
        page.set_content(
            "<h1>Anfragen</h1><h2>Laufende Belegungen</h2><table><caption>"
            '<span class="kern-sr-only">Laufende Belegungen</span> Seite 2</caption></table>'
        )
        assert heading_problems(page) == []
    finally:
        context.close()


def test_multiselect_check(chromium: Browser) -> None:
    context = chromium.new_context(locale="de-DE")
    try:
        page = context.new_page()
        page.set_content(
            '<select name="units" multiple><option>A</option></select>'
            '<select name="one"><option>B</option></select>'
        )
        assert multiselect_problems(page) == [
            "Mehrfachauswahl mit Strg-Klick (select multiple): units"
        ]
        page.set_content('<input type="checkbox" name="units" value="A">')
        assert multiselect_problems(page) == []
    finally:
        context.close()
