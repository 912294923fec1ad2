"""The Expertensitzung through the API: start with consent (422 without), join, the
expert's view without the masked value, a stale write as problem+json 409 with the field
as it is now, a hint, and a stranger's 404."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from tests import factories
from tests.conftest import signed_in
from tests.field.experte_daten import feld

__all__ = ["feld"]  # the fixture

API = "/api/v1/koffer/experte/sitzungen"
IBAN = "DE02120300000000202051"


def _send(client: Client, method: str, url: str, body: object = None) -> Any:
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json"
    )


def test_a_session_through_the_api(feld: dict[str, Any], tenant: Any) -> None:
    worker, experte = signed_in(feld["aussendienst"]), signed_in(feld["experte"])
    neu = {
        "entwurf": str(feld["entwurf"].pk),
        "experte": str(feld["experte"].pk),
        "einwilligung_von": "Erna Muster",
        "einwilligung_art": "muendlich",
        "eingewilligt": False,
    }
    refused = _send(worker, "post", API, neu)
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "einwilligung_fehlt"

    created = _send(worker, "post", API, {**neu, "eingewilligt": True})
    assert created.status_code == 201, created.content
    sitzung = created.json()["id"]
    assert created.json()["einwilligung_art"] == "muendlich"

    assert _send(
        worker, "put", f"{API}/{sitzung}/felder/iban", {"wert": IBAN, "version": 0}
    ).json() == {
        "feld": "iban",
        "version": 1,
    }
    # Not joined yet: the expert sees no values.
    assert experte.get(f"{API}/{sitzung}").json()["felder"] == []
    assert _send(experte, "post", f"{API}/{sitzung}/beitreten").status_code == 200
    sicht = experte.get(f"{API}/{sitzung}")
    assert sicht.status_code == 200
    iban = next(f for f in sicht.json()["felder"] if f["id"] == "iban")
    assert iban == {**iban, "maskiert": True, "wert": None} and IBAN not in sicht.content.decode()

    assert (
        _send(
            experte, "put", f"{API}/{sitzung}/felder/miete", {"wert": "480", "version": 0}
        ).status_code
        == 200
    )
    stale = _send(worker, "put", f"{API}/{sitzung}/felder/miete", {"wert": "490", "version": 0})
    assert stale.status_code == 409
    assert stale["Content-Type"] == "application/problem+json"
    assert stale.json()["code"] == "feld_veraltet"
    assert stale.json()["aktuell"] == {
        "feld": "miete",
        "wert": "480",
        "version": 1,
        "von": "Erik Experte",
    }

    hinweis = _send(
        experte, "post", f"{API}/{sitzung}/hinweise", {"feld": "miete", "text": "Kaltmiete"}
    )
    assert hinweis.status_code == 201
    assert [h["text"] for h in worker.get(f"{API}/{sitzung}").json()["hinweise"]] == ["Kaltmiete"]

    dritte = signed_in(factories.user(tenant, role="sachbearbeitung"))
    assert dritte.get(f"{API}/{sitzung}").status_code == 404
    assert (
        _send(
            dritte, "put", f"{API}/{sitzung}/felder/miete", {"wert": "1", "version": 1}
        ).status_code
        == 404
    )

    assert _send(worker, "post", f"{API}/{sitzung}/beenden").json()["status"] == "beendet"
