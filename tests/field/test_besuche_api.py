"""The Hausbesuche's API, every answer checked against the committed docs/openapi.json:
plan, the day's list (own; another field worker's only with the visits of Akten the
caller may read), done, cancel, move, the route sheet; another Mandant's visit unknown."""

from __future__ import annotations

import json
from datetime import time, timedelta
from typing import Any

from django.test import Client

from koffer.accounts.models import User
from koffer.field.models import Hausbesuch
from koffer.records.models import Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.field.besuche_daten import akte_mit_person, besuch, heute, katalog_mit_formularen
from tests.inbox.openapi import conforms

LIST = "/api/v1/koffer/besuche"
DONE = "/api/v1/koffer/besuche/{besuch_id}/erledigt"
CANCEL = "/api/v1/koffer/besuche/{besuch_id}/absagen"
MOVE = "/api/v1/koffer/besuche/{besuch_id}/verlegen"
PDF = "/api/v1/koffer/besuche/tourenplan.pdf"


def _post(client: Client, url: str, body: object) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_plan_list_done_cancel_and_move_through_the_api(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    admin_user: User,
) -> None:
    katalog_mit_formularen(tenant, admin_user)
    ad = factories.user(tenant, role="aussendienst", unit_=team)
    akte = akte_mit_person(
        caseworker=team_caseworker,
        plan=plan,
        unit=team,
        family_name="Albers",
        street="Lindenweg 3",
        postal_code="12345",
    )
    cw = signed_in(team_caseworker)
    body = {
        "akte": str(akte.pk),
        "aussendienst": str(ad.pk),
        "datum": heute().isoformat(),
        "uhrzeit": "10:00",
        "anlass": "Antrag ausfüllen",
        "formulare": ["notiz"],
        "hinweise": "Klingel defekt",
    }
    created = _post(cw, LIST, body)
    assert created.status_code == 201
    row = conforms(created, LIST, "post")
    assert (row["status"], row["formulare"], row["uhrzeit"]) == ("geplant", ["notiz"], "10:00:00")
    past = _post(cw, LIST, {**body, "datum": (heute() - timedelta(days=1)).isoformat()})
    assert past.status_code == 422 and conforms(past, LIST, "post")["code"] == "besuch_vergangen"

    worker = signed_in(ad)
    day = conforms(worker.get(LIST), LIST, "get")
    assert [(d["name"], d["anschrift"], d["im_koffer"]) for d in day] == [
        ("Erna Albers", "Lindenweg 3, 12345 Prüfstadt", False)
    ]
    assert [m["schluessel"] for m in day[0]["mitnehmen"]] == ["notiz"]
    # The caseworker asks for the field worker's day: the visits of Akten they may read.
    theirs = conforms(cw.get(f"{LIST}?aussendienst={ad.pk}"), LIST, "get")
    assert [d["id"] for d in theirs] == [row["id"]]
    stranger = factories.user(tenant, role="sachbearbeitung", unit_=factories.unit(tenant))
    assert conforms(signed_in(stranger).get(f"{LIST}?aussendienst={ad.pk}"), LIST, "get") == []

    url = MOVE.format(besuch_id=row["id"])
    moved = conforms(
        _post(worker, url, {"datum": heute().isoformat(), "uhrzeit": "11:30"}), MOVE, "post"
    )
    assert moved["uhrzeit"] == "11:30:00"
    refused = _post(worker, CANCEL.format(besuch_id=row["id"]), {"grund": " "})
    assert (
        refused.status_code == 422
        and conforms(refused, CANCEL, "post")["code"] == "reason_required"
    )
    done = conforms(worker.post(DONE.format(besuch_id=row["id"])), DONE, "post")
    assert done["status"] == "erledigt" and done["erledigt_am"]
    again = worker.post(DONE.format(besuch_id=row["id"]))
    assert (
        again.status_code == 409 and conforms(again, DONE, "post")["code"] == "besuch_nicht_geplant"
    )

    other = besuch(actor=team_caseworker, akte=akte, aussendienst=ad, uhrzeit=time(16, 0))
    cancelled = _post(cw, CANCEL.format(besuch_id=other.pk), {"grund": "Termin verschoben"})
    assert conforms(cancelled, CANCEL, "post")["absagegrund"] == "Termin verschoben"

    pdf = worker.get(f"{PDF}?datum={heute().isoformat()}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_another_mandants_visit_is_unknown(
    tenant: Mandant,
    other_tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
) -> None:
    ad = factories.user(tenant, role="aussendienst", unit_=team)
    akte = akte_mit_person(
        caseworker=team_caseworker,
        plan=plan,
        unit=team,
        family_name="X",
        street="Y 1",
        postal_code="1",
    )
    row = besuch(actor=team_caseworker, akte=akte, aussendienst=ad)
    outsider = factories.user(other_tenant, role="aussendienst")
    answer = signed_in(outsider).post(DONE.format(besuch_id=row.pk))
    assert answer.status_code == 404
    conforms(answer, DONE, "post")
    assert Hausbesuch.objects.for_tenant(tenant).get().status == "geplant"
    # The field worker of another team cannot be sent.
    far = factories.user(tenant, role="aussendienst", unit_=factories.unit(tenant))
    body = {
        "akte": str(akte.pk),
        "aussendienst": str(far.pk),
        "datum": heute().isoformat(),
        "anlass": "Besuch",
    }
    refused = _post(signed_in(team_caseworker), LIST, body)
    assert (
        refused.status_code == 422
        and conforms(refused, LIST, "post")["code"] == "besuch_aussendienst"
    )
