"""The checkout package in one process: what the office builds for a Koffer (the right
rows, nothing of Akten not checked out or of another Mandant, bounded queries, each Akte
read audited), and what importing it does (idempotent, base versions kept) and wiping it
removes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test.utils import CaptureQueriesContext

from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.field.models import Stand
from koffer.field.paket import selectors, services
from koffer.forms.models import Formular, Formularversion
from koffer.outbox.models import VorlagenVersion
from koffer.records.models import Akte, Dokument, DokumentVersion, Person
from koffer.tenancy.models import Mandant
from tests import factories
from tests.field.paket_bestand import Bestand, bestand

pytestmark = pytest.mark.django_db


def _pks(paket: dict[str, Any], model: str) -> set[str]:
    return {o["pk"] for o in paket["objekte"] if o["model"] == model}


def _wire(paket: dict[str, Any]) -> dict[str, Any]:
    """What the Koffer receives: the package through JSON."""
    return json.loads(json.dumps(paket))


@pytest.fixture
def daten(tenant: Mandant) -> Bestand:
    return bestand(tenant, akten=2, dokumente=2)


def test_the_package_carries_the_checked_out_akten_and_nothing_else(
    daten: Bestand, other_tenant: Mandant
) -> None:
    fremd_anderswo = bestand(other_tenant, akten=1, dokumente=1)
    paket = _wire(selectors.bauen(geraet=daten.geraet))

    assert paket["format"] == 1
    assert paket["mandant"] == str(daten.tenant.pk)
    assert _pks(paket, "records.akte") == {str(a.pk) for a in daten.akten}
    assert {a["akte"] for a in paket["ausleihen"]} == {str(a.pk) for a in daten.akten}
    dokumente = Dokument.objects.for_tenant(daten.tenant).filter(akte__in=daten.akten)
    assert _pks(paket, "records.dokument") == {str(d.pk) for d in dokumente}
    assert {b["sha256"]: b["size"] for b in paket["blobs"]} == daten.blobs
    # the Akte not checked out, and its documents and persons, are absent
    serialised = json.dumps(paket)
    assert str(daten.fremd.pk) not in serialised
    fremd_person = Person.objects.for_tenant(daten.tenant).get(akten=daten.fremd)
    assert str(fremd_person.pk) not in serialised
    for d in Dokument.objects.for_tenant(daten.tenant).filter(akte=daten.fremd):
        assert str(d.pk) not in serialised
    # nothing of the other Mandant
    assert str(other_tenant.pk) not in serialised
    assert str(fremd_anderswo.akten[0].pk) not in serialised
    assert {o["fields"].get("tenant") for o in paket["objekte"]} <= {str(daten.tenant.pk), None}
    # the catalogue and templates travel whole; the worker's account with its password
    assert _pks(paket, "forms.formular") == {
        str(f.pk) for f in Formular.objects.for_tenant(daten.tenant).filter(is_active=True)
    }
    assert len(_pks(paket, "forms.formularversion")) >= 1
    assert len(_pks(paket, "outbox.vorlagenversion")) == 1
    users = {o["pk"]: o["fields"] for o in paket["objekte"] if o["model"] == "accounts.user"}
    assert users[str(daten.worker.pk)]["password"] == daten.worker.password
    colleagues = [f for pk, f in users.items() if pk != str(daten.worker.pk)]
    assert colleagues and all(f["password"].startswith("!") for f in colleagues)
    assert "token_hash" not in next(
        o["fields"] for o in paket["objekte"] if o["model"] == "field.geraet"
    )


def test_reading_the_akten_for_the_package_is_audited_once_per_akte(daten: Bestand) -> None:
    before = AuditEvent.objects.filter(tenant_id=daten.tenant.pk).count()
    selectors.bauen(geraet=daten.geraet)
    events = AuditEvent.objects.filter(tenant_id=daten.tenant.pk).order_by("seq")[before:]
    gelesen = [e for e in events if e.action == "field.paket_gelesen"]
    assert sorted(e.object_id for e in gelesen) == sorted(str(a.pk) for a in daten.akten)
    assert {e.actor_id for e in gelesen} == {daten.worker.pk}


def _queries(geraet: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        selectors.bauen(geraet=geraet)
    return len(captured)


def test_the_query_count_does_not_grow_with_the_akten(tenant: Mandant) -> None:
    one = _queries(bestand(tenant, akten=1, dokumente=1).geraet)
    five = _queries(bestand(tenant, akten=5, dokumente=3).geraet)
    # Reads are one query a table; only the audit writes an event per Akte (three
    # statements on SQLite: head, insert, advance; two on PostgreSQL).
    per_event = 2 if connection.vendor == "postgresql" else 3
    assert five - one == 4 * per_event
    # (plus one query a table for the ids under the carried Akten, ``bestand``)
    assert one <= 48


def test_the_import_looks_for_versions_under_their_mandant(daten: Bestand) -> None:
    """Whether a version is here already is asked with its Mandant: on Citus a read by id
    alone goes to every shard in parallel, and the import's write of the Mandant (a
    reference table) in the same transaction is then refused (the Koffer's first pull on
    a database of its own, test_experte_koffer_prozesse)."""
    paket = _wire(selectors.bauen(geraet=daten.geraet))
    tables = [f'"{m._meta.db_table}"' for m in (DokumentVersion, Formularversion, VorlagenVersion)]
    with CaptureQueriesContext(connection) as captured:
        services.einspielen(paket)
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and any(f"FROM {t}" in q["sql"] for t in tables)
    ]
    assert len(reads) >= 3
    assert all('."tenant_id" = ' in sql for sql in reads), reads


def test_importing_twice_gives_the_same_state_and_keeps_base_versions(daten: Bestand) -> None:
    paket = _wire(selectors.bauen(geraet=daten.geraet))
    first = services.einspielen(paket)
    assert first.akten == 2 and first.dokumente == 4
    # rows that were there already: versions are immutable, never updated
    assert first.unveraendert == len(_pks(paket, "records.dokumentversion")) + len(
        _pks(paket, "forms.formularversion")
    ) + len(_pks(paket, "outbox.vorlagenversion"))
    staende = Stand.objects.for_tenant(daten.tenant)
    assert staende.count() == len(paket["objekte"])
    akte = daten.akten[0]
    stand = staende.get(modell="records.akte", objekt_id=str(akte.pk))
    assert stand.felder["aktenzeichen"] == akte.aktenzeichen

    counts = {
        m: m.objects.for_tenant(daten.tenant).count()
        for m in (Akte, Dokument, DokumentVersion, Formularversion, VorlagenVersion, Person)
    }
    services.einspielen(paket)
    assert counts == {m: m.objects.for_tenant(daten.tenant).count() for m in counts}
    assert staende.count() == len(paket["objekte"])


def test_a_package_of_another_format_or_with_foreign_models_is_refused(daten: Bestand) -> None:
    paket = _wire(selectors.bauen(geraet=daten.geraet))
    with pytest.raises(services.FieldError) as raised:
        services.einspielen({**paket, "format": 2})
    assert "Format 2" in raised.value.message
    fremd = {"model": "audit.auditevent", "pk": "1", "fields": {}}
    with pytest.raises(services.FieldError) as raised:
        services.einspielen({**paket, "objekte": [*paket["objekte"], fremd]})
    assert "audit.auditevent" in raised.value.message
    assert not Stand.objects.for_tenant(daten.tenant).exists()


def test_wiping_removes_what_the_package_brought(
    daten: Bestand, django_capture_on_commit_callbacks: Any
) -> None:
    paket = _wire(selectors.bauen(geraet=daten.geraet))
    services.einspielen(paket)
    store = get_store()
    assert all(store.exists(sha) for sha in daten.blobs)

    with django_capture_on_commit_callbacks(execute=True):
        removed = services.abwischen(mandant_id=daten.tenant.pk)

    assert removed > 0
    assert (
        not Akte.objects.for_tenant(daten.tenant)
        .filter(pk__in=[a.pk for a in daten.akten])
        .exists()
    )
    assert not Dokument.objects.for_tenant(daten.tenant).filter(akte__in=daten.akten).exists()
    assert not any(store.exists(sha) for sha in daten.blobs)
    assert authenticate(username=daten.worker.username, password=factories.PASSWORD) is None
    # the Akte that never travelled is untouched, the Mandant's configuration stays
    assert Akte.objects.for_tenant(daten.tenant).filter(pk=daten.fremd.pk).exists()
    kept = set(Stand.objects.for_tenant(daten.tenant).values_list("modell", flat=True))
    assert kept <= {
        "tenancy.mandant",
        "tenancy.organisationseinheit",
        "records.aktenplaneinheit",
        "records.vorgangtyp",
        "records.fristregel",
    }
    actions = AuditEvent.objects.filter(tenant_id=daten.tenant.pk).values_list("action", flat=True)
    assert "field.koffer_geloescht" in actions


def test_a_part_file_left_beside_a_stored_blob_is_removed(tmp_path: Any) -> None:
    """A pull stopped between storing a blob and removing its part file: the next pull
    finds the blob in the store and removes the part file instead of keeping it."""
    from koffer.field.paket.abholung import Buero, blobs_holen

    store = get_store()
    stored = store.put(b"schon da")
    teile = tmp_path / "teile"
    teile.mkdir()
    left = teile / f"{stored.sha256}.part"
    left.write_bytes(b"schon")

    ergebnis = blobs_holen(
        buero=Buero(url="http://127.0.0.1:9", token=""),
        blobs=[{"sha256": stored.sha256, "size": stored.size}],
        store=store,
        teile=teile,
    )

    assert (ergebnis.vorhanden, ergebnis.geholt) == (1, 0)
    assert not left.exists()


def test_versions_travel_without_their_text_and_still_leave_when_the_office_removed_them(
    daten: Bestand, django_capture_on_commit_callbacks: Any
) -> None:
    """A version's text is not in the package (the Koffer gets the file itself): its
    base version has no text either, so a row here still counts as unchanged and goes
    when the office no longer lists it."""
    paket = _wire(selectors.bauen(geraet=daten.geraet))
    versionen = [o for o in paket["objekte"] if o["model"] == "records.dokumentversion"]
    assert versionen and all("text" not in o["fields"] for o in versionen)
    assert all(o["fields"]["sha256"] for o in versionen)
    services.einspielen(paket)
    version = versionen[0]
    stand = Stand.objects.for_tenant(daten.tenant).get(
        modell="records.dokumentversion", objekt_id=version["pk"]
    )
    assert "text" not in stand.felder
    assert DokumentVersion.objects.for_tenant(daten.tenant).get(pk=version["pk"]).text

    # The office no longer lists that document and its version under the Akte.
    dokument = str(version["fields"]["dokument"])
    weiter = _wire(selectors.bauen(geraet=daten.geraet))
    zeilen = weiter["bestand"]["zeilen"]
    zeilen["records.dokument"].remove(dokument)
    zeilen["records.dokumentversion"].remove(version["pk"])
    with django_capture_on_commit_callbacks(execute=True):
        ergebnis = services.einspielen(weiter)
    assert ergebnis.im_buero_entfernt == 2
    assert not DokumentVersion.objects.for_tenant(daten.tenant).filter(pk=version["pk"]).exists()
