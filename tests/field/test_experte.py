"""The Expertensitzung through its services: consent required and recorded, the expert
joins, both write fields (a stale write is refused with the field as it is now), bank
details are masked from the expert in the view, the events and writes, hints, and every
step is in the audit."""

from __future__ import annotations

from typing import Any

import pytest

from koffer.accounts.access import Access
from koffer.audit.models import AuditEvent
from koffer.field.errors import Conflict, FieldError, Forbidden, Veraltet
from koffer.field.experte import selectors, services
from koffer.field.models import Ereignis, Sitzung
from koffer.forms.models import Entwurf
from tests import factories
from tests.field.experte_daten import feld, sitzung

__all__ = ["feld"]  # the fixture


def _aktionen(row: Sitzung) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(row.pk), action__startswith="field.experte.")
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_without_consent_no_one_is_invited(feld: dict[str, Any]) -> None:
    with pytest.raises(FieldError) as exc:
        services.starten(
            actor=feld["aussendienst"],
            entwurf=feld["entwurf"],
            experte=feld["experte"],
            einwilligung_von="Erna Muster",
            einwilligung_art=Sitzung.Einwilligung.MUENDLICH,
            eingewilligt=False,
        )
    assert exc.value.code == "einwilligung_fehlt"
    assert "Einwilligung" in exc.value.message
    assert not Sitzung.objects.unscoped().exists()


def test_the_consent_is_recorded_and_the_expert_joins(feld: dict[str, Any]) -> None:
    row = sitzung(feld, beigetreten=False)

    assert row.einwilligung_von == "Erna Muster"
    assert row.einwilligung_art == "muendlich"
    assert row.einwilligung_am is not None
    assert [
        s.pk
        for s in selectors.einladungen(
            Access.for_user(feld["experte"].pk, row.tenant_id), feld["experte"].pk
        )
    ] == [row.pk]
    start = AuditEvent.objects.get(action="field.experte.start", object_id=str(row.pk))
    assert start.changes["einwilligung"]["art"] == "muendlich"
    assert start.actor_id == feld["aussendienst"].pk

    row = services.beitreten(actor=feld["experte"], sitzung=row)
    assert row.beigetreten_am is not None
    assert _aktionen(row) == ["field.experte.start", "field.experte.join"]


def test_one_open_session_per_draft_and_only_invitable_people(feld: dict[str, Any]) -> None:
    sitzung(feld)
    with pytest.raises(Conflict):
        sitzung(feld)
    fremd = factories.user(factories.mandant(), role="sachbearbeitung")
    with pytest.raises(FieldError) as exc:
        services.starten(
            actor=feld["aussendienst"],
            entwurf=feld["entwurf"],
            experte=fremd,
            einwilligung_von="Erna Muster",
            einwilligung_art="schriftlich",
            eingewilligt=True,
        )
    assert exc.value.code in {"experte_ungeeignet", "sitzung_offen"}


def test_both_write_fields_into_the_draft_and_a_stale_write_is_reported(
    feld: dict[str, Any],
) -> None:
    row = sitzung(feld)
    v = services.feld_setzen(
        actor=feld["aussendienst"], sitzung=row, feld="miete", wert="512,30", version=0
    )
    assert v == 1
    v = services.feld_setzen(
        actor=feld["experte"], sitzung=row, feld="miete", wert="521,30", version=1
    )
    assert v == 2

    # The field worker still saw version 1: refused, told the value and who wrote it.
    with pytest.raises(Veraltet) as exc:
        services.feld_setzen(
            actor=feld["aussendienst"], sitzung=row, feld="miete", wert="500", version=1
        )
    assert exc.value.status == 409
    assert exc.value.extra == {
        "aktuell": {"feld": "miete", "wert": "521,30", "version": 2, "von": "Erik Experte"}
    }
    assert "Erik Experte" in exc.value.message
    entwurf = Entwurf.objects.unscoped().get(pk=feld["entwurf"].pk)
    assert entwurf.antworten["miete"] == "521,30"
    # Other fields have versions of their own: no conflict there.
    services.feld_setzen(
        actor=feld["aussendienst"], sitzung=row, feld="wohnflaeche", wert="48", version=0
    )
    assert [e.art for e in Ereignis.objects.unscoped().filter(sitzung=row).order_by("nummer")] == [
        "beitritt",
        "feld",
        "feld",
        "feld",
    ]
    changes = AuditEvent.objects.filter(action="field.experte.change", object_id=str(row.pk))
    assert [(c.changes["feld"], c.actor_id) for c in changes.order_by("seq")] == [
        ("miete", feld["aussendienst"].pk),
        ("miete", feld["experte"].pk),
        ("wohnflaeche", feld["aussendienst"].pk),
    ]
    # names, never values (the values themselves: the Entwurf's id may hold any digits)
    assert all("521,30" not in str(c.changes) and "512,30" not in str(c.changes) for c in changes)


def test_bank_details_are_masked_from_the_expert(feld: dict[str, Any]) -> None:
    row = sitzung(feld)
    services.feld_setzen(
        actor=feld["aussendienst"],
        sitzung=row,
        feld="iban",
        wert="DE02120300000000202051",
        version=0,
    )

    experte = selectors.sicht(row, feld["experte"].pk)
    iban = next(f for f in experte.felder if f.id == "iban")
    assert iban.maskiert and iban.wert is None and not iban.editierbar
    assert "DE02120300000000202051" not in repr(experte.felder)
    aussendienst = selectors.sicht(row, feld["aussendienst"].pk)
    assert next(f for f in aussendienst.felder if f.id == "iban").wert == "DE02120300000000202051"

    # The expert's events say nothing of the field; the field worker's carry the value.
    assert "DE02" not in repr(selectors.ereignisse(row, feld["experte"].pk, 0))
    assert [e["art"] for e in selectors.ereignisse(row, feld["experte"].pk, 0)] == [
        "beitritt",
        "still",
    ]
    assert selectors.ereignisse(row, feld["aussendienst"].pk, 1)[0]["daten"]["wert"] == (
        "DE02120300000000202051"
    )
    with pytest.raises(Forbidden):
        services.feld_setzen(
            actor=feld["experte"],
            sitzung=row,
            feld="iban",
            wert="DE89370400440532013000",
            version=1,
        )


def test_hints_leave_and_end_are_events_and_audited(feld: dict[str, Any]) -> None:
    row = sitzung(feld)
    hinweis = services.hinweis_geben(
        actor=feld["experte"], sitzung=row, feld="miete", text="Nur die Kaltmiete eintragen."
    )
    sicht = selectors.sicht(row, feld["aussendienst"].pk)
    assert [h.text for h in sicht.hinweise["miete"]] == ["Nur die Kaltmiete eintragen."]
    [ereignis] = selectors.ereignisse(row, feld["aussendienst"].pk, 1)
    assert ereignis["daten"]["text"] == hinweis.text
    with pytest.raises(FieldError):
        services.hinweis_geben(actor=feld["experte"], sitzung=row, feld="iban", text="Hm")

    services.verlassen(actor=feld["experte"], sitzung=row)
    with pytest.raises(Conflict):  # left: writes nothing until joined again
        services.feld_setzen(actor=feld["experte"], sitzung=row, feld="miete", wert="1", version=0)
    services.beenden(actor=feld["aussendienst"], sitzung=row)
    with pytest.raises(Conflict):
        services.beitreten(actor=feld["experte"], sitzung=row)

    assert _aktionen(row) == [
        "field.experte.start",
        "field.experte.join",
        "field.experte.hint",
        "field.experte.leave",
        "field.experte.end",
    ]
    assert Sitzung.objects.unscoped().get(pk=row.pk).status == "beendet"


def test_only_the_two_people_act_in_a_session(feld: dict[str, Any], tenant: Any) -> None:
    row = sitzung(feld)
    dritte = factories.user(tenant, role="sachbearbeitung", unit_=factories.unit(tenant))
    with pytest.raises(FieldError):
        services.feld_setzen(actor=dritte, sitzung=row, feld="miete", wert="1", version=0)
    with pytest.raises(Forbidden):  # the expert does not end it
        services.beenden(actor=feld["experte"], sitzung=row)
