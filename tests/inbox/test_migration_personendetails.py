"""The old system's export may carry a person's contact and bank details (issue 17): the
optional columns are checked like a hand entry (IBAN check digit, e-mail, telephone, BIC),
a wrong value rejects its row with column and German reason, and an export without the
columns compares exactly as before they existed."""

from __future__ import annotations

import pytest
from benchmarks.inbox_altsystem import HEAD_PERSONEN, csv_bytes

from koffer.accounts.models import User
from koffer.inbox.migration import selectors, services
from koffer.inbox.models import Importlauf
from koffer.jobs import runner
from koffer.records.models import Person
from koffer.tenancy.models import Mandant
from tests import factories

HEAD = HEAD_PERSONEN + ";geburtsort;staatsangehoerigkeit;telefon;email;iban;bic;kontoinhaber"
ZEILE = "P1;Yilmaz;Deniz;;03.11.1979;;Am Markt 3;12345;Musterstadt"


@pytest.fixture
def admin(tenant: Mandant) -> User:
    return factories.user(tenant, role="mandant_admin")


def _import(tenant: Mandant, admin: User, data: bytes) -> Importlauf:
    lauf = services.check_import(
        actor=admin,
        access=None,
        tenant=tenant,
        uploads=[services.Upload("personen.csv", data)],
        default_unit=None,
    )
    lauf = services.start_import(actor=admin, access=None, lauf=lauf)
    assert lauf.job_id is not None
    assert runner.execute(lauf.job_id) == "done"
    lauf.refresh_from_db()
    return lauf


def test_details_are_imported_checked_and_a_wrong_one_rejects_its_row(
    tenant: Mandant, admin: User
) -> None:
    rows = [
        ZEILE + ";Izmir;türkisch;0123 45678;deniz@example.org;DE89 3704 0044 0532 0130 00;"
        "cobadeffxxx;",
        "P2;Falsch;Iban;;;;;;;;;;;DE88370400440532013000;;",
        "P3;Falsch;Mail;;;;;;;;;;nicht-mail;;;",
    ]
    lauf = _import(tenant, admin, csv_bytes(HEAD, rows))
    assert (lauf.created, lauf.rejected) == (1, 2)
    person = Person.objects.for_tenant(tenant).get(family_name="Yilmaz")
    assert (person.geburtsort, person.staatsangehoerigkeit, person.telefon, person.email) == (
        "Izmir",
        "türkisch",
        "0123 45678",
        "deniz@example.org",
    )
    assert (person.iban, person.bic, person.kontoinhaber) == (
        "DE89370400440532013000",
        "COBADEFFXXX",
        "",
    )
    refused = {(a.zeile, a.spalte): a.grund for a in selectors.ablehnungen(lauf, probelauf=False)}
    assert "Prüfziffer der IBAN stimmt nicht" in refused[(3, "iban")]
    assert "keine E-Mail-Adresse" in refused[(4, "email")]


def test_an_export_without_the_columns_leaves_details_entered_in_koffer(
    tenant: Mandant, admin: User
) -> None:
    _import(tenant, admin, csv_bytes(HEAD_PERSONEN, [ZEILE]))
    person = Person.objects.for_tenant(tenant).get(family_name="Yilmaz")
    person.iban = "DE89370400440532013000"
    person.save(update_fields=["iban"])
    again = _import(tenant, admin, csv_bytes(HEAD_PERSONEN, [ZEILE]))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    person.refresh_from_db()
    assert person.iban == "DE89370400440532013000"
