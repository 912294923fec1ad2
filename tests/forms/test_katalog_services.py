"""The catalogue: importing definitions as versions (a new version only when the JSON
changed), every finding of a broken import with its path and nothing stored, export,
deactivation, only for the administration, audited; versions are frozen in the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import DatabaseError, transaction

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.forms.errors import Forbidden, Ungueltig
from koffer.forms.katalog import selectors
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Einreichung, Entwurf, Formular, Formularversion
from koffer.records.models import Aktenplaneinheit, VorgangTyp
from koffer.tenancy.models import Mandant
from tests import factories
from tests.factories import records as record_factories
from tests.forms.formkern import admin_access, definition, formular, ohne_feld

__all__ = ["admin_access", "formular"]


def test_import_creates_the_form_and_a_new_version_only_when_the_json_changes(
    tenant: Mandant, plan: Aktenplaneinheit, admin_user: User, admin_access: Access
) -> None:
    daten = definition()
    [erst] = katalog.importieren(actor=admin_user, access=admin_access, tenant=tenant, daten=daten)
    assert (erst.neu, erst.version.nummer) == (True, 1)
    assert erst.formular.titel == "Weiterbewilligungsantrag (Test)"
    [gleich] = katalog.importieren(
        actor=admin_user, access=admin_access, tenant=tenant, daten=definition()
    )
    assert (gleich.neu, gleich.version.pk) == (False, erst.version.pk)
    [zwei] = katalog.importieren(
        actor=admin_user, access=admin_access, tenant=tenant, daten=ohne_feld(daten, "bemerkung")
    )
    assert (zwei.neu, zwei.version.nummer) == (True, 2)
    row = selectors.formular(tenant.pk, "wba-test")
    assert row is not None and row.aktuelle_version == zwei.version
    assert selectors.version(row, 1) == erst.version
    actions = list(
        AuditEvent.objects.filter(tenant_id=tenant.pk, action__startswith="forms.formular")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["forms.formular.create", "forms.formular.version"]


def test_a_list_is_imported_whole_or_not_at_all_with_every_finding_and_its_path(
    tenant: Mandant, plan: Aktenplaneinheit, admin_user: User, admin_access: Access
) -> None:
    kaputt = definition("kaputt")
    kaputt["schritte"][0]["felder"][0]["typ"] = "unbekannt"
    kaputt["vorgang"]["vorgangstyp"] = "gibt-es-nicht"
    with pytest.raises(Ungueltig) as fehler:
        katalog.importieren(
            actor=admin_user,
            access=admin_access,
            tenant=tenant,
            daten=[definition("gut"), kaputt],
        )
    assert fehler.value.status == 422
    assert all(pfad.startswith("[1]") for pfad in fehler.value.fehler)
    assert any("schritte[0].felder[0]" in pfad for pfad in fehler.value.fehler)
    assert not Formular.objects.for_tenant(tenant).exists()


def test_a_missing_vorgangstyp_is_a_finding(
    tenant: Mandant, plan: Aktenplaneinheit, admin_user: User, admin_access: Access
) -> None:
    daten = definition()
    daten["vorgang"]["vorgangstyp"] = "gibt-es-nicht"
    with pytest.raises(Ungueltig) as fehler:
        katalog.importieren(actor=admin_user, access=admin_access, tenant=tenant, daten=daten)
    assert list(fehler.value.fehler) == ["vorgang.vorgangstyp"]


def test_keys_the_api_uses_are_reserved(
    tenant: Mandant, plan: Aktenplaneinheit, admin_user: User, admin_access: Access
) -> None:
    with pytest.raises(Ungueltig) as fehler:
        katalog.importieren(
            actor=admin_user, access=admin_access, tenant=tenant, daten=definition("schema")
        )
    assert list(fehler.value.fehler) == ["schluessel"]


def test_export_gives_back_what_was_imported_and_deactivation_hides_the_form(
    tenant: Mandant, admin_user: User, admin_access: Access, formular: Formular
) -> None:
    assert katalog.exportieren(actor=admin_user, access=admin_access, tenant=tenant) == [
        definition()
    ]
    katalog.deaktivieren(actor=admin_user, access=admin_access, tenant=tenant, formular=formular)
    assert not selectors.katalog(tenant.pk).exists()
    # a re-import of the same JSON brings it back without a new version
    [wieder] = katalog.importieren(
        actor=admin_user, access=admin_access, tenant=tenant, daten=definition()
    )
    assert (wieder.neu, wieder.formular.is_active) == (False, True)
    assert list(selectors.katalog(tenant.pk)) == [formular]


def test_only_the_administration_manages_the_catalogue(
    tenant: Mandant, plan: Aktenplaneinheit, caseworker: User
) -> None:
    access = Access.for_user(caseworker.pk, tenant.pk)
    with pytest.raises(Forbidden):
        katalog.importieren(actor=caseworker, access=access, tenant=tenant, daten=definition())
    with pytest.raises(Forbidden):
        katalog.exportieren(actor=caseworker, access=access, tenant=tenant)


def test_each_mandant_has_its_own_catalogue(formular: Formular, other_tenant: Mandant) -> None:
    admin = factories.user(other_tenant, role="mandant_admin")
    access = Access.for_user(admin.pk, other_tenant.pk)
    assert katalog.exportieren(actor=admin, access=access, tenant=other_tenant) == []
    assert selectors.formular(other_tenant.pk, formular.schluessel) is None


def test_a_version_is_frozen_in_the_database(formular: Formular) -> None:
    version = formular.aktuelle_version
    assert version is not None
    with pytest.raises(DatabaseError), transaction.atomic():
        Formularversion.objects.for_tenant(formular.tenant_id).filter(pk=version.pk).update(
            definition={}
        )


def test_the_demo_imports_each_form_into_its_mandant_and_adds_missing_vorgangstypen(
    db: None, tmp_path: Path
) -> None:
    from koffer.demo import formulare as demo
    from koffer.records import defaults

    mandanten = {demo.KREIS: factories.mandant("Kreis"), demo.JOBCENTER: factories.mandant("JC")}
    for slug, tenant in mandanten.items():
        defaults.install(actor=None, tenant=tenant)
        factories.user(tenant, role="mandant_admin", username=demo.ADMINS[slug])
    demo.load(mandanten, tmp_path)  # an empty folder: nothing, no error
    assert not Formular.objects.for_tenant(mandanten[demo.KREIS]).exists()
    jc = definition("jc-form")
    jc["vorgang"]["vorgangstyp"] = "neu-im-demo"
    alle = definition("fuer-alle")
    del alle["fachbereich"], alle["vorgang"]
    (tmp_path / "a.json").write_text(json.dumps(jc), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps([alle]), encoding="utf-8")
    jc_plan = record_factories.leistungsplan(mandanten[demo.JOBCENTER])
    sb = factories.user(mandanten[demo.JOBCENTER], role="sachbearbeitung")
    akte = record_factories.akte(
        caseworker=sb, plan=jc_plan, unit=factories.root_unit(mandanten[demo.JOBCENTER])
    )
    demo.load(mandanten, tmp_path)
    # the caseworker filled the smallest form: one submitted, one begun
    einreichung = Einreichung.objects.for_tenant(akte.tenant_id).get(akte=akte)
    assert einreichung.werte["nachname"] == akte.subjects.get().family_name
    assert Entwurf.objects.for_tenant(akte.tenant_id).filter(akte=akte).count() == 2
    assert sorted(
        selectors.katalog(mandanten[demo.JOBCENTER].pk).values_list("schluessel", flat=True)
    ) == [
        "fuer-alle",
        "jc-form",
    ]
    assert list(
        selectors.katalog(mandanten[demo.KREIS].pk).values_list("schluessel", flat=True)
    ) == ["fuer-alle"]
    assert (
        VorgangTyp.objects.for_tenant(mandanten[demo.JOBCENTER])
        .filter(code="neu-im-demo", module="sgb2")
        .exists()
    )
