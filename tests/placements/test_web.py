"""The provider and youth-office pages, through HTTP."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from koffer.placements.angebote import services as angebot_services
from koffer.placements.models import Belegung, Platz, Platzgesuch, Reservierung
from tests import factories
from tests.conftest import signed_in

# Data built from today's date: make test-dates runs these on several days.
pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def test_provider_creates_facility_and_sets_a_place_free(
    traeger, provider_user, catalogue, heim, angebot
):
    client = signed_in(provider_user)
    page = client.get(reverse("placements:einrichtungen"))
    assert page.status_code == 200
    assert "Wohngruppe Linde" in page.content.decode()

    bad = client.post(
        reverse("placements:einrichtung_neu"),
        {
            "name": "Neu",
            "fachbereich": catalogue.pk,
            "formen": [heim.pk],
            "street": "a",
            "postcode": "1",
            "city": "c",
            "lat": "50",
            "lon": "8",
            "age_min": "17",
            "age_max": "3",
        },
    )
    assert bad.status_code == 400
    assert "Höchstalter" in bad.content.decode()
    ok = client.post(
        reverse("placements:einrichtung_neu"),
        {
            "name": "Haus Eiche",
            "fachbereich": catalogue.pk,
            "formen": [heim.pk],
            "street": "Eichenweg 1",
            "postcode": "60000",
            "city": "Musterstadt",
            "lat": "50.1",
            "lon": "8.6",
            "age_min": "3",
            "age_max": "17",
            "accepts_w": "on",
        },
    )
    assert ok.status_code == 302

    angebot_services.add_plaetze(
        actor=provider_user, angebot=angebot, count=1, valid_from=date(2026, 1, 1)
    )
    platz = Platz.objects.for_tenant(traeger).get(angebot=angebot)
    tomorrow = timezone.localdate() + timedelta(days=1)
    client.post(
        reverse("placements:platz_frei", args=[platz.pk]), {"frei_ab": tomorrow.isoformat()}
    )
    platz.refresh_from_db()
    assert platz.frei_ab == tomorrow
    detail = client.get(
        reverse("placements:einrichtung", args=[angebot.einrichtung_id])
    ).content.decode()
    assert f"frei ab {tomorrow:%d.%m.%Y}" in detail


def test_youth_office_finds_requests_and_provider_confirms(
    traeger, provider_user, angebot, jugendamt, jugendamt_user, heim, region
):
    angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=2,
        valid_from=date(2026, 1, 1),
        frei_ab=timezone.localdate(),
    )
    office = signed_in(jugendamt_user)
    location = _open_gesuch(office, heim, region)
    gesuch = Platzgesuch.objects.for_tenant(jugendamt).get()
    page = office.get(location).content.decode()
    assert "Wohngruppe Linde" in page
    assert "erfüllt 4 von 4 Kriterien · 182,50 €/Tag" in page
    sent = office.post(
        reverse("placements:gesuch_anfragen", args=[gesuch.pk]),
        {"angebot": [str(angebot.pk)]},
        follow=True,
    )
    assert "Platz reserviert" in sent.content.decode()
    hold = Reservierung.objects.for_tenant(traeger).get()

    provider = signed_in(provider_user)
    inbox = provider.get(reverse("placements:anfragen")).content.decode()
    assert gesuch.pseudonym in inbox
    # The provider never sees a name: only pseudonym, age, gender, needs.
    provider.post(
        reverse("placements:anfrage_zusagen", args=[hold.pk]),
        {"beginn": timezone.localdate().isoformat()},
    )
    assert Belegung.objects.for_tenant(traeger).filter(gesuch=gesuch).exists()
    # Youth office pages are not the provider's, and the other way round.
    assert provider.get(reverse("placements:gesuche")).status_code == 403
    assert office.get(reverse("placements:anfragen")).status_code == 403


def test_other_provider_gets_404(angebot, provider_user):
    stranger_tenant = factories.mandant(kind="traeger")
    stranger = factories.user(stranger_tenant, role="platzverwaltung")
    client = signed_in(stranger)
    assert (
        client.get(reverse("placements:einrichtung", args=[angebot.einrichtung_id])).status_code
        == 404
    )
    assert client.get(reverse("placements:entgelt_neu", args=[angebot.pk])).status_code == 404


def test_live_stream_announces_a_change(angebot, provider_user, jugendamt_user, heim, monkeypatch):
    from koffer.placements import views

    monkeypatch.setattr(views, "LIVE_SECONDS", 0.5)
    monkeypatch.setattr(views, "LIVE_POLL", 0.1)
    office = signed_in(jugendamt_user)
    since = views._latest_change()
    angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=1,
        valid_from=date(2026, 1, 1),
        frei_ab=timezone.localdate(),
    )
    response = office.get(reverse("placements:live"), {"form": str(heim.pk), "since": str(since)})
    assert response["Content-Type"] == "text/event-stream"
    body = b"".join(response.streaming_content).decode()
    assert "event: verfuegbarkeit" in body
    assert office.get(reverse("placements:live"), {"form": "kaputt"}).status_code == 404


def _csp(response) -> dict[str, set[str]]:
    """The Content-Security-Policy by directive (django-csp's order varies)."""
    directives = (d.split() for d in response["Content-Security-Policy"].split(";"))
    return {d[0]: set(d[1:]) for d in directives if d}


def _open_gesuch(office, heim, region) -> str:
    created = office.post(
        reverse("placements:gesuch_neu"),
        {
            "betreuungsform": heim.pk,
            "alter": "12",
            "geschlecht": "w",
            "ab_datum": timezone.localdate().isoformat(),
            "region": region.pk,
            "radius_km": "50",
        },
    )
    assert created.status_code == 302
    return created["Location"]


def test_search_page_opens_its_stream_on_the_stream_port(jugendamt_user, heim, region, settings):
    """make run serves event streams from a process of their own (koffer.shell.live): the
    page names that origin for its EventSource and in its Content-Security-Policy."""
    office = signed_in(jugendamt_user)
    url = _open_gesuch(office, heim, region)
    same_origin = office.get(url)
    assert (
        f'data-live-url="{reverse("placements:live")}?form={heim.pk}"'
        in same_origin.content.decode()
    )
    assert _csp(same_origin)["connect-src"] == {"'self'"}

    settings.KOFFER_PORT, settings.KOFFER_LIVE_PORT = 8000, 8001
    page = office.get(url)
    live_url = f"http://testserver:8001{reverse('placements:live')}?form={heim.pk}"
    assert f'data-live-url="{live_url}"' in page.content.decode()
    assert _csp(page)["connect-src"] == {"'self'", "http://testserver:8001"}
    assert _csp(page)["script-src"] == {"'self'"}  # the rest stays strict


def test_stream_answers_our_pages_only(angebot, jugendamt_user, heim, settings, monkeypatch):
    import threading

    from koffer.placements import views

    monkeypatch.setattr(views, "LIVE_SECONDS", 0.1)
    settings.KOFFER_PORT, settings.KOFFER_LIVE_PORT = 8000, 8001
    office = signed_in(jugendamt_user)
    live = reverse("placements:live")
    ours = office.get(live, {"form": str(heim.pk)}, headers={"Origin": "http://testserver:8000"})
    assert ours["Access-Control-Allow-Origin"] == "http://testserver:8000"
    assert ours["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in ours["Vary"]
    b"".join(ours.streaming_content)  # ends the stream, frees its slot

    for foreign in ("http://testserver:9000", "http://boese.example:8000", "null"):
        theirs = office.get(live, {"form": str(heim.pk)}, headers={"Origin": foreign})
        assert "Access-Control-Allow-Origin" not in theirs, foreign
        b"".join(theirs.streaming_content)

    # A process that keeps no thread for streams (make run's web workers) sends pages to polling.
    monkeypatch.setattr(views, "LIVE_STREAMS", threading.BoundedSemaphore(0))
    busy = office.get(live, {"form": str(heim.pk)}, headers={"Origin": "http://testserver:8000"})
    assert busy.status_code == 503
    assert busy["Retry-After"] == "15"
    assert busy["Access-Control-Allow-Origin"] == "http://testserver:8000"


def test_open_stream_does_not_hold_off_the_idle_timeout(jugendamt_user, heim, monkeypatch):
    from koffer.placements import views

    monkeypatch.setattr(views, "LIVE_SECONDS", 0.1)
    office = signed_in(jugendamt_user)
    office.get(reverse("shell:start"))
    session = office.session
    session["koffer_last_seen"] -= 300
    session.save()
    before = office.session["koffer_last_seen"]
    stream = office.get(reverse("placements:live"), {"form": str(heim.pk)})
    assert stream.status_code == 200
    b"".join(stream.streaming_content)
    assert office.session["koffer_last_seen"] == before
