"""An Akte without Bedarfsgemeinschaft gets one: a new BG with the next BG-Nummer or an
existing BG of the same Mandant, on the BG page and through the API."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.audit.reasons import ReasonError
from koffer.records import access, defaults, selectors, services
from koffer.records.errors import RecordsError
from koffer.records.models import Akte, Aktenplaneinheit, BgMitglied
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in


def _akte_ohne_bg(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    given_names: str = "Olga",
    caseworker: User | None = None,
) -> Akte:
    return services.open_akte_for_person(
        actor=None,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=team,
        title=f"Akte {given_names}",
        family_name="Ohne",
        given_names=given_names,
        caseworker=caseworker,
    )


@pytest.fixture
def ohne_bg(tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit) -> Akte:
    return _akte_ohne_bg(tenant, plan, team)


def _members(akte: Akte) -> list[tuple[str, str]]:
    return [
        (m.person.given_names, m.rolle) for m in selectors.bg_mitglieder(akte.bg_id, akte.tenant_id)
    ]


def _attach(client, akte: Akte, body: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/akten/{akte.pk}/bedarfsgemeinschaft",
        data=json.dumps(body),
        content_type="application/json",
    )


# --- service ---------------------------------------------------------------------------------


def test_service_creates_a_new_bg_with_the_next_number(
    akte: Akte, ohne_bg: Akte, tenant: Mandant, team_caseworker: User
) -> None:
    assert akte.bg is not None and akte.bg.bg_nummer == "BG0000001"
    bg = services.attach_bedarfsgemeinschaft(
        actor=team_caseworker, akte=ohne_bg, bg_nummer=None, reason="Antrag auf Bürgergeld"
    )
    assert bg.bg_nummer == "BG0000002"
    ohne_bg.refresh_from_db()
    assert ohne_bg.bg_id == bg.pk
    assert _members(ohne_bg) == [("Olga", BgMitglied.Rolle.SONSTIGE)]
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.bg.attach").get()
    assert event.object_id == str(ohne_bg.pk) and event.reason == "Antrag auf Bürgergeld"
    assert event.changes["bg_nummer"] == "BG0000002" and event.changes["new_bg"] is True


def test_service_joins_an_existing_bg_with_a_given_role(
    akte: Akte, ohne_bg: Akte, team_caseworker: User
) -> None:
    assert akte.bg is not None
    bg = services.attach_bedarfsgemeinschaft(
        actor=team_caseworker,
        akte=ohne_bg,
        bg_nummer=f" {akte.bg.bg_nummer} ",
        reason="zusammengezogen",
        rolle=BgMitglied.Rolle.PARTNER,
    )
    assert bg.pk == akte.bg_id
    assert _members(akte) == [("Anna", "antragsteller"), ("Olga", "partner")]


def test_service_keeps_one_antragsteller_and_refuses_a_second_bg(
    akte: Akte, ohne_bg: Akte, team_caseworker: User, tenant: Mandant
) -> None:
    assert akte.bg is not None
    with pytest.raises(RecordsError) as refused:
        services.attach_bedarfsgemeinschaft(
            actor=team_caseworker,
            akte=ohne_bg,
            bg_nummer=akte.bg.bg_nummer,
            reason="x",
            rolle=BgMitglied.Rolle.ANTRAGSTELLER,
        )
    assert refused.value.code == "bg_antragsteller_exists"
    with pytest.raises(RecordsError) as again:
        services.attach_bedarfsgemeinschaft(
            actor=team_caseworker, akte=akte, bg_nummer=None, reason="noch eine"
        )
    assert again.value.code == "akte_has_bg" and "schon" in again.value.message
    with pytest.raises(ReasonError) as no_reason:
        services.attach_bedarfsgemeinschaft(
            actor=team_caseworker, akte=ohne_bg, bg_nummer=None, reason=" "
        )
    assert no_reason.value.code == "reason_required"
    ohne_bg.refresh_from_db()
    assert ohne_bg.bg_id is None
    assert not AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.bg.attach")


def test_service_refuses_unknown_and_foreign_numbers(
    ohne_bg: Akte, other_tenant: Mandant, team_caseworker: User
) -> None:
    foreign = services.create_bedarfsgemeinschaft(
        actor=None,
        tenant=other_tenant,
        members=[
            (services.create_person(actor=None, tenant=other_tenant, family_name="F"), "kind")
        ],
        bg_nummer="BG-FREMD",
    )
    for nummer in ("BG9999999", foreign.bg_nummer):
        with pytest.raises(RecordsError) as refused:
            services.attach_bedarfsgemeinschaft(
                actor=team_caseworker, akte=ohne_bg, bg_nummer=nummer, reason="x"
            )
        assert refused.value.code == "bg_unknown" and nummer in refused.value.message
    ohne_bg.refresh_from_db()
    assert ohne_bg.bg_id is None


def test_service_needs_a_person_for_a_new_bg(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit
) -> None:
    leer = services.create_akte(
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=team, title="ohne Person"
    )
    with pytest.raises(RecordsError) as refused:
        services.attach_bedarfsgemeinschaft(actor=None, akte=leer, bg_nummer="", reason="x")
    assert refused.value.code == "bg_without_person"


# --- API -------------------------------------------------------------------------------------


def test_api_creates_joins_and_refuses(
    akte: Akte,
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
) -> None:
    client = signed_in(team_caseworker)
    first = _akte_ohne_bg(tenant, plan, team, "Erna")
    created = _attach(client, first, {"reason": "Antrag"})
    assert created.status_code == 201, created.content
    assert created.json() == {
        "bg_nummer": "BG0000002",
        "mitglieder": [
            {
                "id": created.json()["mitglieder"][0]["id"],
                "person_id": created.json()["mitglieder"][0]["person_id"],
                "family_name": "Ohne",
                "given_names": "Erna",
                "birth_date": None,
                "kundennummer": "",
                "rolle": "sonstige",
            }
        ],
    }
    second = _akte_ohne_bg(tenant, plan, team, "Fritz")
    joined = _attach(client, second, {"bg_nummer": "BG0000002", "rolle": "kind", "reason": "Sohn"})
    assert joined.status_code == 201, joined.content
    assert [(m["given_names"], m["rolle"]) for m in joined.json()["mitglieder"]] == [
        ("Fritz", "kind"),
        ("Erna", "sonstige"),
    ]
    again = _attach(client, second, {"reason": "nochmal"})
    assert again.status_code == 422
    assert again["Content-Type"].startswith("application/problem+json")
    assert again.json()["code"] == "akte_has_bg"
    unknown = _attach(client, _akte_ohne_bg(tenant, plan, team), {"bg_nummer": "X", "reason": "x"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "bg_unknown"
    assert "BG-Nummer X" in unknown.json()["detail"]
    assert _attach(client, first, {"bg_nummer": ""}).status_code == 422  # reason missing
    events = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.bg.attach")
    assert sorted(e.object_id for e in events) == sorted([str(first.pk), str(second.pk)])


def test_api_foreign_number_and_foreign_akte_are_not_found(
    ohne_bg: Akte, other_tenant: Mandant, team_caseworker: User
) -> None:
    defaults.install(actor=None, tenant=other_tenant)
    fremd_plan = services.create_aktenplaneinheit(
        actor=None,
        tenant=other_tenant,
        parent=None,
        kennzeichen="50",
        title="Soziale Sicherung",
        module="sgb2",
    )
    fremd_team = factories.unit(other_tenant, "Team Anderswo")
    fremd = services.open_akte_for_person(
        actor=None,
        tenant=other_tenant,
        aktenplaneinheit=fremd_plan,
        unit=fremd_team,
        title="fremd",
        family_name="Fremd",
        bg_nummer="neu",
    )
    assert fremd.bg is not None
    client = signed_in(team_caseworker)
    number = _attach(client, ohne_bg, {"bg_nummer": fremd.bg.bg_nummer, "reason": "x"})
    assert number.status_code == 404 and number.json()["code"] == "bg_unknown"
    fremd_ohne = services.create_akte(
        actor=None,
        tenant=other_tenant,
        aktenplaneinheit=fremd_plan,
        unit=fremd_team,
        title="fremd ohne BG",
    )
    akte_404 = _attach(client, fremd_ohne, {"reason": "x"})
    assert akte_404.status_code == 404 and akte_404.json()["code"] == "not_found"
    ohne_bg.refresh_from_db()
    fremd_ohne.refresh_from_db()
    assert ohne_bg.bg_id is None and fremd_ohne.bg_id is None


def test_api_needs_edit_rights(
    ohne_bg: Akte, tenant: Mandant, other_team: Organisationseinheit
) -> None:
    stranger = signed_in(factories.user(tenant, role="sachbearbeitung", unit_=other_team))
    assert _attach(stranger, ohne_bg, {"reason": "x"}).status_code == 404
    ohne_bg.refresh_from_db()
    assert ohne_bg.bg_id is None


# --- page ------------------------------------------------------------------------------------


def test_page_offers_the_form_and_creates_a_bg(
    akte: Akte, ohne_bg: Akte, team_caseworker: User, tenant: Mandant
) -> None:
    client = signed_in(team_caseworker)
    url = reverse("records:bedarfsgemeinschaft", args=[ohne_bg.pk])
    page = client.get(url).content.decode()
    assert "Bedarfsgemeinschaft anlegen oder zuordnen" in page
    assert 'for="id_bg_nummer"' in page and 'name="reason"' in page
    detail = client.get(reverse("records:akte_detail", args=[ohne_bg.pk])).content.decode()
    assert url in detail
    missing = client.post(url, {"action": "attach", "bg_nummer": ""})
    assert missing.status_code == 400
    created = client.post(url, {"action": "attach", "rolle": "sonstige", "reason": "Antrag"})
    assert created.status_code == 302
    ohne_bg.refresh_from_db()
    assert ohne_bg.bg is not None and ohne_bg.bg.bg_nummer == "BG0000002"
    shown = client.get(url).content.decode()
    assert "Mitglieder der Bedarfsgemeinschaft BG0000002" in shown
    assert "Bedarfsgemeinschaft anlegen oder zuordnen" not in shown
    twice = client.post(url, {"action": "attach", "rolle": "sonstige", "reason": "nochmal"})
    assert (
        twice.status_code == 400 and "schon zu einer Bedarfsgemeinschaft" in twice.content.decode()
    )
    assert AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.bg.attach").count() == 1


def test_page_joins_existing_and_explains_unknown_numbers(
    akte: Akte, ohne_bg: Akte, team_caseworker: User
) -> None:
    assert akte.bg is not None
    client = signed_in(team_caseworker)
    url = reverse("records:bedarfsgemeinschaft", args=[ohne_bg.pk])
    unknown = client.post(
        url, {"action": "attach", "bg_nummer": "BG4711", "rolle": "sonstige", "reason": "x"}
    )
    assert unknown.status_code == 400
    assert "BG-Nummer BG4711 gibt es nicht" in unknown.content.decode()
    joined = client.post(
        url,
        {"action": "attach", "bg_nummer": akte.bg.bg_nummer, "rolle": "kind", "reason": "Tochter"},
    )
    assert joined.status_code == 302
    assert _members(akte) == [("Anna", "antragsteller"), ("Olga", "kind")]


def test_page_hides_the_form_without_edit_rights(
    ohne_bg: Akte,
    tenant: Mandant,
    team_caseworker: User,
    other_team: Organisationseinheit,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = reverse("records:bedarfsgemeinschaft", args=[ohne_bg.pk])
    stranger = signed_in(factories.user(tenant, role="sachbearbeitung", unit_=other_team))
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, {"action": "attach", "reason": "x"}).status_code == 404
    client = signed_in(team_caseworker)
    monkeypatch.setattr(access, "can_edit", lambda *args: False)  # a reader, not an editor
    page = client.get(url)
    assert page.status_code == 200
    assert "Bedarfsgemeinschaft anlegen oder zuordnen" not in page.content.decode()
    assert client.post(url, {"action": "attach", "reason": "x"}).status_code == 404
    ohne_bg.refresh_from_db()
    assert ohne_bg.bg_id is None
