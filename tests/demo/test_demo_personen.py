"""The demo district's persons carry fictional contact and bank details (issue 17), valid
by the Akte's own checks, so that the demo forms prefill telephone, e-mail and IBAN."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.core.management import call_command

from koffer import identifiers, kontakt
from koffer.forms.ausfuellen import vorbelegung
from koffer.forms.definition.lesen import lesen
from koffer.records.models import Akte

KATALOG = Path(__file__).resolve().parents[2] / "src" / "koffer" / "demo" / "formulare"


def test_demo_persons_have_valid_details_that_the_demo_forms_prefill(db: None) -> None:
    call_command("load_demo", stdout=io.StringIO())
    definition = lesen(
        json.loads((KATALOG / "weiterbewilligung-sgb2.json").read_text(encoding="utf-8"))
    )
    akten = list(Akte.objects.unscoped().filter(subjekte__isnull=False).distinct())
    assert akten
    for akte in akten:
        person = akte.subjekte.select_related("person").first().person  # type: ignore[union-attr]
        assert identifiers.iban_problem(person.iban) is None, person
        assert identifiers.bic_problem(person.bic) is None, person
        assert kontakt.email_problem(person.email) is None, person
        assert kontakt.telefon_problem(person.telefon) is None, person
        assert person.geburtsort and person.staatsangehoerigkeit
        antworten, vorbelegt = vorbelegung.vorbelegen(definition, vorbelegung.aktenlage(akte, {}))
        assert (antworten["iban"], antworten["telefon"], antworten["email"]) == (
            person.iban,
            person.telefon,
            person.email,
        )
        assert vorbelegt["iban"] == "person.iban"
