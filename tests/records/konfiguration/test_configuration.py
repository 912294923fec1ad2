"""Vorgangstypen and Fristregeln are configurable by the Mandant's administration
(issue 5, item 3: "keep such rules configurable"): listed, created, changed, audited;
a changed rule computes new Fristen, the old ones keep their date."""

from __future__ import annotations

from datetime import date

from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records import defaults, services
from koffer.records.models import Akte, FristRegel, VorgangTyp
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in


def _admin(tenant: Mandant) -> Client:
    return signed_in(factories.user(tenant, role="mandant_admin"))


def test_admin_lists_creates_and_changes_vorgangstypen(tenant: Mandant) -> None:
    defaults.install(actor=None, tenant=tenant)
    admin = _admin(tenant)
    page = admin.get(reverse("records:konfiguration"))
    assert page.status_code == 200 and "Widerspruch" in page.content.decode()
    created = admin.post(
        reverse("records:vorgang_typ_create"),
        {"module": "sgb2", "code": "eilantrag", "label": "Eilantrag (§ 86b SGG)"},
    )
    assert created.status_code == 302
    typ = VorgangTyp.objects.for_tenant(tenant).get(code="eilantrag")
    taken = admin.post(
        reverse("records:vorgang_typ_create"),
        {"module": "sgb2", "code": "eilantrag", "label": "noch einmal"},
    )
    assert taken.status_code == 400 and "gibt es in diesem Fachverfahren" in taken.content.decode()
    bad = admin.post(
        reverse("records:vorgang_typ_create"),
        {"module": "sgb2", "code": "Mit Leerzeichen", "label": "x"},
    )
    assert bad.status_code == 400 and "Kleinbuchstaben" in bad.content.decode()
    changed = admin.post(
        reverse("records:vorgang_typ_change", args=[typ.pk]), {"label": "Eilverfahren"}
    )
    assert changed.status_code == 302
    typ.refresh_from_db()
    assert typ.label == "Eilverfahren" and typ.is_active is False  # unchecked box
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.vorgangtyp.change").get()
    assert event.changes["is_active"] == {"old": True, "new": False}
    assert (
        AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.vorgangtyp.create").count()
        == 1
    )


def test_inactive_typ_is_not_offered_for_new_vorgaenge(
    akte: Akte, tenant: Mandant, team_caseworker: User
) -> None:
    typ = VorgangTyp.objects.for_tenant(tenant).get(module="sgb2", code="klage")
    _admin(tenant).post(reverse("records:vorgang_typ_change", args=[typ.pk]), {"label": "Klage"})
    form = signed_in(team_caseworker).get(reverse("records:vorgang_create", args=[akte.pk]))
    assert "Widerspruch" in form.content.decode() and ">Klage<" not in form.content.decode()


def test_admin_creates_and_changes_a_frist_regel(
    akte: Akte, tenant: Mandant, team_caseworker: User
) -> None:
    admin = _admin(tenant)
    created = admin.post(
        reverse("records:frist_regel_create"),
        {
            "code": "stellungnahme",
            "label": "Frist zur Stellungnahme",
            "notification_days": "4",
            "months": "0",
            "days": "14",
            "shift_to_workday": "on",
        },
    )
    assert created.status_code == 302
    regel = FristRegel.objects.for_tenant(tenant).get(code="stellungnahme")
    assert (regel.notification_days, regel.days, regel.shift_to_workday) == (4, 14, True)
    typ = VorgangTyp.objects.for_tenant(tenant).get(module="sgb2", code="antrag")
    vorgang = services.create_vorgang(actor=team_caseworker, akte=akte, typ=typ, title="A")
    # Friday 2026-11-27 posted: known Tuesday 01.12., + 14 days = Tuesday 15.12.
    before = services.add_frist(
        actor=team_caseworker, vorgang=vorgang, base_date=date(2026, 11, 27), regel=regel
    )
    assert before.due_date == date(2026, 12, 15)
    changed = admin.post(
        reverse("records:frist_regel_change", args=[regel.pk]),
        {"label": "Stellungnahme", "notification_days": "4", "months": "1", "days": "0"},
    )
    assert changed.status_code == 302
    regel.refresh_from_db()
    after = services.add_frist(
        actor=team_caseworker, vorgang=vorgang, base_date=date(2026, 11, 27), regel=regel
    )
    assert after.due_date == date(2027, 1, 1)  # no shift any more: New Year's Day stays
    before.refresh_from_db()
    assert before.due_date == date(2026, 12, 15)
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.fristregel.change").get()
    assert event.changes["months"] == {"old": 0, "new": 1}
    assert event.changes["shift_to_workday"] == {"old": True, "new": False}


def test_frist_regel_needs_a_duration(tenant: Mandant) -> None:
    response = _admin(tenant).post(
        reverse("records:frist_regel_create"),
        {"code": "leer", "label": "Leer", "notification_days": "0", "months": "0", "days": "0"},
    )
    assert response.status_code == 400 and "braucht eine Dauer" in response.content.decode()
    assert not FristRegel.objects.for_tenant(tenant).filter(code="leer").exists()


def test_caseworkers_and_other_mandanten_get_404(
    tenant: Mandant, other_tenant: Mandant, team_caseworker: User
) -> None:
    defaults.install(actor=None, tenant=tenant)
    regel = FristRegel.objects.for_tenant(tenant).first()
    assert regel is not None
    caseworker = signed_in(team_caseworker)
    assert caseworker.get(reverse("records:konfiguration")).status_code in {403, 404}
    foreign_admin = _admin(other_tenant)
    assert (
        foreign_admin.get(reverse("records:frist_regel_change", args=[regel.pk])).status_code == 404
    )
    assert (
        foreign_admin.post(
            reverse("records:frist_regel_change", args=[regel.pk]),
            {"label": "gekapert", "notification_days": "0", "months": "1", "days": "0"},
        ).status_code
        == 404
    )
    regel.refresh_from_db()
    assert regel.label != "gekapert"
