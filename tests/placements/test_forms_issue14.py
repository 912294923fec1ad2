"""The new Gesuch and the provider's places (issue 14, items 3 and 5): the date shows, the
needs are checkboxes each listed once, Geschlecht has no silent default, and all places of
an Angebot are set free from one form."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from koffer.audit.models import AuditEvent
from koffer.placements.angebote import services as angebot_services
from koffer.placements.gesuche.forms import GesuchForm
from koffer.placements.models import Angebot, Merkmal, Platz, Platzgesuch
from tests.conftest import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-06")]


def _gesuch_data(heim, region, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "betreuungsform": heim.pk,
        "alter": "14",
        "geschlecht": "m",
        "ab_datum": "2026-12-06",
        "region": region.pk,
        "radius_km": "50",
    }
    return data | changes


def test_new_gesuch_page_shows_the_date_and_no_dashes(jugendamt_user, catalogue):
    page = signed_in(jugendamt_user).get(reverse("placements:gesuch_neu")).content.decode()
    # <input type=date> takes only ISO dates; 06.12.2026 left the field blank.
    assert re.search(r'<input type="date" name="ab_datum" value="2026-12-06"', page), page
    assert "---------" not in page
    assert page.count("Bitte wählen") >= 3  # Betreuungsform, Geschlecht, Region
    # Geschlecht: nothing preselected.
    select = re.search(r'<select name="geschlecht".*?</select>', page, re.S)
    assert select is not None and "selected" in select.group(0)
    assert '<option value="" selected>Bitte wählen</option>' in select.group(0)


def test_geschlecht_is_a_required_choice(jugendamt_user, heim, region):
    form = GesuchForm(_gesuch_data(heim, region, geschlecht=""))
    assert not form.is_valid()
    assert form.errors["geschlecht"] == ["Bitte wählen Sie das Geschlecht."]


def test_needs_are_checkboxes_each_language_once(jugendamt_user, catalogue):
    page = signed_in(jugendamt_user).get(reverse("placements:gesuch_neu")).content.decode()
    assert "Strg" not in page and 'name="merkmale" multiple' not in page
    boxes = re.findall(r'<input[^>]*type="checkbox" name="merkmale" value="([^"]+)"', page)
    assert boxes and len(boxes) == len(set(boxes))
    labels = re.findall(r'for="id_merkmale_[\d_]+">([^<]+)</label>', page)
    assert labels.count("Arabisch") == 1 and labels.count("Ukrainisch") == 1
    # Arabisch exists in two Fachbereiche of the catalogue: one box stands for both.
    assert Merkmal.objects.filter(label="Arabisch").count() >= 2
    assert "<legend" in page and "Besondere Bedarfe" in page


def test_a_chosen_need_is_the_one_of_the_forms_fachbereich(jugendamt, jugendamt_user, heim, region):
    client = signed_in(jugendamt_user)
    made = client.post(
        reverse("placements:gesuch_neu"),
        _gesuch_data(heim, region, merkmale=["sprache-ar", "trauma"]),
    )
    assert made.status_code == 302, made.content.decode()[:2000]
    gesuch = Platzgesuch.objects.for_tenant(jugendamt).get()
    chosen = list(gesuch.merkmale.all())
    assert {m.code for m in chosen} == {"sprache-ar", "trauma"}
    assert {m.fachbereich_id for m in chosen} == {heim.fachbereich_id}
    # A need only another Fachbereich has is named, not silently dropped.
    wrong = client.post(
        reverse("placements:gesuch_neu"), _gesuch_data(heim, region, merkmale=["demenz"])
    )
    assert wrong.status_code == 400
    assert "nicht wählbar: Beschützter Bereich für Menschen mit Demenz" in wrong.content.decode()


@pytest.fixture
def plaetze(angebot: Angebot, provider_user) -> list[Platz]:
    return angebot_services.add_plaetze(
        actor=provider_user, angebot=angebot, count=3, valid_from=date(2026, 1, 1)
    )


def test_provider_sets_several_places_free_with_one_save(angebot, plaetze, provider_user, traeger):
    client = signed_in(provider_user)
    page = client.get(reverse("placements:einrichtung", args=[angebot.einrichtung_id]))
    html = page.content.decode()
    action = reverse("placements:plaetze_frei", args=[angebot.pk])
    # One form and one save button for the Angebot, not one per place.
    assert html.count(f'action="{action}"') == 1
    assert html.count("Plätze speichern") == 1
    a, b, c = sorted(plaetze, key=lambda p: p.label)
    soon = timezone.localdate() + timedelta(days=3)
    done = client.post(
        action,
        {f"frei_{a.pk}": soon.isoformat(), f"frei_{b.pk}": soon.isoformat(), f"frei_{c.pk}": ""},
        follow=True,
    )
    text = done.content.decode()
    assert f"{a.label}: frei ab {soon:%d.%m.%Y}." in text
    assert f"{b.label}: frei ab {soon:%d.%m.%Y}." in text
    for p in (a, b, c):
        p.refresh_from_db()
    assert (a.frei_ab, b.frei_ab, c.frei_ab) == (soon, soon, None)
    # Only what changed is written and audited.
    events = AuditEvent.objects.filter(tenant_id=traeger.pk, action="placements.platz.frei")
    assert events.count() == 2
    # The shown values are ISO dates, so the date pickers show them.
    again = client.get(reverse("placements:einrichtung", args=[angebot.einrichtung_id]))
    assert again.content.decode().count(f'value="{soon.isoformat()}"') == 2


def test_one_date_for_all_places_and_all_or_nothing(angebot, plaetze, provider_user):
    client = signed_in(provider_user)
    action = reverse("placements:plaetze_frei", args=[angebot.pk])
    soon = timezone.localdate() + timedelta(days=1)
    client.post(action, {"alle_ab": soon.isoformat()})
    assert {
        p.frei_ab for p in Platz.objects.for_tenant(angebot.tenant).filter(angebot=angebot)
    } == {soon}
    # One place refuses (it no longer exists then): nothing is saved, the place is named.
    *_, c = sorted(plaetze, key=lambda p: p.label)  # the last one written
    Platz.objects.for_tenant(angebot.tenant).filter(pk=c.pk).update(valid_to=soon)
    later = soon + timedelta(days=5)
    refused = client.post(action, {"alle_ab": later.isoformat()}, follow=True)
    assert f"{c.label}: Der Platz besteht zu diesem Datum nicht mehr." in refused.content.decode()
    assert {
        p.frei_ab for p in Platz.objects.for_tenant(angebot.tenant).filter(angebot=angebot)
    } == {soon}
