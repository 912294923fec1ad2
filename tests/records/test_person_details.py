"""A person's place of birth, nationality, telephone, e-mail and bank account (issue 17,
prefill of the Formulare): entered with a new person and changed later on the page and
through the API, checked with German messages (IBAN check digit, e-mail, telephone, BIC),
stored normalised, every change audited, shown and read (audited) where the person is."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records import services
from koffer.records.errors import RecordsError
from koffer.records.models import Akte, Aktenplaneinheit, Person
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in

IBAN = "DE89370400440532013000"  # the textbook example, valid check digits
DETAILS = {
    "geburtsort": "Izmir",
    "staatsangehoerigkeit": "türkisch",
    "telefon": "+49 1234 567-89",
    "email": "anna.beispiel@example.org",
    "iban": "de89 3704 0044 0532 0130 00",
    "bic": "cobadeffxxx",
    "kontoinhaber": "Erika Beispiel",
}
STORED = {**DETAILS, "iban": IBAN, "bic": "COBADEFFXXX"}


def _person(akte: Akte) -> Person:
    return akte.subjects.get()


def _last(tenant: Mandant, action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action=action).order_by("pk").last()
    assert event is not None
    return event


@pytest.mark.parametrize(
    ("field", "value", "code", "says"),
    [
        ("iban", "DE88370400440532013000", "iban_invalid", "Prüfziffer der IBAN stimmt nicht"),
        ("iban", "DE8937040044053201300", "iban_invalid", "hat 22 Stellen"),
        ("email", "anna.beispiel@example", "email_invalid", "keine E-Mail-Adresse"),
        ("email", "anna beispiel@example.org", "email_invalid", "keine E-Mail-Adresse"),
        ("telefon", "0123 abc 456", "telefon_invalid", "keine Telefonnummer"),
        ("telefon", "-- -- --", "telefon_invalid", "keine Telefonnummer"),
        ("bic", "COBADEF", "bic_invalid", "keine BIC"),
        ("geburtsort", "x" * 121, "geburtsort_too_long", "höchstens 120 Zeichen"),
    ],
)
def test_a_wrong_detail_is_refused_in_german_and_nothing_is_written(
    akte: Akte, team_caseworker: User, field: str, value: str, code: str, says: str
) -> None:
    person = _person(akte)
    with pytest.raises(RecordsError) as refused:
        services.change_person(actor=team_caseworker, person=person, **{field: value})
    assert refused.value.code == code and says in refused.value.message
    with pytest.raises(RecordsError) as refused_new:
        services.create_person(
            actor=team_caseworker, tenant=akte.tenant, family_name="Neu", **{field: value}
        )
    assert refused_new.value.code == code
    person.refresh_from_db()
    assert getattr(person, field) == ""
    assert not Person.objects.for_tenant(akte.tenant).filter(family_name="Neu").exists()


def test_details_are_stored_normalised_and_each_change_audited(
    akte: Akte, team_caseworker: User
) -> None:
    person = services.change_person(actor=team_caseworker, person=_person(akte), **DETAILS)
    person.refresh_from_db()
    assert {k: getattr(person, k) for k in STORED} == STORED
    event = _last(akte.tenant, "records.person.change")
    assert event.subject_id == str(person.pk)
    assert event.changes["iban"] == ["", IBAN] and event.changes["bic"] == ["", "COBADEFFXXX"]
    # Blank clears; the same value again writes nothing.
    services.change_person(actor=team_caseworker, person=person, kontoinhaber="", iban=IBAN)
    person.refresh_from_db()
    assert person.kontoinhaber == "" and person.iban == IBAN
    event = _last(akte.tenant, "records.person.change")
    assert event.changes == {"kontoinhaber": ["Erika Beispiel", ""]}


def test_the_page_changes_a_persons_details_and_the_akte_shows_them(
    akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    person = _person(akte)
    url = reverse("records:person_change", args=[akte.pk, person.pk])
    detail = client.get(reverse("records:akte_detail", args=[akte.pk])).content.decode()
    assert url in detail  # the way there, from the Akte
    form = client.get(url)
    assert form.status_code == 200 and 'value="Beispiel"' in form.content.decode()
    read = _last(akte.tenant, "read")
    assert read.object_id == str(person.pk) and read.subject_id == str(person.pk)
    data = {"family_name": "Beispiel", "given_names": "Anna", **DETAILS}
    wrong = client.post(url, {**data, "iban": "DE00 3704 0044 0532 0130 00"})
    page = wrong.content.decode()
    assert wrong.status_code == 400 and "Die Prüfziffer der IBAN stimmt nicht" in page
    assert "kern-error" in page and 'href="#id_iban"' in page  # the error summary links it
    person.refresh_from_db()
    assert person.iban == ""
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.content.decode()
    person.refresh_from_db()
    assert {k: getattr(person, k) for k in STORED} == STORED
    assert _last(akte.tenant, "records.person.change").changes["email"] == [
        "",
        "anna.beispiel@example.org",
    ]
    detail = client.get(reverse("records:akte_detail", args=[akte.pk])).content.decode()
    assert "IBAN DE89 3704 0044 0532 0130 00" in detail and "BIC COBADEFFXXX" in detail
    assert "Telefon +49 1234 567-89" in detail and "anna.beispiel@example.org" in detail
    assert "in Izmir" in detail and "Staatsangehörigkeit türkisch" in detail
    assert "Kontoinhaber/in Erika Beispiel" in detail


def test_only_who_may_edit_the_akte_changes_its_persons(
    tenant: Mandant, akte: Akte, other_team: Organisationseinheit
) -> None:
    outsider = factories.user(tenant, role="sachbearbeitung", unit_=other_team)
    client = signed_in(outsider)
    person = _person(akte)
    url = reverse("records:person_change", args=[akte.pk, person.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"family_name": "X", "iban": IBAN}).status_code == 404
    person.refresh_from_db()
    assert (person.family_name, person.iban) == ("Beispiel", "")


def test_a_person_of_another_akte_is_not_found_here(
    tenant: Mandant,
    akte: Akte,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
) -> None:
    from tests.factories import records as record_factories

    other = record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team)
    url = reverse("records:person_change", args=[akte.pk, _person(other).pk])
    assert signed_in(team_caseworker).get(url).status_code == 404
    api = f"/api/v1/akten/{akte.pk}/personen/{_person(other).pk}"
    answer = signed_in(team_caseworker).patch(
        api, data=json.dumps({"telefon": "0123 456"}), content_type="application/json"
    )
    assert answer.status_code == 404


def test_api_round_trip_of_a_persons_details(akte: Akte, team_caseworker: User) -> None:
    client = signed_in(team_caseworker)
    person = _person(akte)
    url = f"/api/v1/akten/{akte.pk}/personen/{person.pk}"

    def patch(body: dict[str, str]) -> Any:
        return client.patch(url, data=json.dumps(body), content_type="application/json")

    wrong = patch({"email": "kein-at-zeichen.de"})
    assert wrong.status_code == 422
    problem = wrong.json()
    assert problem["code"] == "email_invalid" and "E-Mail-Adresse" in problem["detail"]
    changed = patch(DETAILS)
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert {k: body[k] for k in STORED} == STORED and body["family_name"] == "Beispiel"
    listed = client.get(f"/api/v1/akten/{akte.pk}/personen")
    assert listed.status_code == 200
    [item] = listed.json()
    assert item["id"] == str(person.pk) and {k: item[k] for k in STORED} == STORED
    read = _last(akte.tenant, "read")
    assert read.object_id == str(person.pk)


def test_api_and_page_create_a_person_with_details(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    created = client.post(
        "/api/v1/akten",
        data=json.dumps(
            {
                "aktenplaneinheit_id": str(plan.pk),
                "unit_id": str(team.pk),
                "title": "Leistungsakte Detail",
                "person": {"family_name": "Detail", **DETAILS},
                "bg_nummer": "neu",
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    person = Person.objects.for_tenant(tenant).get(family_name="Detail")
    assert {k: getattr(person, k) for k in STORED} == STORED
    event = _last(tenant, "records.person.create")
    assert event.changes["iban"] == IBAN and event.changes["geburtsort"] == "Izmir"
    akte = Akte.objects.for_tenant(tenant).get(title="Leistungsakte Detail")
    page = client.post(
        reverse("records:bedarfsgemeinschaft", args=[akte.pk]),
        {"action": "add", "family_name": "Kind", "rolle": "kind", "iban": "DE00"},
    )
    assert page.status_code == 400 and "keine IBAN" in page.content.decode()
    page = client.post(
        reverse("records:bedarfsgemeinschaft", args=[akte.pk]),
        {"action": "add", "family_name": "Kind", "rolle": "kind", "telefon": "0123 4567"},
    )
    assert page.status_code == 302
    assert Person.objects.for_tenant(tenant).get(family_name="Kind").telefon == "0123 4567"


def test_the_akte_form_takes_the_new_persons_details(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    form = {
        "aktenplaneinheit": str(plan.pk),
        "unit": str(team.pk),
        "title": "Leistungsakte Formular",
        "family_name": "Formular",
        **DETAILS,
    }
    page = client.get(reverse("records:akte_create")).content.decode()
    assert 'name="iban"' in page and 'type="email"' in page and 'type="tel"' in page
    wrong = client.post(reverse("records:akte_create"), {**form, "telefon": "ruf mich an"})
    assert wrong.status_code == 400 and "keine Telefonnummer" in wrong.content.decode()
    created = client.post(reverse("records:akte_create"), form)
    assert created.status_code == 302, created.content.decode()
    person = Person.objects.for_tenant(tenant).get(family_name="Formular")
    assert {k: getattr(person, k) for k in STORED} == STORED
