"""The Rechnungseingang lists each invoice under the status it has: the filter, the
table's caption and the count name the real status ("versendet"), so a row saying
"versendet" no longer sits under a filter labelled only "zu prüfen"."""

from __future__ import annotations

import re

import pytest

from koffer.accounts.models import User
from tests.conftest import signed_in
from tests.placements.test_list_queries import World, world  # noqa: F401 - the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]


def _badges(html: str) -> list[str]:
    return re.findall(r'kern-badge--\w+"><span class="kern-label kern-label--small">([^<]+)<', html)


def test_rows_show_under_the_status_they_have(world: World, jugendamt_user: User) -> None:  # noqa: F811
    html = signed_in(jugendamt_user).get("/plaetze/rechnungseingang/").content.decode()
    selected = re.search(r'<option value="(\w+)" selected>([^<]+)</option>', html)
    assert selected is not None
    badges = _badges(html)
    assert badges and set(badges) == {"versendet"}
    assert selected.group(1) == "versendet" and "versendet" in selected.group(2)
    assert "Rechnungen mit Status „versendet“ (2)" in html
    assert "2 versendet (zu prüfen)" in html
