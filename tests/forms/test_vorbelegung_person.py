"""Prefill from the person's contact and bank details (issue 17): a draft begun for an
Akte whose person has place of birth, nationality, telephone, e-mail, IBAN, BIC and
account holder gets each of them, marked "aus der Akte übernommen", and the values pass
the form's own checks (format ``telefon``, ``email``, type ``iban``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.forms.ausfuellen import services
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Entwurf
from koffer.records import services as records
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.forms import formkern
from tests.forms.formkern import admin_access, akte, text

__all__ = ["admin_access", "akte"]

QUELLEN = {
    "geburtsort": ("text", "person.geburtsort", {}),
    "staatsangehoerigkeit": ("text", "person.staatsangehoerigkeit", {}),
    "telefon_privat": ("text", "person.telefon", {"format": "telefon"}),
    "email": ("text", "person.email", {"format": "email"}),
    "iban": ("iban", "person.iban", {}),
    "bic": ("text", "person.bic", {}),
    "kontoinhaber": ("text", "person.kontoinhaber", {}),
}
ERWARTET = {
    "geburtsort": "Izmir",
    "staatsangehoerigkeit": "türkisch",
    "telefon_privat": "+49 1234 567-89",
    "email": "anna.beispiel@example.org",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "kontoinhaber": "Erika Beispiel",
}


def _definition() -> dict[str, Any]:
    daten = formkern.definition("kontakt-test")
    daten["schritte"].insert(
        1,
        {
            "id": "kontakt",
            "titel": text("Kontakt und Bankverbindung"),
            "felder": [
                {"id": feld, "typ": typ, "label": text(feld), "vorbelegung": quelle, **mehr}
                for feld, (typ, quelle, mehr) in QUELLEN.items()
            ],
        },
    )
    return daten


def test_a_draft_is_prefilled_with_the_persons_contact_and_bank_details(
    tenant: Mandant, akte: Akte, team_caseworker: User, admin_user: User, admin_access: Access
) -> None:
    [ergebnis] = katalog.importieren(
        actor=admin_user, access=admin_access, tenant=tenant, daten=_definition()
    )
    records.change_person(
        actor=team_caseworker,
        person=akte.subjects.get(),
        geburtsort="Izmir",
        staatsangehoerigkeit="türkisch",
        telefon="+49 1234 567-89",
        email="anna.beispiel@example.org",
        iban="DE89 3704 0044 0532 0130 00",
        bic="cobadeffxxx",
        kontoinhaber="Erika Beispiel",
    )
    client = signed_in(team_caseworker)
    begonnen = client.post(
        reverse("forms:entwurf_beginnen", args=[akte.pk]), {"formular": str(ergebnis.formular.pk)}
    )
    assert begonnen.status_code == 302
    entwurf = Entwurf.objects.for_tenant(tenant).get(akte=akte)
    assert {k: entwurf.antworten.get(k) for k in QUELLEN} == ERWARTET
    assert {k: entwurf.vorbelegt.get(k) for k in QUELLEN} == {
        feld: quelle for feld, (_, quelle, _) in QUELLEN.items()
    }

    seite = client.get(reverse("forms:entwurf_schritt", args=[entwurf.pk, "kontakt"]))
    html = seite.content.decode()
    assert seite.status_code == 200
    assert html.count("aus der Akte übernommen") == len(QUELLEN)
    assert 'value="anna.beispiel@example.org"' in html and 'value="Izmir"' in html

    # The values the Akte keeps pass the form's checks as they are.
    pruefung = services.schritt_speichern(
        actor=team_caseworker,
        entwurf=entwurf,
        schritt="kontakt",
        antworten={k: entwurf.antworten[k] for k in QUELLEN},
    )
    assert dict(pruefung.fehler) == {}


def test_an_account_of_the_person_leaves_the_holder_empty(
    tenant: Mandant, akte: Akte, team_caseworker: User, admin_user: User, admin_access: Access
) -> None:
    """Blank Kontoinhaber means the account is the person's own; the forms ask for a holder
    only when it is someone else, so the field stays empty."""
    [ergebnis] = katalog.importieren(
        actor=admin_user, access=admin_access, tenant=tenant, daten=_definition()
    )
    records.change_person(
        actor=team_caseworker, person=akte.subjects.get(), iban="DE89370400440532013000"
    )
    entwurf = services.entwurf_beginnen(
        actor=team_caseworker, formular=ergebnis.formular, akte=akte
    )
    assert entwurf.antworten["iban"] == "DE89370400440532013000"
    assert "kontoinhaber" not in entwurf.antworten and "bic" not in entwurf.antworten
