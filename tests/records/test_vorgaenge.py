from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from koffer.accounts.models import User
from koffer.records import deadlines, services
from koffer.records.errors import RecordsError
from koffer.records.models import Akte, FristRegel, VorgangTyp
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        (date(2026, 1, 9), date(2026, 2, 13)),  # Fri + 4 = Tue 13.1., one month later Fri 13.2.
        (date(2026, 3, 27), date(2026, 4, 30)),  # notified 31.3. -> 30.4. (shorter month)
        (date(2026, 12, 21), date(2027, 1, 28)),  # +4 = 25.12. holiday -> Mon 28.12. -> 28.1.
        (date(2026, 1, 29), date(2026, 3, 2)),  # notified Mon 2.2. -> Mon 2.3.
    ],
)
def test_objection_deadline(posted: date, expected: date) -> None:
    assert (
        deadlines.due_date(posted, notification_days=4, months=1, days=0, shift=True, state="")
        == expected
    )


def test_deadline_ending_on_weekend_moves_to_monday() -> None:
    # Notified Sat 31.1.2026 without shifting the fiction -> month end Sat 28.2. -> Mon 2.3.
    assert deadlines.due_date(
        date(2026, 1, 31), notification_days=0, months=1, days=0, shift=True, state=""
    ) == date(2026, 3, 2)


def test_vorgang_with_history_and_frist(akte: Akte, team_caseworker: User, tenant: Mandant) -> None:
    typ = VorgangTyp.objects.for_tenant(tenant).get(module="sgb2", code="widerspruch")
    vorgang = services.create_vorgang(actor=team_caseworker, akte=akte, typ=typ, title="")
    assert vorgang.title == "Widerspruch"
    regel = FristRegel.objects.for_tenant(tenant).get(code="widerspruchsfrist")
    frist = services.add_frist(
        actor=team_caseworker, vorgang=vorgang, base_date=date(2026, 1, 9), regel=regel
    )
    assert frist.due_date == date(2026, 2, 13)
    services.change_vorgang_status(
        actor=team_caseworker, vorgang=vorgang, status="done", note="abgeholfen"
    )
    steps = list(vorgang.schritte.order_by("at").values_list("action", flat=True))
    assert steps == ["angelegt", "frist", "status"]


def test_vorgang_page_adds_frist(akte: Akte, team_caseworker: User, tenant: Mandant) -> None:
    typ = VorgangTyp.objects.for_tenant(tenant).get(module="sgb2", code="antrag")
    vorgang = services.create_vorgang(actor=team_caseworker, akte=akte, typ=typ, title="Antrag")
    regel = FristRegel.objects.for_tenant(tenant).get(code="anhoerung")
    client = signed_in(team_caseworker)
    response = client.post(
        reverse("records:vorgang_detail", args=[vorgang.pk]),
        {"action": "frist", "regel": str(regel.pk), "base_date": "2026-01-09"},
    )
    assert response.status_code == 302
    assert (
        "27.01.2026"
        in client.get(reverse("records:vorgang_detail", args=[vorgang.pk])).content.decode()
    )


def test_no_vorgang_in_closed_akte(akte: Akte, team_caseworker: User, tenant: Mandant) -> None:
    services.change_akte(actor=team_caseworker, akte=akte, reason="zu", status=Akte.Status.CLOSED)
    typ = VorgangTyp.objects.for_tenant(tenant).get(module="sgb2", code="antrag")
    with pytest.raises(RecordsError):
        services.create_vorgang(actor=team_caseworker, akte=akte, typ=typ, title="x")
