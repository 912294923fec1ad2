"""The Expertensitzung's pages: inviting needs the consent box, the expert sees the
invitation and joins, the session page and stream leave the masked field out for the
expert, a stale write answers 409 with the field as it is now, the list's query count."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from koffer.field.experte import services, views
from koffer.field.models import Sitzung
from tests.conftest import signed_in
from tests.field.experte_daten import feld, sitzung

__all__ = ["feld"]  # the fixture

IBAN = "DE02120300000000202051"


def _einladen(feld: dict[str, Any], **mehr: str) -> Any:
    client = signed_in(feld["aussendienst"])
    url = reverse("field:experte_einladen", args=[feld["entwurf"].pk])
    return client.post(
        url,
        {
            "experte": str(feld["experte"].pk),
            "einwilligung_von": "Erna Muster",
            "einwilligung_art": "schriftlich",
            **mehr,
        },
    )


def test_the_invitation_needs_the_consent_box(feld: dict[str, Any]) -> None:
    response = _einladen(feld)
    assert response.status_code == 200
    assert "Ohne die Einwilligung kann niemand zugeschaltet werden." in response.content.decode()
    assert not Sitzung.objects.unscoped().exists()

    response = _einladen(feld, eingewilligt="on")
    row = Sitzung.objects.unscoped().get()
    assert response.status_code == 302
    assert response["Location"] == reverse("field:experte_sitzung", args=[row.pk])
    assert row.einwilligung_art == "schriftlich"


def test_the_expert_sees_the_invitation_and_joins_before_seeing_values(
    feld: dict[str, Any],
) -> None:
    row = sitzung(feld, beigetreten=False)
    services.feld_setzen(
        actor=feld["aussendienst"], sitzung=row, feld="miete", wert="612,00", version=0
    )
    client = signed_in(feld["experte"])

    liste = client.get(reverse("field:experte")).content.decode()
    assert "Einladungen als Expertin/Experte" in liste
    assert "Wohngeldantrag (Test)" in liste

    url = reverse("field:experte_sitzung", args=[row.pk])
    page = client.get(url).content.decode()
    assert "Beitreten" in page and "612,00" not in page
    assert client.post(reverse("field:experte_beitreten", args=[row.pk])).status_code == 302
    page = client.get(url).content.decode()
    assert "612,00" in page and "Sitzung verlassen" in page


def test_the_masked_field_is_not_in_the_experts_page_nor_stream(
    feld: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "LIVE_SECONDS", 0.3)  # the stream ends by itself, read whole
    row = sitzung(feld)
    services.feld_setzen(actor=feld["aussendienst"], sitzung=row, feld="iban", wert=IBAN, version=0)
    services.feld_setzen(
        actor=feld["aussendienst"], sitzung=row, feld="miete", wert="612,00", version=0
    )
    experte = signed_in(feld["experte"])

    page = experte.get(reverse("field:experte_sitzung", args=[row.pk])).content.decode()
    assert IBAN not in page and "für Sie verborgen" in page
    worker_page = signed_in(feld["aussendienst"]).get(
        reverse("field:experte_sitzung", args=[row.pk])
    )
    assert IBAN in worker_page.content.decode()

    stream = experte.get(reverse("field:experte_live", args=[row.pk]) + "?nach=0")
    assert isinstance(stream, StreamingHttpResponse)
    assert stream["Content-Type"] == "text/event-stream"
    seen = b"".join(stream.streaming_content)  # type: ignore[arg-type]
    assert b"612,00" in seen
    assert b"event: beitritt" in seen and b"event: feld" in seen
    assert IBAN.encode() not in seen and b"iban" not in seen

    refused = experte.post(
        reverse("field:experte_feld", args=[row.pk]),
        {"feld": "iban", "wert": "DE89370400440532013000", "version": "1"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "feld_verborgen"


def test_a_stale_write_answers_409_with_the_field_as_it_is_now(feld: dict[str, Any]) -> None:
    row = sitzung(feld)
    url = reverse("field:experte_feld", args=[row.pk])
    worker, experte = signed_in(feld["aussendienst"]), signed_in(feld["experte"])

    ok = worker.post(
        url, {"feld": "miete", "wert": "500", "version": "0"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert ok.json() == {"version": 1}
    stale = experte.post(
        url, {"feld": "miete", "wert": "550", "version": "0"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert stale.status_code == 409
    assert stale.json()["aktuell"] == {
        "feld": "miete",
        "wert": "500",
        "version": 1,
        "von": "Frieda Feld",
    }
    assert "Frieda Feld" in stale.json()["fehler"]


def test_a_stranger_gets_404_for_the_session(feld: dict[str, Any], tenant: Any) -> None:
    from tests import factories

    row = sitzung(feld)
    dritte = signed_in(factories.user(tenant, role="sachbearbeitung"))
    for name in ("field:experte_sitzung", "field:experte_live"):
        assert dritte.get(reverse(name, args=[row.pk])).status_code == 404
    assert dritte.post(reverse("field:experte_feld", args=[row.pk]), {}).status_code == 404


def test_a_field_worker_who_loses_the_akte_loses_the_session(
    feld: dict[str, Any], tenant: Any, team: Any
) -> None:
    from koffer.records import services as records
    from koffer.records.models import AccessLevel
    from tests import factories

    row = sitzung(feld)
    url = reverse("field:experte_sitzung", args=[row.pk])
    worker = signed_in(feld["aussendienst"])
    assert worker.get(url).status_code == 200
    leitung = factories.user(tenant, role="teamleitung", unit_=team)
    records.change_akte(
        actor=leitung,
        akte=feld["akte"],
        reason="Nur noch die Teamleitung",
        access_level=AccessLevel.RESTRICTED,
        named_users=[leitung],
    )

    assert worker.get(url).status_code == 404
    # The expert is not named either: what comes from the Akte is now hidden from them.
    experte = signed_in(feld["experte"]).get(url).content.decode()
    assert "Nachname" in experte and "Muster" not in experte.split("Nachname", 1)[1][:200]
