"""Leitweg-ID and IBAN are checked where they are entered: on the models (every ModelForm
and ``full_clean``), in the services, and in the demo data; the demo's invoices pass all
checks including the KoSIT scenario (BT-24)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.forms import modelform_factory

from koffer.blobs.store import get_store
from koffer.demo.district import MANDANTEN
from koffer.demo.placements import PROFILES
from koffer.identifiers import iban_problem, leitweg_id_problem
from koffer.placements.angebote import services as angebot_services
from koffer.placements.models import Rechnung, Traegerprofil
from koffer.placements.xrechnung import validate
from koffer.placements.xrechnung.validation import SCENARIO_RULE
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant


def test_demo_identifiers_are_valid():
    assert [leitweg_id_problem(m[3]) for m in MANDANTEN if m[3]] == [None] * len(
        [m for m in MANDANTEN if m[3]]
    )
    assert "09999000-KREIS-21" in {m[3] for m in MANDANTEN}
    assert [iban_problem(p[5]) for p in PROFILES.values()] == [None] * len(PROFILES)


@pytest.mark.django_db
def test_create_mandant_refuses_a_wrong_leitweg_id():
    with pytest.raises(ValidationError) as err:
        tenancy.create_mandant(
            actor=None, slug="kreis-x", name="Kreis X", kind="kreis", leitweg_id="09999000-X-11"
        )
    assert "Prüfziffer der Leitweg-ID stimmt nicht; erwartet" in err.value.messages[0]
    assert not Mandant.objects.filter(slug="kreis-x").exists()
    ok = tenancy.create_mandant(
        actor=None, slug="kreis-y", name="Kreis Y", kind="kreis", leitweg_id="09999000-KREIS-21"
    )
    assert ok.leitweg_id == "09999000-KREIS-21"
    assert tenancy.create_mandant(actor=None, slug="kreis-z", name="Z", kind="kreis").pk


@pytest.mark.django_db
def test_every_model_form_checks_the_leitweg_id():
    """The validator sits on the model field, so any ModelForm (and the admin) runs it."""
    form_class = modelform_factory(Mandant, fields=["slug", "name", "kind", "leitweg_id"])
    data = {"slug": "k", "name": "K", "kind": "kreis", "leitweg_id": "09999000-KREIS-42"}
    form = form_class(data=data)
    assert not form.is_valid()
    assert form.errors["leitweg_id"] == [
        "Die Prüfziffer der Leitweg-ID stimmt nicht; erwartet 21, eingetragen 42. "
        "Bitte die Leitweg-ID mit der Rechnungsstelle abgleichen."
    ]
    assert form_class(data={**data, "leitweg_id": "09999000-KREIS-21"}).is_valid()
    assert form_class(data={**data, "leitweg_id": ""}).is_valid()  # not every Mandant has one


@pytest.mark.django_db
def test_every_model_form_checks_the_iban(profil: Traegerprofil):
    form_class = modelform_factory(Traegerprofil, fields=["iban"])
    form = form_class(data={"iban": "DE89370400440532013001"}, instance=profil)
    assert not form.is_valid()
    assert "Prüfziffer der IBAN stimmt nicht; erwartet 62" in form.errors["iban"][0]
    assert form_class(data={"iban": "DE89370400440532013000"}, instance=profil).is_valid()


@pytest.mark.django_db
def test_save_traegerprofil_refuses_a_wrong_iban(traeger: Mandant, provider_user) -> None:
    fields = {
        "legal_name": "Sonnenhof e. V.",
        "street": "Lindenweg 3",
        "postcode": "60311",
        "city": "Musterstadt",
        "iban": "DE02120300000000202052",
        "contact_name": "Petra Schulz",
        "contact_phone": "+49 6101 555-20",
        "contact_email": "rechnung@sonnenhof.example",
    }
    with pytest.raises(ValidationError) as err:
        angebot_services.save_traegerprofil(actor=provider_user, tenant=traeger, **fields)
    assert "Prüfziffer der IBAN" in err.value.message_dict["iban"][0]
    fields["iban"] = "DE02120300000000202051"
    profil = angebot_services.save_traegerprofil(actor=provider_user, tenant=traeger, **fields)
    assert profil.iban == "DE02120300000000202051"


@pytest.mark.django_db
def test_demo_invoices_pass_every_check_including_the_scenario():
    call_command("load_demo", stdout=io.StringIO())
    rechnungen = list(Rechnung.objects.unscoped())
    assert rechnungen
    for rechnung in rechnungen:
        assert leitweg_id_problem(rechnung.leitweg_id) is None
        with get_store().open(rechnung.xml_sha256) as stream:
            report = validate(stream.read())
        assert report.is_valid, report.errors
        assert SCENARIO_RULE not in report.rule_ids
        assert "BR-DE-21" not in report.rule_ids
