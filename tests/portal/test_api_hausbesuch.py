"""The portal's API for the Hausbesuch auf Anfrage (issue 19, item 8): whether it is
offered, for whom the account may ask, its requests with their state, and a new request
as the page's form in JSON — the same checks with German messages per field (422), a
person not represented is a 404, the per-account limits are a 429. Every answer is
checked against the committed docs/openapi.json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from koffer.audit.models import AuditEvent
from koffer.field.models import Besuchswunsch
from koffer.portal.hausbesuch import services
from koffer.portal.models import Buergerkonto
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests.factories import portal as portal_factories
from tests.inbox.openapi import conforms
from tests.portal.test_hausbesuch import (
    _ohne_zweiten_faktor,
    _person,
    akte,
    angeboten,
    tochter,
)

__all__ = ["_ohne_zweiten_faktor", "akte", "angeboten", "tochter"]

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

HAUSBESUCHE = "/api/v1/portal/hausbesuche"

ANGABEN: dict[str, Any] = {
    "telefon": "0151 9876543",
    "thema": "antrag",
    "anliegen": "Antrag auf Hilfe zur Pflege",
    "wochentage": [1, 3],
    "tageszeit": "vormittags",
    "ab": "2026-12-08",
    "bis": "2026-12-18",
    "barrieren": ["rollstuhl", "klingel"],
    "barrieren_hinweis": "Bitte zweimal klingeln",
}


def _anfragen(client: Client, **body: Any) -> Any:
    return client.post(HAUSBESUCHE, json.dumps({**ANGABEN, **body}), "application/json")


def _selbst() -> dict[str, str]:
    return {"street": "Weg 1", "postal_code": "12345", "city": "Ort"}


def test_a_represented_person_gets_a_visit_request(
    tenant: Mandant, angeboten: None, tochter: Buergerkonto, akte: Akte
) -> None:
    client = portal_factories.buerger_client(tochter)
    person = _person(akte)
    stand = conforms(client.get(HAUSBESUCHE), HAUSBESUCHE, "get")
    assert stand["angeboten"] is True and stand["anfragen"] == []
    assert [w["fuer"] for w in stand["wahl"]] == ["selbst", str(person.pk), "andere"]
    antwort = _anfragen(client, fuer=str(person.pk))
    assert antwort.status_code == 201, antwort.content
    body = conforms(antwort, HAUSBESUCHE, "post")
    assert body["fuer"] == "vertretung" and body["family_name"] == "Albers"
    assert body["stand"] == "eingegangen, wird geplant"
    wunsch = Besuchswunsch.objects.for_tenant(tenant).get()
    # the address and name from the E-Akte, as the page prefills them
    assert (wunsch.person_id, wunsch.street, wunsch.wochentage) == (
        person.pk,
        "Lindenweg 3",
        [1, 3],
    )
    [angefragt] = conforms(client.get(HAUSBESUCHE), HAUSBESUCHE, "get")["anfragen"]
    assert angefragt["id"] == str(wunsch.pk) and angefragt["thema_text"]
    assert AuditEvent.objects.filter(
        action="read", actor_id=tochter.pk, reason="Hausbesuche abrufen (API)"
    ).exists()
    assert AuditEvent.objects.filter(action="field.besuchswunsch.create").count() == 1


def test_a_relative_and_bad_input_in_german(tenant: Mandant, angeboten: None) -> None:
    konto = portal_factories.buergerkonto(tenant)
    client = portal_factories.buerger_client(konto)
    # for another person, the name and the address are needed: per field, in German
    ohne = _anfragen(client, fuer="andere")
    assert ohne.status_code == 422
    problem = conforms(ohne, HAUSBESUCHE, "post")
    assert problem["code"] == "anfrage_ungueltig"
    assert problem["fehler"]["family_name"] == ["Dieses Feld ist zwingend erforderlich."]
    assert set(problem["fehler"]) == {"family_name", "street", "postal_code", "city"}
    # the service's checks: a day in the past
    vergangen = _anfragen(client, fuer="selbst", ab="2026-12-01", **_selbst())
    assert vergangen.status_code == 422
    assert (
        "01.12.2026 liegt in der Vergangenheit"
        in conforms(vergangen, HAUSBESUCHE, "post")["detail"]
    )
    # the shape: pydantic's findings in German
    falsch = _anfragen(client, fuer="selbst", thema="urlaub", **_selbst())
    assert falsch.status_code == 422
    assert conforms(falsch, HAUSBESUCHE, "post")["code"] == "validation_failed"
    # a person the account does not represent
    fremd = _anfragen(client, fuer="00000000-0000-4000-8000-000000000000")
    assert fremd.status_code == 404 and conforms(fremd, HAUSBESUCHE, "post")["code"] == (
        "person_not_found"
    )
    assert not Besuchswunsch.objects.for_tenant(tenant).exists()
    angehoerige = _anfragen(
        client,
        fuer="andere",
        family_name="Albers",
        given_names="Gerda",
        beziehung="Tochter",
        **_selbst(),
    )
    assert angehoerige.status_code == 201, angehoerige.content
    assert conforms(angehoerige, HAUSBESUCHE, "post")["fuer"] == "angehoerige"


def test_requests_are_limited_per_account(tenant: Mandant, angeboten: None) -> None:
    konto = portal_factories.buergerkonto(tenant, street="Weg 1", postal_code="12345", city="Ort")
    client = portal_factories.buerger_client(konto)
    for _ in range(services.MAX_PRO_TAG):
        assert _anfragen(client, fuer="selbst").status_code == 201
    zu_viel = _anfragen(client, fuer="selbst")
    assert zu_viel.status_code == 429
    problem = conforms(zu_viel, HAUSBESUCHE, "post")
    assert problem["code"] == "hausbesuch_zu_viele" and "24 Stunden" in problem["detail"]
    assert 86000 <= int(zu_viel["Retry-After"]) <= 86400  # the first of them leaves the day
    assert Besuchswunsch.objects.for_tenant(tenant).count() == services.MAX_PRO_TAG


def test_not_offered(tenant: Mandant) -> None:
    client = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    stand = conforms(client.get(HAUSBESUCHE), HAUSBESUCHE, "get")
    assert stand == {"angeboten": False, "wahl": [], "anfragen": []}
    antwort = _anfragen(client, fuer="selbst", **_selbst())
    assert antwort.status_code == 404
    assert conforms(antwort, HAUSBESUCHE, "post")["code"] == "hausbesuch_nicht_angeboten"
