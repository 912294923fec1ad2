"""Test data of the Expertensitzung: a small form with a field of each kind the session
page edits, bank details (masked from the expert) and a field prefilled from the Akte; a
team's field worker, an Akte of theirs with a draft, and an expert of another team (may
not open the Akte)."""

from __future__ import annotations

from typing import Any

import pytest

from koffer.accounts.access import Access
from koffer.field.experte import services
from koffer.field.models import Sitzung
from koffer.forms.ausfuellen import services as ausfuellen
from koffer.forms.katalog import services as katalog
from koffer.records.models import Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.factories import records as record_factories


def _t(de: str) -> dict[str, str]:
    return {"de": de}


def definition() -> dict[str, Any]:
    return {
        "format": 1,
        "schluessel": "wohngeld-test",
        "titel": _t("Wohngeldantrag (Test)"),
        "schritte": [
            {
                "id": "person",
                "titel": _t("Person"),
                "felder": [
                    {
                        "id": "nachname",
                        "typ": "text",
                        "label": _t("Nachname"),
                        "vorbelegung": "person.nachname",
                    },
                    {"id": "miete", "typ": "geld", "label": _t("Monatliche Miete")},
                    {"id": "wohnflaeche", "typ": "zahl", "label": _t("Wohnfläche in m²")},
                ],
            },
            {
                "id": "konto",
                "titel": _t("Konto"),
                "felder": [
                    {"id": "iban", "typ": "iban", "label": _t("IBAN")},
                    {"id": "bemerkung", "typ": "mehrzeilig", "label": _t("Bemerkung")},
                ],
            },
        ],
    }


def feldarbeit(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit
) -> dict[str, Any]:
    """Field worker, Akte, draft and expert, made through the services."""
    admin = factories.user(tenant, role="mandant_admin")
    [ergebnis] = katalog.importieren(
        actor=admin, access=Access.for_user(admin.pk, tenant.pk), tenant=tenant, daten=definition()
    )
    aussendienst = factories.user(
        tenant, role="aussendienst", unit_=team, first_name="Frieda", last_name="Feld"
    )
    # Of another unit: may not open the Akte; the consent lets them see the form.
    experte = factories.user(
        tenant,
        role="sachbearbeitung",
        unit_=factories.unit(tenant, "Wohngeldstelle"),
        first_name="Erik",
        last_name="Experte",
    )
    akte = record_factories.akte(
        caseworker=aussendienst, plan=plan, unit=team, family_name="Muster", given_names="Erna"
    )
    entwurf = ausfuellen.entwurf_beginnen(actor=aussendienst, formular=ergebnis.formular, akte=akte)
    return {
        "admin": admin,
        "formular": ergebnis.formular,
        "aussendienst": aussendienst,
        "experte": experte,
        "akte": akte,
        "entwurf": entwurf,
    }


def sitzung(daten: dict[str, Any], *, beigetreten: bool = True) -> Sitzung:
    row = services.starten(
        actor=daten["aussendienst"],
        entwurf=daten["entwurf"],
        experte=daten["experte"],
        einwilligung_von="Erna Muster",
        einwilligung_art=Sitzung.Einwilligung.MUENDLICH,
        eingewilligt=True,
    )
    if beigetreten:
        row = services.beitreten(actor=daten["experte"], sitzung=row)
    return row


@pytest.fixture
def feld(tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit) -> dict[str, Any]:
    return feldarbeit(tenant, plan, team)
