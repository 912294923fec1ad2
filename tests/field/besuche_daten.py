"""Test data of the Hausbesuche: a team with a caseworker and a field worker, Akten whose
persons live at known addresses, forms of the catalogue (one opening an „antrag“)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.utils import timezone

from koffer.accounts.models import User
from koffer.field.besuche import services
from koffer.field.models import Ausleihe, Geraet, Hausbesuch
from koffer.forms.katalog import services as katalog
from koffer.records import selectors as records_selectors
from koffer.records import services as records
from koffer.records.models import Akte, Aktenplaneinheit, Person
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests.factories import records as record_factories
from tests.forms.formkern import definition


def heute() -> date:
    return timezone.localdate()


def akte_mit_person(
    *,
    caseworker: User,
    plan: Aktenplaneinheit,
    unit: Organisationseinheit,
    family_name: str,
    street: str,
    postal_code: str,
    telefon: str = "",
) -> Akte:
    akte = record_factories.akte(
        caseworker=caseworker, plan=plan, unit=unit, family_name=family_name, given_names="Erna"
    )
    person = records_selectors.first_subject(akte)
    assert person is not None
    fields: dict[str, Any] = {"street": street, "postal_code": postal_code, "city": "Prüfstadt"}
    if telefon and _has_telefon():
        fields["telefon"] = telefon
    records.change_person(actor=caseworker, person=person, **fields)
    return akte


def _has_telefon() -> bool:
    """``Person.telefon`` comes with another feature; until then the phone stays empty."""
    return any(f.name == "telefon" for f in Person._meta.get_fields())


HAS_TELEFON = _has_telefon()


def katalog_mit_formularen(tenant: Mandant, admin: User) -> None:
    """Two forms: „wba-test“ opens a Vorgang of type „antrag“, „notiz“ none."""
    notiz = definition("notiz")
    notiz["titel"] = {"de": "Gesprächsnotiz"}
    del notiz["vorgang"]
    katalog.importieren(actor=admin, access=None, tenant=tenant, daten=[definition(), notiz])


def besuch(
    *,
    actor: User,
    akte: Akte,
    aussendienst: User,
    datum: date | None = None,
    uhrzeit: time | None = None,
    anlass: str = "Antrag gemeinsam ausfüllen",
    formulare: tuple[str, ...] = (),
    hinweise: str = "",
) -> Hausbesuch:
    return services.planen(
        actor=actor,
        akte=akte,
        aussendienst=aussendienst,
        datum=datum or heute(),
        uhrzeit=uhrzeit,
        anlass=anlass,
        formulare=formulare,
        hinweise=hinweise,
    )


def im_koffer(akte: Akte, aussendienst: User) -> Ausleihe:
    """The Akte checked out to the field worker's Koffer (the registry's services come with
    another feature: the rows as they will write them)."""
    now = timezone.now()
    geraet = Geraet.objects.create(
        tenant_id=akte.tenant_id, user=aussendienst, name="Koffer 1", created_at=now
    )
    return Ausleihe.objects.create(
        tenant_id=akte.tenant_id,
        geraet=geraet,
        akte=akte,
        user=aussendienst,
        seit=now - timedelta(hours=1),
        bis=now + timedelta(days=7),
    )
