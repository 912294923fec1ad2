"""The Formulare's API, every answer checked against the committed docs/openapi.json:
the catalogue and its schema, the import with its 422 findings, a draft from beginning
to submission, the 422 of a submission with errors, and another Mandant's objects
unknown (404)."""

from __future__ import annotations

import json

from django.test import Client

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.forms.models import Formular
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import query_count, signed_in
from tests.forms.formkern import admin_access, akte, definition, formular
from tests.inbox.openapi import conforms

__all__ = ["admin_access", "akte", "formular"]

LIST = "/api/v1/formulare"
SCHEMA = "/api/v1/formulare/schema"
IMPORT = "/api/v1/formulare/import"
ONE = "/api/v1/formulare/{schluessel}"
VERSION = "/api/v1/formulare/{schluessel}/versionen/{nummer}"
DRAFTS = "/api/v1/formulare/entwuerfe"
DRAFT = "/api/v1/formulare/entwuerfe/{entwurf_id}"
SUBMIT = "/api/v1/formulare/entwuerfe/{entwurf_id}/einreichen"
SUBMISSION = "/api/v1/formulare/einreichungen/{einreichung_id}"


def _json(client: Client, method: str, url: str, body: object) -> object:
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def test_the_administration_imports_and_everyone_who_fills_forms_reads_the_catalogue(
    tenant: Mandant, plan: Aktenplaneinheit, admin_user: User, team_caseworker: User
) -> None:
    admin = signed_in(admin_user)
    answer = conforms(_json(admin, "POST", IMPORT, [definition()]), IMPORT, "post")
    assert answer == [{"schluessel": "wba-test", "version": 1, "neu": True}]
    reader = signed_in(team_caseworker)
    assert conforms(reader.get(LIST), LIST, "get") == [
        {"schluessel": "wba-test", "titel": "Weiterbewilligungsantrag (Test)", "version": 1}
    ]
    assert conforms(reader.get(SCHEMA), SCHEMA, "get")["type"] == "object"
    one = conforms(reader.get(ONE.format(schluessel="wba-test")), ONE, "get")
    assert (one["version"], one["definition"]) == (1, definition())
    url = VERSION.format(schluessel="wba-test", nummer=1)
    assert conforms(reader.get(url), VERSION, "get")["aktuell"] is True
    missing = reader.get(VERSION.format(schluessel="wba-test", nummer=2))
    assert missing.status_code == 404
    conforms(missing, VERSION, "get")
    # a caseworker may not import
    refused = _json(reader, "POST", IMPORT, definition("anderes"))
    assert refused.status_code == 403  # type: ignore[attr-defined]


def test_a_broken_import_answers_422_with_every_finding(
    tenant: Mandant, plan: Aktenplaneinheit, admin_user: User
) -> None:
    kaputt = definition()
    kaputt["schritte"][1]["felder"][1]["typ"] = "unbekannt"
    kaputt["titel"] = {"en": "no German"}
    response = _json(signed_in(admin_user), "POST", IMPORT, kaputt)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("application/problem+json")  # type: ignore[index]
    body = conforms(response, IMPORT, "post")
    assert body["code"] == "form_definition_invalid"
    assert len(body["fehler"]) >= 2
    assert any(pfad.startswith("schritte[1].felder[1]") for pfad in body["fehler"])
    assert not Formular.objects.for_tenant(tenant).exists()


def test_a_draft_from_beginning_to_submission(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    created = _json(client, "POST", DRAFTS, {"formular": "wba-test", "akte": str(akte.pk)})
    assert created.status_code == 201  # type: ignore[attr-defined]
    draft = conforms(created, DRAFTS, "post")
    assert draft["antworten"]["nachname"] == "Beispiel"
    assert draft["vorbelegt"]["nachname"] == "person.nachname"
    url = DRAFT.format(entwurf_id=draft["id"])
    assert conforms(client.get(url), DRAFT, "get")["id"] == draft["id"]
    saved = _json(client, "PATCH", url, {"schritt": "haushalt", "antworten": {"umgezogen": "ja"}})
    body = conforms(saved, DRAFT, "patch")
    assert body["fehler"] == {"umzug_am": ["Bitte füllen Sie „Umzug am“ aus."]}
    assert body["antworten"]["umgezogen"] == "ja"
    submit = SUBMIT.format(entwurf_id=draft["id"])
    refused = client.post(submit)
    assert refused.status_code == 422
    problem = conforms(refused, SUBMIT, "post")
    assert list(problem["fehler"]) == ["umzug_am"]
    _json(client, "PATCH", url, {"schritt": "haushalt", "antworten": {"umzug_am": "01.10.2026"}})
    done = client.post(submit)
    assert done.status_code == 201
    einreichung = conforms(done, SUBMIT, "post")
    assert einreichung["werte"]["umzug_am"] == "2026-10-01"
    assert einreichung["vorgang"] is not None and einreichung["dokument"]
    again = conforms(client.post(submit), SUBMIT, "post")
    assert again["id"] == einreichung["id"]
    read = conforms(
        client.get(SUBMISSION.format(einreichung_id=einreichung["id"])), SUBMISSION, "get"
    )
    assert (read["version"], read["formular"]) == (1, "wba-test")
    reads = AuditEvent.objects.filter(tenant_id=akte.tenant_id, action="read").count()
    assert reads >= 2  # the draft and the submission were read


def test_another_mandants_form_draft_and_submission_are_unknown(
    formular: Formular, akte: Akte, team_caseworker: User, other_tenant: Mandant
) -> None:
    client = signed_in(team_caseworker)
    draft = conforms(
        _json(client, "POST", DRAFTS, {"formular": "wba-test", "akte": str(akte.pk)}),
        DRAFTS,
        "post",
    )
    stranger = signed_in(factories.user(other_tenant, role="mandant_admin"))
    for url, template in (
        (ONE.format(schluessel="wba-test"), ONE),
        (DRAFT.format(entwurf_id=draft["id"]), DRAFT),
    ):
        response = stranger.get(url)
        assert response.status_code == 404
        conforms(response, template, "get")
    refused = stranger.post(SUBMIT.format(entwurf_id=draft["id"]))
    assert refused.status_code == 404
    created = _json(stranger, "POST", DRAFTS, {"formular": "wba-test", "akte": str(akte.pk)})
    assert created.status_code == 404  # type: ignore[attr-defined]


def test_the_catalogue_costs_the_same_for_one_form_or_four(
    tenant: Mandant, plan: Aktenplaneinheit, admin_user: User, team_caseworker: User
) -> None:
    admin = signed_in(admin_user)
    _json(admin, "POST", IMPORT, definition("eins"))
    reader = signed_in(team_caseworker)
    reader.get(LIST)  # the session's first request costs more
    one = query_count(reader, LIST)
    _json(admin, "POST", IMPORT, [definition(f"form-{n}") for n in range(3)])
    assert len(json.loads(reader.get(LIST).content)) == 4
    assert query_count(reader, LIST) == one
