"""Which Akte a scanned document belongs to (issue 15): identifiers count most, name and
birth date much, a name alone little; near-duplicate people never give a confident
suggestion; the cost does not grow with the Mandant."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from koffer.accounts.models import User
from koffer.inbox.verarbeitung.merkmale import Merkmale, PersonHinweis, extract
from koffer.inbox.verarbeitung.zuordnung import FILING_THRESHOLD, Vorschlag, suggest
from koffer.records import services
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests.inbox.verarbeitung.conftest import OpenAkte

BORN = date(1980, 2, 1)
_seq = itertools.count(1)


def clues(**given: object) -> Merkmale:
    values: dict[str, object] = {
        "aktenzeichen": [],
        "bg_nummern": [],
        "kundennummern": [],
        "gerichtsaktenzeichen": [],
        "personen": [],
        "letter_date": None,
    }
    return Merkmale(**{**values, **given})  # type: ignore[arg-type]


def person(family: str, given: str = "", born: date | None = None) -> PersonHinweis:
    return PersonHinweis(family, given, born)


def best(tenant: Mandant, merkmale: Merkmale) -> Vorschlag | None:
    found = suggest(tenant.pk, merkmale)
    return found[0] if found else None


def test_aktenzeichen_read_with_ocr_slips_is_very_confident(
    tenant: Mandant, open_akte: OpenAkte
) -> None:
    akte = open_akte("Mustermann", "Max", BORN)
    open_akte("Andere", "Eva")
    slipped = akte.aktenzeichen.replace("0", "O").replace("LA", "lA")
    top = best(tenant, extract(f"Ihr Zeichen: {slipped}\nSehr geehrte Damen und Herren,"))
    assert top is not None and top.akte_id == akte.pk
    assert top.confidence >= 0.95
    assert f"Aktenzeichen {akte.aktenzeichen} steht im Text" in top.reasons


def test_bg_nummer_and_kundennummer_are_high(tenant: Mandant, open_akte: OpenAkte) -> None:
    akte = open_akte("Mustermann", "Max", BORN, kundennummer="123D456789")
    assert akte.bg is not None
    by_bg = best(tenant, clues(bg_nummern=[akte.bg.bg_nummer]))
    assert by_bg is not None and by_bg.akte_id == akte.pk and by_bg.confidence >= 0.9
    assert by_bg.reasons == [f"BG-Nummer {akte.bg.bg_nummer} steht im Text"]
    by_number = best(tenant, extract("Kundennummer: 123 D 4S6789"))
    assert by_number is not None and by_number.akte_id == akte.pk
    assert by_number.confidence >= 0.9
    assert by_number.reasons == ["Kundennummer 123D456789 steht im Text"]


def test_bundesagentur_spelling_of_a_bg_nummer(tenant: Mandant, open_akte: OpenAkte) -> None:
    akte = open_akte("Mustermann", "Max", BORN, bg_nummer="12345BG0000123")
    top = best(tenant, extract("BG-Nummer: 12345//0000123"))
    assert top is not None and top.akte_id == akte.pk and top.confidence >= 0.9


def test_name_and_birth_date_of_one_akte_is_high(tenant: Mandant, open_akte: OpenAkte) -> None:
    akte = open_akte("Mustermann", "Max", BORN)
    open_akte("Mustermann", "Erika", date(1982, 5, 5))
    top = best(tenant, extract("Max Mustermann, geb. 01.02.1980, Musterweg 1"))
    assert top is not None and top.akte_id == akte.pk
    assert top.confidence >= FILING_THRESHOLD
    assert top.reasons == ["Max Mustermann, geb. 01.02.1980, passt zu einer Person der Akte"]


def test_same_name_other_birth_date_is_not_confident(tenant: Mandant, open_akte: OpenAkte) -> None:
    open_akte("Mustermann", "Max", date(1975, 3, 3))
    found = suggest(tenant.pk, extract("Max Mustermann, geb. 01.02.1980"))
    assert all(v.confidence < 0.3 for v in found)
    assert found[0].reasons == ["der Name Max Mustermann passt, das Geburtsdatum 01.02.1980 nicht"]


def test_umlaut_spelled_out_is_the_same_name(tenant: Mandant, open_akte: OpenAkte) -> None:
    akte = open_akte("Müller", "Jürgen", BORN)
    top = best(tenant, extract("Herrn Juergen Mueller\ngeb. am 01.02.1980"))
    assert top is not None and top.akte_id == akte.pk
    assert top.confidence >= FILING_THRESHOLD


def test_birth_name_matches_both_ways(tenant: Mandant, open_akte: OpenAkte) -> None:
    married = open_akte("Müller", "Jana", BORN, birth_name="Schmidt")
    by_birth_name = best(tenant, extract("Jana Schmidt, geb. 01.02.1980"))
    assert by_birth_name is not None and by_birth_name.akte_id == married.pk
    assert 0.75 <= by_birth_name.confidence < FILING_THRESHOLD
    assert "als Geburtsname" in by_birth_name.reasons[0]
    not_updated = open_akte("Schulz", "Mara", date(1990, 7, 7))
    letter = "Frau Mara Becker (geb. Schulz), geboren am 07.07.1990"
    top = best(tenant, extract(letter))
    assert top is not None and top.akte_id == not_updated.pk and top.confidence >= 0.9


def test_one_ocr_slip_in_the_family_name(tenant: Mandant, open_akte: OpenAkte) -> None:
    akte = open_akte("Mustermann", "Max", BORN)
    top = best(tenant, extract("Max Mustermarm, geb. 01.02.1980"))
    assert top is not None and top.akte_id == akte.pk
    assert 0.75 <= top.confidence < FILING_THRESHOLD
    without_birth = suggest(tenant.pk, extract("Sehr geehrter Herr Mustermarm,"))
    assert without_birth == []


def test_same_person_twice_in_two_akten_is_not_confident(
    tenant: Mandant, open_akte: OpenAkte
) -> None:
    one = open_akte("Mustermann", "Max", BORN)
    two = open_akte("Mustermann", "Max", BORN)
    found = suggest(tenant.pk, extract("Max Mustermann, geb. 01.02.1980"))
    assert {v.akte_id for v in found} == {one.pk, two.pk}
    assert all(v.confidence <= 0.5 for v in found)
    assert "passt auf 2 offene Akten" in found[0].reasons[0]


def test_name_only_stays_low(tenant: Mandant, open_akte: OpenAkte) -> None:
    akte = open_akte("Özdemir", "Ali", BORN)
    found = suggest(tenant.pk, clues(personen=[person("Özdemir", "Ali"), person("Ozdemir", "Ali")]))
    assert [v.akte_id for v in found] == [akte.pk]
    assert found[0].confidence <= 0.5
    assert found[0].reasons[0] == "nur der Name Ali Özdemir passt (kein Geburtsdatum im Text)"


def test_conflicting_evidence_lowers_confidence(tenant: Mandant, open_akte: OpenAkte) -> None:
    x = open_akte("Mustermann", "Max", BORN)
    y = open_akte("Beispiel", "Anna", date(1986, 4, 12))
    text = f"Aktenzeichen: {x.aktenzeichen}\nAnna Beispiel, geb. 12.04.1986"
    found = suggest(tenant.pk, extract(text))
    assert [v.akte_id for v in found] == [x.pk, y.pk]
    assert all(v.confidence < FILING_THRESHOLD for v in found)
    assert found[0].reasons[-1] == (
        f"Widersprüchlich: für die Akte {y.aktenzeichen} spricht: "
        "Anna Beispiel, geb. 12.04.1986, passt zu einer Person der Akte"
    )


def test_only_open_akten_of_the_tenant(
    tenant: Mandant, other_tenant: Mandant, open_akte: OpenAkte, team_caseworker: User
) -> None:
    akte = open_akte("Mustermann", "Max", BORN)
    services.change_akte(
        actor=team_caseworker, akte=akte, status=Akte.Status.CLOSED, reason="erledigt"
    )
    merkmale = extract(f"Az.: {akte.aktenzeichen}\nMax Mustermann, geb. 01.02.1980")
    assert suggest(tenant.pk, merkmale) == []
    assert suggest(other_tenant.pk, merkmale) == []


def test_restricted_akte_reasons_name_only_its_aktenzeichen(
    tenant: Mandant, open_akte: OpenAkte
) -> None:
    akte = open_akte("Geheim", "Gerda", BORN, access_level="restricted")
    top = best(tenant, extract("Frau Gerda Geheim, geb. 01.02.1980"))
    assert top is not None and top.akte_id == akte.pk
    assert not any(akte.title in r for r in top.reasons)


def every_clue(open_akte: OpenAkte) -> tuple[Akte, Merkmale]:
    """An Akte and a letter naming it in every way (and a court file number)."""
    target = open_akte("Mustermann", "Max", BORN, kundennummer="123D456789")
    assert target.bg is not None
    text = (
        f"Az.: {target.aktenzeichen}\nBG-Nummer: {target.bg.bg_nummer}\nKundennummer 123D456789\n"
        "Max Mustermann, geb. 01.02.1980\nSehr geehrte Frau Beispiel,\nS 12 AS 345/26"
    )
    return target, extract(text)


def test_query_count_does_not_grow_with_the_mandant(tenant: Mandant, open_akte: OpenAkte) -> None:
    target, merkmale = every_clue(open_akte)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert suggest(tenant.pk, merkmale)[0].akte_id == target.pk
        return len(ctx.captured_queries)

    few = queries()
    for n in range(25):
        open_akte(f"Beispiel{n}", "Anna", date(1980, 1, 1 + n))
        open_akte("Beispiel", "Anna", date(1970, 1, 1 + n))
    assert queries() == few <= 12


@pytest.fixture
def _blobs(tmp_path: Path) -> Iterator[None]:
    with override_settings(KOFFER_BLOB_DIR=tmp_path / "blobs", VAR_DIR=tmp_path / "var"):
        yield


@pytest.mark.usefixtures("_blobs")
def test_court_file_number_in_an_earlier_document(
    tenant: Mandant, open_akte: OpenAkte, team_caseworker: User
) -> None:
    akte = open_akte("Mustermann", "Max", BORN)
    other = open_akte("Andere", "Eva")
    for target, text in (
        (akte, "Sozialgericht Musterstadt, Az. S 12 AS 345/26 ER, Ladung"),
        (other, "Sozialgericht Musterstadt, Az. S 12 AS 346/26"),
    ):
        result = documents.ingest_file(
            actor=team_caseworker,
            akte=target,
            file=naming.IncomingFile.from_bytes(
                "klage.txt", f"{text}\n(Nr. {next(_seq)})".encode()
            ),
            meta=documents.DocumentMeta(title="Schreiben des Gerichts"),
        )
        assert result.ok, result.message
    top = best(tenant, extract("In dem Rechtsstreit S 12 AS 345/26 ER wird mitgeteilt"))
    assert top is not None and top.akte_id == akte.pk and top.confidence >= 0.8
    assert "Gerichtsaktenzeichen S 12 AS 345/26 ER" in top.reasons[0]


def test_sqlite_plans_use_the_selective_index(tenant: Mandant, open_akte: OpenAkte) -> None:
    """No lookup walks the Mandant's tenant index or scans a table (SQLite has no
    statistics unless ANALYZE ran; the Aktenplan is small and read whole)."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL plans follow its statistics")
    _, merkmale = every_clue(open_akte)
    with CaptureQueriesContext(connection) as ctx:
        suggest(tenant.pk, merkmale)
    walks = []
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            for *_, step in cursor.fetchall():
                whole_tenant = step.endswith("(tenant_id=?)") and "aktenplaneinheit" not in step
                scan = step.startswith("SCAN") and "VIRTUAL TABLE" not in step
                if whole_tenant or scan:
                    walks.append(step)
    assert walks == []
