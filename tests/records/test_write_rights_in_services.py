"""The other writes that decide who sees something check the right in the service, so a
management command cannot do what the web form and the API refuse (issue 12, item 2):
opening an Akte for a unit, moving a document, giving a court an Akteneinsicht."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from koffer.accounts.models import User
from koffer.records import services
from koffer.records.auszug import einsicht
from koffer.records.auszug import services as extract
from koffer.records.dokumente import services as documents
from koffer.records.errors import RecordsError, RecordsForbidden
from koffer.records.models import Akte, Aktenauszug, Aktenplaneinheit, Vorgang
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import stored, text_pdf


@pytest.fixture
def stranger(tenant: Mandant, other_team: Organisationseinheit) -> User:
    """Edits Akten, but in the other team: sees none of team 1's."""
    return factories.user(tenant, role="sachbearbeitung", unit_=other_team)


def test_opening_an_akte_for_a_foreign_unit_is_refused_by_the_service(
    tenant: Mandant, plan: Aktenplaneinheit, other_team: Organisationseinheit, team_caseworker: User
) -> None:
    with pytest.raises(RecordsForbidden) as exc:
        services.open_akte_for_person(
            actor=team_caseworker,
            tenant=tenant,
            aktenplaneinheit=plan,
            unit=other_team,
            title="Untergeschoben",
            family_name="Muster",
        )
    assert exc.value.code == "forbidden" and "keine Akten anlegen" in exc.value.message
    assert not Akte.objects.for_tenant(tenant).filter(title="Untergeschoben").exists()


def test_api_refuses_opening_an_akte_for_a_foreign_unit(
    tenant: Mandant, plan: Aktenplaneinheit, other_team: Organisationseinheit, team_caseworker: User
) -> None:
    response = signed_in(team_caseworker).post(
        "/api/v1/akten",
        data=json.dumps(
            {"aktenplaneinheit_id": str(plan.pk), "unit_id": str(other_team.pk), "title": "X"}
        ),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["detail"] == (
        "Für diese Organisationseinheit dürfen Sie keine Akten anlegen."
    )


def test_moving_a_document_needs_the_right_to_edit_the_akte(
    akte: Akte, team_caseworker: User, stranger: User, vorgang: Vorgang
) -> None:
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(1), vorgang=vorgang)
    with pytest.raises(RecordsForbidden):
        documents.move_dokument(actor=stranger, dokument=doc, vorgang=None, reason="weg damit")
    doc.refresh_from_db()
    assert doc.vorgang_id == vorgang.pk


def test_a_document_never_moves_into_another_akte(
    akte: Akte,
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    vorgang: Vorgang,
) -> None:
    other = services.create_akte(
        actor=team_caseworker, tenant=tenant, aktenplaneinheit=plan, unit=team, title="Andere"
    )
    typ = vorgang.typ
    foreign = services.create_vorgang(actor=team_caseworker, akte=other, typ=typ, title="fremd")
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(1), vorgang=vorgang)
    client = signed_in(team_caseworker)
    response = client.post(
        f"/api/v1/dokumente/{doc.pk}/verschieben",
        data=json.dumps({"vorgang_id": str(foreign.pk), "reason": "falsch abgelegt"}),
        content_type="application/json",
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    with pytest.raises(RecordsError) as exc:
        documents.move_dokument(
            actor=team_caseworker, dokument=doc, vorgang=foreign, reason="falsch abgelegt"
        )
    assert exc.value.code == "vorgang_foreign"


@pytest.fixture
def auszug(
    akte: Akte, team_caseworker: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Aktenauszug:
    stored(
        akte,
        team_caseworker,
        "antrag.pdf",
        text_pdf(1, marker="Antrag"),
        meta=documents.DocumentMeta(title="Antrag", received_on=date(2026, 1, 5)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        ordered = extract.create_auszug(
            actor=team_caseworker,
            akte=akte,
            auswahl=extract.Auswahl(ganze_akte=True),
            purpose="Für das Sozialgericht",
        )
    ordered.refresh_from_db()
    assert ordered.status == Aktenauszug.Status.DONE
    return ordered


def test_an_akteneinsicht_needs_the_right_to_edit_the_akte(
    auszug: Aktenauszug, stranger: User, team_caseworker: User
) -> None:
    for actor in (stranger, None):  # the system names no person who answers for the link
        with pytest.raises(RecordsForbidden):
            einsicht.create_einsicht(actor=actor, auszug=auszug, recipient="Sozialgericht")
    link, _, _ = einsicht.create_einsicht(
        actor=team_caseworker, auszug=auszug, recipient="Sozialgericht"
    )
    assert link.created_by == team_caseworker
    for actor in (stranger, None):
        with pytest.raises(RecordsForbidden):
            einsicht.revoke_einsicht(actor=actor, link=link)
    link.refresh_from_db()
    assert link.revoked_at is None
    assert einsicht.revoke_einsicht(actor=team_caseworker, link=link).revoked_at is not None
