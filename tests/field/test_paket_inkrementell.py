"""The pull after a sync (and any later pull) brings only what changed: the office answers
``stand`` (its change marker, the audit chain's sequence number when building began), and
with ``seit`` only the rows changed since, the Akten newly checked out and the Akten no
longer carried; the Koffer imports such a partial package without touching what it does
not name. In one process, like tests/field/test_paket.py."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from koffer.field.geraete import services as geraete
from koffer.field.models import Abholstand, Ausleihe, Stand
from koffer.field.paket import selectors, services
from koffer.field.unterwegs import verfall
from koffer.records import services as records
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import (
    Akte,
    AkteSubjekt,
    AkteZugriff,
    BgMitglied,
    Dokument,
    Frist,
    Person,
    Vorgang,
    VorgangSchritt,
    Wiedervorlage,
)
from koffer.tenancy.models import Mandant
from tests.field.conftest import paket_json
from tests.field.paket_bestand import Bestand, bestand

pytestmark = pytest.mark.django_db


@pytest.fixture
def daten(tenant: Mandant) -> Bestand:
    return bestand(tenant, akten=2, dokumente=3)


def _wire(paket: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(paket))


def _models(paket: dict[str, Any]) -> Counter[str]:
    return Counter(o["model"] for o in paket["objekte"])


def _pks(paket: dict[str, Any], model: str) -> set[str]:
    return {o["pk"] for o in paket["objekte"] if o["model"] == model}


def _voll_eingespielt(daten: Bestand) -> dict[str, Any]:
    paket = _wire(selectors.bauen(geraet=daten.geraet))
    assert paket["vollstaendig"] is True
    services.einspielen(paket)
    assert Abholstand.objects.for_tenant(daten.tenant).get().stand == paket["stand"]
    return paket


def _person(akte: Akte) -> Person:
    subjekt = AkteSubjekt.objects.for_tenant(akte.tenant_id).filter(akte=akte).first()
    assert subjekt is not None
    return Person.objects.for_tenant(akte.tenant_id).get(pk=subjekt.person_id)


def _zeilen_der_akte(akte: Akte) -> int:
    """The rows of one Akte a package carries besides its documents."""
    t = akte.tenant_id
    subjekte = set(
        AkteSubjekt.objects.for_tenant(t).filter(akte=akte).values_list("person_id", flat=True)
    )
    mitglieder = set(
        BgMitglied.objects.for_tenant(t)
        .filter(bg_id=akte.bg_id)
        .values_list("person_id", flat=True)
    )
    return (
        1
        + len(subjekte)
        + len(subjekte | mitglieder)  # the persons
        + (1 if akte.bg_id else 0)
        + len(mitglieder)
        + AkteZugriff.objects.for_tenant(t).filter(akte=akte).count()
        + Ausleihe.objects.for_tenant(t).filter(akte=akte, zurueck_am__isnull=True).count()
        + Vorgang.objects.for_tenant(t).filter(akte=akte).count()
        + VorgangSchritt.objects.for_tenant(t).filter(vorgang__akte=akte).count()
        + Frist.objects.for_tenant(t).filter(vorgang__akte=akte).count()
        + Wiedervorlage.objects.for_tenant(t).filter(akte=akte).count()
    )


def test_a_partial_pull_brings_an_office_change_and_nothing_else(daten: Bestand) -> None:
    voll = _voll_eingespielt(daten)
    geaendert, unberuehrt = daten.akten
    stand_vorher = Stand.objects.for_tenant(daten.tenant).get(
        modell="records.akte", objekt_id=str(unberuehrt.pk)
    )

    # nothing changed: an empty answer
    leer = _wire(selectors.bauen(geraet=daten.geraet, seit=voll["stand"]))
    assert leer["vollstaendig"] is False
    assert leer["objekte"] == [] and leer["blobs"] == [] and leer["entfernt"] == []

    person = _person(geaendert)
    records.change_person(actor=daten.worker, person=person, street="Neue Straße 7")
    teil = _wire(selectors.bauen(geraet=daten.geraet, seit=voll["stand"]))

    assert teil["vollstaendig"] is False
    assert teil["seit"] == voll["stand"] and teil["stand"] > voll["stand"]
    # the changed Akte's rows, no document, nothing of the other Akte or the catalogue
    assert _pks(teil, "records.akte") == {str(geaendert.pk)}
    zeilen = _models(teil)
    assert zeilen["records.dokument"] == 0 and zeilen["records.dokumentversion"] == 0
    assert not {m for m in zeilen if m.startswith(("forms.", "outbox."))}
    assert zeilen["accounts.membership"] == 0 and zeilen["field.geraet"] == 0
    ohne_konten = sum(n for m, n in zeilen.items() if m not in {"accounts.user"})
    assert ohne_konten == _zeilen_der_akte(geaendert) + zeilen["tenancy.organisationseinheit"]
    # Of the untouched Akte only the ids of what is there (so that the Koffer notices a
    # row removed there, whatever removed it): no row.
    assert str(unberuehrt.pk) not in json.dumps({k: v for k, v in teil.items() if k != "bestand"})
    assert str(unberuehrt.pk) in teil["bestand"]["akten"]
    assert teil["blobs"] == []
    assert len(teil["objekte"]) < len(voll["objekte"]) / 4

    ergebnis = services.einspielen(teil)
    assert ergebnis.vollstaendig is False and ergebnis.akten == 1 and ergebnis.dokumente == 0
    basis = Stand.objects.for_tenant(daten.tenant).get(
        modell="records.person", objekt_id=str(person.pk)
    )
    assert basis.felder["street"] == "Neue Straße 7"
    assert basis.paket_erstellt.isoformat() == teil["erstellt"]
    # rows the partial package does not name keep their base version
    nachher = Stand.objects.for_tenant(daten.tenant).get(pk=stand_vorher.pk)
    assert nachher.paket_erstellt == stand_vorher.paket_erstellt
    assert nachher.felder == stand_vorher.felder
    assert Abholstand.objects.for_tenant(daten.tenant).get().stand == teil["stand"]


def test_a_new_document_comes_alone_and_a_newly_checked_out_akte_comes_whole(
    daten: Bestand,
) -> None:
    voll = _voll_eingespielt(daten)
    alte = _pks(voll, "records.dokument")
    geraete.ausleihen(actor=daten.worker, geraet=daten.geraet, akten=[daten.fremd])
    neu = documents.ingest_file(
        actor=daten.worker,
        akte=daten.akten[0],
        file=naming.IncomingFile.from_bytes("Foto.txt", b"ein neues Dokument im Buero"),
    )
    assert neu.ok, neu.message
    teil = _wire(selectors.bauen(geraet=daten.geraet, seit=voll["stand"]))

    assert _pks(teil, "records.akte") == {str(daten.akten[0].pk), str(daten.fremd.pk)}
    assert teil["ganz"] == [str(daten.fremd.pk)]
    dokumente = Dokument.objects.for_tenant(daten.tenant)
    der_fremden = {str(d.pk) for d in dokumente.filter(akte=daten.fremd)}
    [neues] = {str(d.pk) for d in dokumente.filter(akte=daten.akten[0])} - alte
    assert len(der_fremden) == 3
    # the new document alone of the touched Akte, every document of the new one
    assert _pks(teil, "records.dokument") == der_fremden | {neues}
    ergebnis = services.einspielen(teil)
    assert ergebnis.akten == 2 and ergebnis.dokumente == 4


def _nach_dem_stand(tun: Callable[[], None]) -> Callable[..., Any]:
    """A query wrapper that runs ``tun`` (a write, committed in the test's transaction)
    right after the package's builder read its change marker: a write that lands while
    the package is being built."""
    gelaufen = False

    def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        nonlocal gelaufen
        result = execute(sql, *args)
        if not gelaufen and "audit_head" in sql and sql.lstrip().upper().startswith("SELECT"):
            gelaufen = True
            tun()
        return result

    return wrapper


def test_a_row_committed_while_the_package_is_built_is_not_lost(daten: Bestand) -> None:
    voll = _voll_eingespielt(daten)
    person = _person(daten.akten[1])

    def aendern() -> None:
        records.change_person(actor=daten.worker, person=person, email="neu@example.org")

    with connection.execute_wrapper(_nach_dem_stand(aendern)):
        waehrend = _wire(selectors.bauen(geraet=daten.geraet, seit=voll["stand"]))
    services.einspielen(waehrend)
    # whatever this answer carried, the next one carries the change again
    danach = _wire(selectors.bauen(geraet=daten.geraet, seit=waehrend["stand"]))
    personen = {o["pk"]: o["fields"] for o in danach["objekte"] if o["model"] == "records.person"}
    assert personen[str(person.pk)]["email"] == "neu@example.org"
    services.einspielen(danach)
    basis = Stand.objects.for_tenant(daten.tenant).get(
        modell="records.person", objekt_id=str(person.pk)
    )
    assert basis.felder["email"] == "neu@example.org"


def test_an_akte_whose_checkout_ended_is_named_and_wiped(
    daten: Bestand, settings: Any, tmp_path: Any
) -> None:
    settings.VAR_DIR = tmp_path
    voll = _voll_eingespielt(daten)
    zurueck = daten.akten[1]
    ausleihe = Ausleihe.objects.for_tenant(daten.tenant).get(akte=zurueck, zurueck_am__isnull=True)
    geraete.zurueckgeben(actor=daten.worker, ausleihe=ausleihe)

    teil = _wire(selectors.bauen(geraet=daten.geraet, seit=voll["stand"]))
    assert teil["entfernt"] == [str(zurueck.pk)]
    assert str(zurueck.pk) not in _pks(teil, "records.akte")
    # the full package names it too
    assert _wire(selectors.bauen(geraet=daten.geraet))["entfernt"] == [str(zurueck.pk)]

    ergebnis = services.einspielen(teil)
    assert ergebnis.entfernt == [str(zurueck.pk)]
    [weg] = verfall.beendete_abwischen(akte_ids=ergebnis.entfernt)
    assert weg.akte_id == zurueck.pk and weg.zeilen > 0
    assert not Akte.objects.for_tenant(daten.tenant).filter(pk=zurueck.pk).exists()
    assert not Stand.objects.for_tenant(daten.tenant).filter(objekt_id=str(zurueck.pk)).exists()
    assert Akte.objects.for_tenant(daten.tenant).filter(pk=daten.akten[0].pk).exists()


def test_the_full_package_is_the_fallback(daten: Bestand) -> None:
    voll = _voll_eingespielt(daten)
    # a marker the office never gave (another database): the whole package
    fremd = _wire(selectors.bauen(geraet=daten.geraet, seit=voll["stand"] + 1000))
    assert fremd["vollstaendig"] is True and fremd["seit"] is None
    assert _pks(fremd, "records.dokument") == _pks(voll, "records.dokument")
    # the Koffer asks for the whole package without a marker, or when it is too old
    # only once the files of the last package arrived
    assert services.abholstand(hoechstens_alt=timedelta(days=14)) is None
    services.dateien_geholt()
    assert services.abholstand(hoechstens_alt=timedelta(days=14)) == voll["stand"]
    assert services.abholstand(hoechstens_alt=timedelta(days=-1)) is None
    Abholstand.objects.for_tenant(daten.tenant).delete()
    assert services.abholstand(hoechstens_alt=timedelta(days=14)) is None


def test_the_api_answers_changes_since(daten: Bestand) -> None:
    _, token = geraete.koppeln(code=daten.kopplungscode)
    koffer = Client(headers={"Authorization": f"Bearer {token}"})
    voll = paket_json(koffer.get("/api/v1/koffer/paket"))
    assert voll["vollstaendig"] is True and isinstance(voll["stand"], int)
    teil = paket_json(koffer.get(f"/api/v1/koffer/paket?seit={voll['stand']}"))
    assert teil["vollstaendig"] is False and teil["objekte"] == []
    assert koffer.get("/api/v1/koffer/paket?seit=abc").status_code in {400, 422}
