"""Drafts and submissions: prefilled from the Akte, each step saved with its errors kept,
a strict check on submission, one Dokument, Vorgang and Wiedervorlage per submission
(also when submitted twice), drafts that stay on their version, and nobody outside the
Akte's reach fills or sees anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.forms.ausfuellen import selectors, services, vorbelegung
from koffer.forms.definition import lesen
from koffer.forms.errors import Conflict, Forbidden, NotFound, Ungueltig
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Einreichung, Entwurf, Formular
from koffer.inbox.verarbeitung.codes import read_codes
from koffer.records import antwortcode
from koffer.records.konfiguration import services as konfiguration
from koffer.records.models import Akte, Dokument, DokumentVersion, Frist, Vorgang, Wiedervorlage
from koffer.tenancy.models import Mandant
from tests import factories
from tests.factories import records as record_factories
from tests.forms.formkern import (
    admin_access,
    akte,
    definition,
    formular,
    ohne_feld,
    other_team_caseworker,
)

__all__ = ["admin_access", "akte", "formular", "other_team_caseworker"]


def _begonnen(formular: Formular, akte: Akte, actor: User) -> Entwurf:
    return services.entwurf_beginnen(actor=actor, formular=formular, akte=akte)


def _fertig(entwurf: Entwurf, actor: User) -> Entwurf:
    services.schritt_speichern(
        actor=actor, entwurf=entwurf, schritt="haushalt", antworten={"umgezogen": "nein"}
    )
    services.schritt_speichern(
        actor=actor, entwurf=entwurf, schritt="einkommen", antworten={"lohn": "1.234,5"}
    )
    return Entwurf.objects.for_tenant(entwurf.tenant_id).get(pk=entwurf.pk)


def test_a_draft_is_prefilled_from_the_akte(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    entwurf = _begonnen(formular, akte, team_caseworker)
    a = entwurf.antworten
    assert (a["nachname"], a["vorname"], a["geburtsdatum"]) == ("Beispiel", "Anna", "1980-05-17")
    assert a["anschrift"] == {
        "strasse": "Hauptstraße",
        "hausnummer": "12a",
        "plz": "12345",
        "ort": "Musterstadt",
    }
    assert a["aktenzeichen"] == akte.aktenzeichen
    person = akte.subjects.get()
    assert a["mitglieder"] == [
        {"vorname": "Anna", "nachname": "Beispiel", "person": str(person.pk)}
    ]
    assert "telefon" not in a and "lohn" not in a  # no data: empty
    assert entwurf.vorbelegt["anschrift"] == "person.anschrift"
    assert (entwurf.schritt, entwurf.formularversion.nummer) == ("person", 1)


def test_a_step_is_saved_with_its_errors_and_answers_that_steps_check(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    entwurf = _begonnen(formular, akte, team_caseworker)
    pruefung = services.schritt_speichern(
        actor=team_caseworker,
        entwurf=entwurf,
        schritt="haushalt",
        antworten={"umgezogen": "ja", "umzug_am": "31.02.2026"},
    )
    assert list(pruefung.fehler) == ["umzug_am"]
    gespeichert = Entwurf.objects.for_tenant(akte.tenant_id).get(pk=entwurf.pk)
    assert gespeichert.antworten["umzug_am"] == "31.02.2026"  # as typed, never lost
    assert gespeichert.antworten["nachname"] == "Beispiel"  # merged, not replaced
    assert gespeichert.schritt == "haushalt"
    services.schritt_speichern(
        actor=team_caseworker, entwurf=entwurf, schritt="person", antworten={"nachname": "Neu"}
    )
    gespeichert.refresh_from_db()
    assert "nachname" not in gespeichert.vorbelegt  # changed: no longer from the Akte
    with pytest.raises(Ungueltig):
        services.schritt_speichern(
            actor=team_caseworker, entwurf=entwurf, schritt="gibt_es_nicht", antworten={}
        )


def test_submission_files_one_dokument_opens_the_vorgang_and_sets_a_wiedervorlage(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    entwurf = _fertig(_begonnen(formular, akte, team_caseworker), team_caseworker)
    einreichung = services.einreichen(actor=team_caseworker, entwurf=entwurf)
    assert einreichung.werte["lohn"] == "1234.50"
    assert einreichung.werte["umgezogen"] is False
    dokument = einreichung.dokument
    assert (dokument.direction, dokument.source, dokument.kind) == ("in", "form", "Formular")
    assert dokument.akte == akte and dokument.vorgang == einreichung.vorgang
    # The printed form carries the Akte's reply code: a copy signed on paper and scanned
    # is filed back into this Akte by the Posteingang.
    version = DokumentVersion.objects.for_tenant(akte.tenant_id).get(dokument=dokument)
    with get_store().open(version.sha256) as blob:
        codes = read_codes(blob.read(), [0], despeckle=False)
    found = antwortcode.decode(codes[0].text, tenant_id=akte.tenant_id)
    assert found is not None and found.akte_id == akte.pk
    vorgang = einreichung.vorgang
    assert vorgang is not None and vorgang.typ.code == "antrag"
    wv = Wiedervorlage.objects.for_tenant(akte.tenant_id).get(akte=akte)
    assert wv.assignee == team_caseworker and wv.vorgang == vorgang
    assert wv.due_date == timezone.localdate() + timedelta(days=14)
    entwurf.refresh_from_db()
    assert entwurf.status == Entwurf.Status.EINGEREICHT
    # again: the same submission, nothing twice
    again = services.einreichen(actor=team_caseworker, entwurf=entwurf)
    assert again.pk == einreichung.pk
    assert Dokument.objects.for_tenant(akte.tenant_id).filter(akte=akte).count() == 1
    assert Vorgang.objects.for_tenant(akte.tenant_id).filter(akte=akte).count() == 1
    assert Wiedervorlage.objects.for_tenant(akte.tenant_id).filter(akte=akte).count() == 1
    actions = set(
        AuditEvent.objects.filter(
            tenant_id=akte.tenant_id, action__startswith="forms."
        ).values_list("action", flat=True)
    )
    assert {"forms.entwurf.create", "forms.entwurf.change", "forms.einreichung.create"} <= actions
    # the next draft of the form takes the earlier answer ("frueher")
    naechster = _begonnen(formular, akte, team_caseworker)
    assert naechster.antworten["lohn"] == "1234.50"
    assert naechster.vorbelegt["lohn"] == "frueher"


def test_a_draft_naming_a_vorgang_files_into_it_and_opens_none(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    vorgang = record_factories.vorgang(akte, actor=team_caseworker)
    entwurf = services.entwurf_beginnen(
        actor=team_caseworker, formular=formular, akte=akte, vorgang=vorgang
    )
    einreichung = services.einreichen(
        actor=team_caseworker, entwurf=_fertig(entwurf, team_caseworker)
    )
    assert einreichung.vorgang == vorgang and einreichung.dokument.vorgang == vorgang
    assert Vorgang.objects.for_tenant(akte.tenant_id).filter(akte=akte).count() == 1


def test_submission_is_strict_hidden_and_unknown_fields_and_missing_answers_refused(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    entwurf = _begonnen(formular, akte, team_caseworker)
    services.schritt_speichern(
        actor=team_caseworker,
        entwurf=entwurf,
        schritt="haushalt",
        antworten={"umgezogen": "nein", "umzug_am": "2026-01-01", "erfunden": "x"},
    )
    with pytest.raises(Ungueltig) as fehler:
        services.einreichen(actor=team_caseworker, entwurf=entwurf)
    assert set(fehler.value.fehler) == {"umzug_am", "erfunden"}
    assert fehler.value.status == 422
    assert "umzug_am" in fehler.value.message and "erfunden" in fehler.value.message
    assert not Einreichung.objects.for_tenant(akte.tenant_id).exists()
    entwurf.refresh_from_db()
    assert entwurf.status == Entwurf.Status.OFFEN


def test_a_draft_stays_on_its_version_when_a_new_one_drops_its_field(
    tenant: Mandant,
    formular: Formular,
    akte: Akte,
    team_caseworker: User,
    admin_user: User,
    admin_access: Access,
) -> None:
    entwurf = _begonnen(formular, akte, team_caseworker)
    services.schritt_speichern(
        actor=team_caseworker,
        entwurf=entwurf,
        schritt="einkommen",
        antworten={"bemerkung": "Hallo"},
    )
    [v2] = katalog.importieren(
        actor=admin_user,
        access=admin_access,
        tenant=tenant,
        daten=ohne_feld(definition(), "bemerkung"),
    )
    assert v2.version.nummer == 2
    entwurf = _fertig(entwurf, team_caseworker)
    einreichung = services.einreichen(actor=team_caseworker, entwurf=entwurf)
    assert einreichung.formularversion.nummer == 1
    assert einreichung.werte["bemerkung"] == "Hallo"
    assert _begonnen(formular, akte, team_caseworker).formularversion.nummer == 2


def test_whoever_cannot_add_documents_to_the_akte_fills_nothing(
    formular: Formular, akte: Akte, team_caseworker: User, other_team_caseworker: User, dpo: User
) -> None:
    for fremd in (other_team_caseworker, dpo):
        with pytest.raises(Forbidden):
            services.entwurf_beginnen(actor=fremd, formular=formular, akte=akte)
    entwurf = _begonnen(formular, akte, team_caseworker)
    with pytest.raises(Forbidden):
        services.schritt_speichern(
            actor=other_team_caseworker, entwurf=entwurf, schritt="person", antworten={}
        )
    with pytest.raises(Forbidden):
        services.einreichen(actor=other_team_caseworker, entwurf=entwurf)
    access = Access.for_user(other_team_caseworker.pk, akte.tenant_id)
    assert selectors.entwurf(access, other_team_caseworker.pk, entwurf.pk) is None


def test_another_mandants_form_or_draft_is_unknown(
    formular: Formular, akte: Akte, team_caseworker: User, other_tenant: Mandant
) -> None:
    stranger = factories.user(other_tenant, role="sachbearbeitung")
    entwurf = _begonnen(formular, akte, team_caseworker)
    access = Access.for_user(stranger.pk, other_tenant.pk)
    assert selectors.entwurf(access, stranger.pk, entwurf.pk) is None
    fremdes = Formular.objects.for_tenant(akte.tenant_id).get(pk=formular.pk)
    fremdes.tenant_id = other_tenant.pk  # as if the other Mandant had the same form
    with pytest.raises(NotFound):
        services.entwurf_beginnen(actor=team_caseworker, formular=fremdes, akte=akte)


def test_a_discarded_draft_cannot_be_submitted(
    formular: Formular, akte: Akte, team_caseworker: User
) -> None:
    entwurf = _begonnen(formular, akte, team_caseworker)
    services.verwerfen(actor=team_caseworker, entwurf=entwurf)
    with pytest.raises(Conflict):
        services.einreichen(actor=team_caseworker, entwurf=entwurf)


def test_a_printed_form_names_people_not_keys() -> None:
    definition = lesen(
        {
            "format": 1,
            "schluessel": "personen",
            "titel": {"de": "Personen"},
            "schritte": [
                {
                    "id": "s",
                    "titel": {"de": "S"},
                    "felder": [
                        {"id": "wer", "typ": "person", "label": {"de": "Wer"}},
                        {
                            "id": "liste",
                            "typ": "tabelle",
                            "label": {"de": "Liste"},
                            "spalten": [
                                {"id": "person", "typ": "person", "label": {"de": "Person"}},
                                {"id": "betrag", "typ": "geld", "label": {"de": "Betrag"}},
                            ],
                        },
                    ],
                }
            ],
        }
    )
    namen = {"p1": "Erika Muster (geb. 01.02.1980)"}
    werte = {"wer": "p1", "liste": [{"person": "p1", "betrag": "1.00"}, {"betrag": "2.00"}]}
    assert vorbelegung.mit_namen(definition, werte, namen) == {
        "wer": "Erika Muster (geb. 01.02.1980)",
        "liste": [
            {"person": "Erika Muster (geb. 01.02.1980)", "betrag": "1.00"},
            {"betrag": "2.00"},
        ],
    }


def test_a_submission_gives_the_new_vorgang_the_fristen_the_form_names(
    tenant: Mandant, akte: Akte, team_caseworker: User, admin_user: User, admin_access: Access
) -> None:
    mit_frist = definition("mit-frist")
    mit_frist["vorgang"]["fristen"] = ["bearbeitung"]
    with pytest.raises(Ungueltig) as fehler:
        katalog.importieren(actor=admin_user, access=admin_access, tenant=tenant, daten=mit_frist)
    assert (
        "vorgang.fristen[0]" in str(fehler.value.message)
    ) and "Fristregel" in fehler.value.message
    konfiguration.create_frist_regel(
        actor=admin_user, tenant=tenant, code="bearbeitung", label="Entscheidung", months=6
    )
    [ergebnis] = katalog.importieren(
        actor=admin_user, access=admin_access, tenant=tenant, daten=mit_frist
    )
    entwurf = _fertig(_begonnen(ergebnis.formular, akte, team_caseworker), team_caseworker)
    einreichung = services.einreichen(actor=team_caseworker, entwurf=entwurf)
    assert einreichung.vorgang is not None
    [frist] = Frist.objects.for_tenant(tenant).filter(vorgang=einreichung.vorgang)
    heute = timezone.localdate()
    assert frist.regel is not None and frist.regel.code == "bearbeitung"
    assert frist.base_date == heute
    assert frist.due_date >= heute + timedelta(days=180)
