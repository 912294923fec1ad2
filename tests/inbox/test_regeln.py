"""The pipeline's rules page: the Mandant's administration sets the threshold, the
separator code and the Wiedervorlage, and per kind what filing opens; the pipeline reads
them; nobody else may."""

from __future__ import annotations

import uuid

import pytest

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.inbox.verarbeitung import regeln, schritte
from koffer.inbox.verarbeitung.dokumentart import Art
from koffer.inbox.verarbeitung.merkmale import extract
from koffer.inbox.verarbeitung.zuordnung import Vorschlag
from koffer.records import defaults
from koffer.records.models import VorgangTyp
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.inbox.openapi import conforms

pytestmark = pytest.mark.django_db
URL = "/posteingang/regeln/"


@pytest.fixture
def admin(tenant: Mandant) -> User:
    return factories.user(tenant, role="mandant_admin")


def test_administration_sets_the_rules_and_the_pipeline_reads_them(
    tenant: Mandant, admin: User
) -> None:
    client = signed_in(admin)
    page = client.get(URL).content.decode()
    assert "Automatisch ablegen ab Sicherheit (Prozent)" in page and 'value="90"' in page
    assert (
        "Vorgang „widerspruch“, Frist „Entscheidung über den Widerspruch (§ 88 Abs. 2 SGG)“" in page
    )
    assert "(Standard)" in page

    wrong = client.post(
        URL,
        {
            "teil": "regeln",
            "regeln-auto_threshold": "80",
            "regeln-separator_pattern": "([",
            "regeln-wiedervorlage_days": "2",
        },
    )
    assert wrong.status_code == 400
    assert "kein gültiger regulärer Ausdruck" in wrong.content.decode()
    assert regeln.regeln(tenant.pk) == regeln.Regeln()

    saved = client.post(
        URL,
        {
            "teil": "regeln",
            "regeln-auto_threshold": "80",
            "regeln-separator_pattern": "^TRENN$",
            "regeln-wiedervorlage_days": "2",
        },
    )
    assert saved.status_code == 302
    assert regeln.regeln(tenant.pk) == regeln.Regeln(0.8, "^TRENN$", 2)
    assert AuditEvent.objects.filter(tenant_id=tenant.pk, action="inbox.regeln.change").count() == 1

    # At 80 % a suggestion of 85 % is filed without a person; at the default it waits.
    found = schritte.Einschaetzung(
        None,
        extract(""),
        Art("sonstiges", 0.2, []),
        [Vorschlag(akte_id=uuid.uuid4(), vorgang_id=None, confidence=0.85, reasons=["BG-Nummer"])],
    )
    assert schritte.decide(found, regeln.regeln(tenant.pk), None).akte_id is not None
    assert schritte.decide(found, regeln.Regeln(), None).akte_id is None

    # An objection may open nothing beyond the Wiedervorlage.
    client.post(
        URL,
        {
            "teil": "art",
            "art-kind": "widerspruch",
            "art-vorgang_typ": "",
            "art-frist_label": "",
            "art-frist_months": "0",
            "art-frist_days": "0",
        },
    )
    assert regeln.folge(tenant.pk, "widerspruch") is None
    assert "nur Wiedervorlage" in client.get(URL).content.decode()
    # ... or another Vorgang with its own Frist.
    defaults.install(actor=None, tenant=tenant)
    typ = VorgangTyp.objects.for_tenant(tenant).filter(is_active=True).first()
    assert typ is not None
    client.post(
        URL,
        {
            "teil": "art",
            "art-kind": "gerichtsschreiben",
            "art-vorgang_typ": str(typ.pk),
            "art-frist_label": "Stellungnahme",
            "art-frist_months": "0",
            "art-frist_days": "14",
        },
    )
    assert regeln.folge(tenant.pk, "gerichtsschreiben") == regeln.Folge(
        typ.code, "Stellungnahme", 0, 14
    )
    unnamed = client.post(
        URL,
        {
            "teil": "art",
            "art-kind": "antrag",
            "art-vorgang_typ": str(typ.pk),
            "art-frist_label": "",
            "art-frist_months": "1",
            "art-frist_days": "0",
        },
    )
    assert unnamed.status_code == 400 and "Bitte benennen Sie die Frist" in unnamed.content.decode()


def test_only_the_administration_sets_rules(tenant: Mandant) -> None:
    mail_room = factories.user(tenant, role="poststelle")
    assert signed_in(mail_room).get(URL).status_code == 403
    caseworker = factories.user(tenant, role="sachbearbeitung")
    assert signed_in(caseworker).post(URL, {"teil": "regeln"}).status_code == 403


def test_rules_api_reads_and_sets_what_the_page_does(tenant: Mandant, admin: User) -> None:
    client = signed_in(admin)
    api = "/api/v1/posteingang/regeln"
    read = client.get(api)
    assert read.status_code == 200
    body = conforms(read, api, "get")
    assert body["auto_threshold"] == 0.9 and body["separator_pattern"] == "^KOFFER-TRENNBLATT$"
    objection = next(a for a in body["artregeln"] if a["kind"] == "widerspruch")
    assert objection["standard"] and objection["vorgang_typ_code"] == "widerspruch"
    assert objection["frist_months"] == 3

    defaults.install(actor=None, tenant=tenant)
    typ = VorgangTyp.objects.for_tenant(tenant).filter(is_active=True).first()
    assert typ is not None
    wanted = {
        "auto_threshold": 0.85,
        "separator_pattern": " ^TRENN$ ",
        "wiedervorlage_days": 1,
        "artregeln": [
            {"kind": "widerspruch"},
            {
                "kind": "gerichtsschreiben",
                "vorgang_typ": str(typ.pk),
                "frist_label": "Stellungnahme",
                "frist_days": 14,
            },
        ],
    }
    saved = client.put(api, wanted, content_type="application/json")
    assert saved.status_code == 200, saved.content
    conforms(saved, api, "put")
    assert regeln.regeln(tenant.pk) == regeln.Regeln(0.85, "^TRENN$", 1)
    assert regeln.folge(tenant.pk, "widerspruch") is None
    assert regeln.folge(tenant.pk, "gerichtsschreiben") == regeln.Folge(
        typ.code, "Stellungnahme", 0, 14
    )
    court = next(a for a in saved.json()["artregeln"] if a["kind"] == "gerichtsschreiben")
    assert court["vorgang_typ"] == str(typ.pk) and not court["standard"]
    # The page shows the same, in proper German.
    assert "Frist „Stellungnahme“: 0 Monate, 14 Tage" in client.get(URL).content.decode()

    # The same checks as the page: nothing is written when one rule is wrong.
    wrong = client.put(
        api,
        {
            **wanted,
            "separator_pattern": "([",
            "artregeln": [{"kind": "antrag", "frist_months": 1}, {"kind": "unbekannt"}],
        },
        content_type="application/json",
    )
    assert wrong.status_code == 422
    detail = conforms(wrong, api, "put")["detail"]
    assert "kein gültiger regulärer Ausdruck" in detail
    assert "Bitte benennen Sie die Frist" in detail and "„unbekannt“ gibt es nicht" in detail
    assert regeln.regeln(tenant.pk) == regeln.Regeln(0.85, "^TRENN$", 1)
    low = client.put(api, {**wanted, "auto_threshold": 0.3}, content_type="application/json")
    assert low.status_code == 422 and "zwischen 50 und 100 Prozent" in low.json()["detail"]

    mail_room = factories.user(tenant, role="poststelle")
    assert signed_in(mail_room).get(api).status_code == 403
    assert signed_in(mail_room).put(api, wanted, content_type="application/json").status_code == 403
