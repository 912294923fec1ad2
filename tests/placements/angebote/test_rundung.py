"""The provider changes how an Angebot's absence days are priced (rounded per day or per
invoice line) on its page; the change is stored and audited, an unchanged choice is not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from koffer.audit.models import AuditEvent
from koffer.placements.models import AbsenceRounding, Angebot
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def _events(tenant: Mandant) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(tenant_id=tenant.pk, action="placements.angebot.rundung"))


def test_provider_changes_the_absence_rounding_of_an_angebot(angebot, provider_user, traeger):
    client = signed_in(provider_user)
    url = reverse("placements:angebot_rundung", args=[angebot.pk])
    section = client.get(reverse("placements:einrichtung", args=[angebot.einrichtung_id]))
    text = section.content.decode()
    assert url in text and "je Tag auf Cent gerundet" in text
    page = client.get(url)
    assert page.status_code == 200 and "Preis der Abwesenheitstage" in page.content.decode()

    saved = client.post(url, {"absence_rounding": AbsenceRounding.PER_LINE})
    assert saved.status_code == 302
    assert saved["Location"].endswith(f"#angebot-{angebot.pk}")
    stored = Angebot.objects.for_tenant(traeger).get(pk=angebot.pk)
    assert stored.absence_rounding == AbsenceRounding.PER_LINE
    [event] = _events(traeger)
    assert event.changes == {"absence_rounding": {"old": "tag", "new": "position"}}
    assert event.actor_id == provider_user.pk

    # The same choice again changes nothing and records nothing; an unknown one is refused.
    assert client.post(url, {"absence_rounding": AbsenceRounding.PER_LINE}).status_code == 302
    assert len(_events(traeger)) == 1
    assert client.post(url, {"absence_rounding": "monat"}).status_code == 400
    stored.refresh_from_db()
    assert stored.absence_rounding == AbsenceRounding.PER_LINE


def test_another_provider_cannot_change_the_rounding(angebot, catalogue):
    other = factories.user(
        factories.mandant("Anderer Träger e. V.", kind=Mandant.Kind.TRAEGER), role="platzverwaltung"
    )
    url = reverse("placements:angebot_rundung", args=[angebot.pk])
    assert signed_in(other).post(url, {"absence_rounding": "position"}).status_code == 404
    angebot.refresh_from_db()
    assert angebot.absence_rounding == AbsenceRounding.PER_DAY
