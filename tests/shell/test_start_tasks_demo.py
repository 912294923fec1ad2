"""The demo district's start pages answer "what do I do now" (issue 14, item 1): the
Jugendamt caseworker, a provider and the Landesjugendamt each find open tasks, on the
pinned date and on any other (the demo's dates are relative to today)."""

from __future__ import annotations

import pytest

from koffer.accounts.models import User
from koffer.demo import district
from tests.conftest import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def _page(username: str) -> str:
    response = signed_in(User.objects.get(username=username)).get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_demo_people_start_the_day_with_tasks() -> None:
    district.load()
    caseworker = _page("sb.jugendamt")
    assert "1 Wiedervorlage überfällig" in caseworker
    assert "Wiedervorlage: Rückruf wegen fehlender Nachweise" in caseworker
    assert "Frist: Hilfeplan fortschreiben (§ 36 SGB VIII)" in caseworker
    assert "1 Rechnung zu prüfen" in caseworker
    assert "Keine offenen Aufgaben" not in caseworker
    # The overdue reminder comes before the Frist that ends later this week.
    assert caseworker.index("Rückruf wegen") < caseworker.index("Hilfeplan fortschreiben")
    assert "1 Anfrage zu beantworten" in _page("platz.diakonie")
    assert "1 Meldung § 47 zu bearbeiten" in _page("lja.heimaufsicht")
