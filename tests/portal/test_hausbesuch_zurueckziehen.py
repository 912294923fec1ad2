"""A home-visit request withdrawn by the citizen who made it (issue 19, item 5): on the
page after a confirm step and by API, while no planner has decided. It leaves the
planners' open requests, stays visible to the citizen as „zurückgezogen“ and is audited;
a planned request can no longer be withdrawn (German message, 409), and another citizen's
request is a 404."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.field.models import Besuchswunsch
from koffer.field.wuensche import services as wuensche
from koffer.portal.models import Buergerkonto
from koffer.privacy.labels import action_label
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.factories import portal as portal_factories
from tests.inbox.openapi import conforms
from tests.portal.test_hausbesuch import (
    PLANUNG,
    _anfragen,
    _ohne_zweiten_faktor,
    _person,
    _url,
    akte,
    angeboten,
    aussendienst,
    tochter,
)

__all__ = ["_ohne_zweiten_faktor", "akte", "angeboten", "aussendienst", "tochter"]

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

API = "/api/v1/portal/hausbesuche/{wunsch_id}/zurueckziehen"


def _anfrage_fuer(client: Client, tenant: Mandant, akte: Akte) -> Besuchswunsch:
    sent = _anfragen(
        client,
        tenant,
        str(_person(akte).pk),
        street="Lindenweg 3",
        postal_code="12345",
        city="Prüfstadt",
    )
    assert sent.status_code == 302  # type: ignore[attr-defined]
    return Besuchswunsch.objects.for_tenant(tenant).latest("created_at")


def _api(client: Client, wunsch_id: object) -> object:
    return client.post(API.format(wunsch_id=wunsch_id))


def test_the_citizen_withdraws_on_the_page_after_a_confirm_step(
    tenant: Mandant, angeboten: None, tochter: Buergerkonto, akte: Akte, team_caseworker: User
) -> None:
    citizen = portal_factories.buerger_client(tochter)
    wunsch = _anfrage_fuer(citizen, tenant, akte)
    zurueck = _url(tenant, f"{wunsch.pk}/zurueckziehen/")
    # Offered on the start page and beside the requests on the home-visit page.
    assert zurueck in citizen.get(f"/portal/{tenant.slug}/").content.decode()
    assert zurueck in citizen.get(_url(tenant)).content.decode()
    staff = signed_in(team_caseworker)
    assert f"{PLANUNG}{wunsch.pk}/" in staff.get(PLANUNG).content.decode()

    # The confirm step changes nothing.
    frage = citizen.get(zurueck)
    assert frage.status_code == 200
    assert "Ja, Anfrage zurückziehen" in frage.content.decode()
    wunsch.refresh_from_db()
    assert wunsch.status == Besuchswunsch.Status.OFFEN

    ja = citizen.post(zurueck, follow=True)
    assert ja.status_code == 200
    seite = ja.content.decode()
    assert "Ihre Anfrage ist zurückgezogen" in seite and "<strong>zurückgezogen</strong>" in seite
    assert zurueck not in seite  # nothing left to withdraw
    wunsch.refresh_from_db()
    assert wunsch.status == Besuchswunsch.Status.ZURUECKGEZOGEN and wunsch.zurueckgezogen_am

    # It left the planners' open requests; opened anyway, it cannot be planned.
    assert f"{PLANUNG}{wunsch.pk}/" not in staff.get(PLANUNG).content.decode()
    einzeln = staff.get(f"{PLANUNG}{wunsch.pk}/").content.decode()
    assert "zurückgezogen" in einzeln

    event = AuditEvent.objects.get(tenant_id=tenant.pk, action="field.besuchswunsch.zurueckgezogen")
    assert (event.actor_id, event.subject_id) == (tochter.pk, str(_person(akte).pk))
    assert action_label(event.action) != event.action  # a German label
    # The confirm page is a read of the request (name, address): audited.
    assert AuditEvent.objects.filter(
        action="read", actor_id=tochter.pk, reason="Hausbesuch: Anfrage zurückziehen"
    ).exists()


def test_a_planned_request_can_no_longer_be_withdrawn(
    tenant: Mandant,
    angeboten: None,
    tochter: Buergerkonto,
    akte: Akte,
    team_caseworker: User,
    aussendienst: User,
) -> None:
    citizen = portal_factories.buerger_client(tochter)
    wunsch = _anfrage_fuer(citizen, tenant, akte)
    wuensche.planen(
        actor=team_caseworker,
        wunsch=wunsch,
        akte=akte,
        aussendienst=aussendienst,
        datum=date(2026, 12, 10),
        anlass="Antrag",
    )
    zurueck = _url(tenant, f"{wunsch.pk}/zurueckziehen/")
    assert "Anfrage zurückziehen" not in citizen.get(f"/portal/{tenant.slug}/").content.decode()
    nein = citizen.post(zurueck)
    assert nein.status_code == 409
    assert "schon geplant" in nein.content.decode() and "rufen Sie" in nein.content.decode()
    api = _api(citizen, wunsch.pk)
    assert api.status_code == 409  # type: ignore[attr-defined]
    problem = conforms(api, API, "post")
    assert problem["code"] == "wunsch_geplant" and "schon geplant" in problem["detail"]
    wunsch.refresh_from_db()
    assert wunsch.status == Besuchswunsch.Status.GEPLANT
    assert not AuditEvent.objects.filter(action="field.besuchswunsch.zurueckgezogen").exists()


def test_withdraw_by_api_once_and_another_citizen_gets_404(
    tenant: Mandant, angeboten: None, tochter: Buergerkonto, akte: Akte
) -> None:
    citizen = portal_factories.buerger_client(tochter)
    wunsch = _anfrage_fuer(citizen, tenant, akte)
    [vorher] = conforms(
        citizen.get("/api/v1/portal/hausbesuche"), "/api/v1/portal/hausbesuche", "get"
    )["anfragen"]
    assert vorher["zurueckziehbar"] is True

    fremd = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    anderer = _api(fremd, wunsch.pk)
    assert anderer.status_code == 404  # type: ignore[attr-defined]
    assert conforms(anderer, API, "post")["code"] == "not_found"
    assert fremd.post(_url(tenant, f"{wunsch.pk}/zurueckziehen/")).status_code == 404

    antwort = _api(citizen, wunsch.pk)
    assert antwort.status_code == 200  # type: ignore[attr-defined]
    body = conforms(antwort, API, "post")
    assert (body["id"], body["stand"], body["zurueckziehbar"]) == (
        str(wunsch.pk),
        "zurückgezogen",
        False,
    )
    # Again: the same answer, withdrawn once.
    assert conforms(_api(citizen, wunsch.pk), API, "post") == body
    assert AuditEvent.objects.filter(action="field.besuchswunsch.zurueckgezogen").count() == 1
    [nachher] = conforms(
        citizen.get("/api/v1/portal/hausbesuche"), "/api/v1/portal/hausbesuche", "get"
    )["anfragen"]
    assert nachher["stand"] == "zurückgezogen"
