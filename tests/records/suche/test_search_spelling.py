"""Search as caseworkers type (issue 14): one spelling for index and query (Yilmaz/Yılmaz,
Strasse/Straße, Mueller/Müller), compounds (Heizkosten → Heizkostenabrechnung), parts of an
Aktenzeichen, title words, snippets cut at word edges, and no promise of OCR. Runs on
SQLite and PostgreSQL (``python -m tests.pgserver -- pytest tests/records/test_search_spelling.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from koffer.accounts.models import User
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.records.selectors import Viewer
from koffer.records.suche import services as search
from koffer.records.suche.backends import folding
from koffer.records.suche.backends.query import parse
from koffer.records.suche.backends.snippets import Highlighter, snippet
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests.records.suche.test_search import found, open_akte, store, viewer


@pytest.fixture(autouse=True)
def _blobs(tmp_path: Path) -> Iterator[None]:
    with override_settings(KOFFER_BLOB_DIR=tmp_path / "blobs", VAR_DIR=tmp_path / "var"):
        yield


@pytest.fixture
def me(team_caseworker: User, tenant: Mandant) -> Viewer:
    return viewer(team_caseworker, tenant)


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Yılmaz", "yilmaz"),
        ("YILMAZ", "yilmaz"),
        ("İlkay", "ilkay"),
        ("Straße", "strasse"),
        ("Müller", "mueller"),
        ("MÜLLER", "mueller"),
        ("Mu\u0308ller", "mueller"),  # u + combining diaeresis
        ("Gärtner", "gaertner"),
        ("Böhm", "boehm"),
        ("José", "jose"),
        ("Hélène", "helene"),
        ("Łukasz", "lukasz"),
        ("Søren", "soren"),
        ("Dvořák", "dvorak"),
    ],
)
def test_fold(typed: str, folded: str) -> None:
    assert folding.fold(typed) == folded


def test_database_folds_like_python(db: None) -> None:
    """``koffer_fold`` in SQL (the name index) agrees with ``folding.fold`` letter for letter."""
    names = [
        "Yılmaz",
        "Straße",
        "Müller",
        "ÄÖÜ äöü ß",
        "José",
        "Łukasz",
        "Søren",
        "Nguyễn",
        "O'Neil",
    ]
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute("SELECT koffer_fold(%s)", [name])
            assert cursor.fetchone()[0] == folding.fold(name), name


def test_migration_has_the_current_fold_function() -> None:
    """The PostgreSQL function is frozen in migration 0007: a change of the table needs a new
    migration."""
    from importlib import import_module

    migration = import_module("koffer.records.migrations.0007_search_folding")
    assert folding.postgres_function_sql() == migration.FOLD_FUNCTION


# --- Full text --------------------------------------------------------------------------------


def test_transliteration_in_both_directions(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    store(akte, team_caseworker, "Gespräch mit Frau Yılmaz über die Miete.", "Vermerk Yılmaz")
    store(akte, team_caseworker, "Schreiben von Herrn Yilmaz zur Heizung.", "Brief Yilmaz")
    store(akte, team_caseworker, "Wohnt in der Hauptstraße 5.", "Meldebescheinigung")
    store(akte, team_caseworker, "Vermieter ist Herr Müller.", "Mietvertrag")
    store(akte, team_caseworker, "Rückfrage von José Pérez, Łódź.", "Rückfrage")

    both = ["Brief Yilmaz", "Vermerk Yılmaz"]
    assert sorted(found(me, "Yilmaz")) == both
    assert sorted(found(me, "Yılmaz")) == both
    assert sorted(found(me, "YILMAZ")) == both
    assert found(me, "Hauptstrasse") == ["Meldebescheinigung"]
    assert found(me, "Hauptstraße") == ["Meldebescheinigung"]
    assert found(me, "Mueller") == ["Mietvertrag"]
    assert found(me, "Müller") == ["Mietvertrag"]
    assert found(me, "Muller") == ["Mietvertrag"]  # the stemmer folds further
    assert found(me, "Jose Perez") == ["Rückfrage"]
    assert found(me, "Lodz") == ["Rückfrage"]

    [hit] = search.search(me, "Yilmaz Miete").hits
    assert "<mark>Yılmaz</mark>" in hit.snippet
    assert "<mark>Yılmaz</mark>" in hit.title_html
    [hit] = search.search(me, "Mueller").hits
    assert "<mark>Müller</mark>" in hit.snippet


def test_compound_words(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    store(akte, team_caseworker, "Die Heizkostenabrechnung 2025 liegt bei.", "Nachweis")
    store(akte, team_caseworker, "Nachzahlung laut Betriebskostenabrechnung.", "Vermieter")
    store(akte, team_caseworker, "Anbei die Unterlagen.", "Heizkostenabrechnung 2024")

    assert sorted(found(me, "Heizkosten")) == ["Heizkostenabrechnung 2024", "Nachweis"]
    assert sorted(found(me, "heizkosten")) == ["Heizkostenabrechnung 2024", "Nachweis"]
    assert found(me, "Betriebskosten") == ["Vermieter"]
    assert found(me, "Betriebskostenabrechnung") == ["Vermieter"]  # longer than PREFIX_LENGTHS
    assert found(me, "Heizk*") == ["Heizkostenabrechnung 2024", "Nachweis"] or sorted(
        found(me, "Heizk*")
    ) == ["Heizkostenabrechnung 2024", "Nachweis"]
    assert found(me, '"Heizkosten"') == []  # in quotes: only the word itself
    [hit] = search.search(me, "Heizkosten 2025").hits
    assert "<mark>Heizkostenabrechnung</mark>" in hit.snippet


def test_title_words_find_their_documents(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    store(akte, team_caseworker, "Inhalt ohne Stichwort.", "Kontoauszüge Januar bis März")
    assert found(me, "Kontoauszüge") == ["Kontoauszüge Januar bis März"]
    assert found(me, "Kontoauszug") == ["Kontoauszüge Januar bis März"]
    assert found(me, "Januar Kontoauszuege") == ["Kontoauszüge Januar bis März"]


def test_numbers_match_only_themselves(akte: Akte, team_caseworker: User, me: Viewer) -> None:
    store(akte, team_caseworker, "Ihr Zeichen JA-2026-000002 vom 3. März.", "Antwort")
    store(akte, team_caseworker, "Ihr Zeichen JA-2026-0000021.", "Andere")
    assert found(me, "000002") == ["Antwort"]
    assert found(me, "JA-2026-000002") == ["Antwort"]


# --- Akte finder ------------------------------------------------------------------------------


def test_finder_folds_names(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, me: Viewer
) -> None:
    yilmaz = open_akte(tenant, plan, team, "Yılmaz", "Ayşe")
    mueller = open_akte(tenant, plan, team, "Müller", "Jürgen")
    strauss = open_akte(tenant, plan, team, "Strauß", "Anna")
    for typed in ("Yilmaz", "yılmaz", "YILMAZ", "Yil", "Ayse Yilmaz", "Yilmaz, Ayşe"):
        assert [h.akte_id for h in search.find_akten(me, typed)] == [yilmaz.pk], typed
    for typed in ("Mueller", "Müller", "mue", "Müller, Juergen"):
        assert [h.akte_id for h in search.find_akten(me, typed)] == [mueller.pk], typed
    for typed in ("Strauss", "Strauß"):
        assert [h.akte_id for h in search.find_akten(me, typed)] == [strauss.pk], typed
    # In the search form's person filter, too.
    assert search.search(me, "", search.SearchFilters(person="Yilmaz, Ayse")).searched


def test_finder_takes_a_part_of_the_aktenzeichen(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, me: Viewer
) -> None:
    first = open_akte(tenant, plan, team, "Erste")
    second = open_akte(tenant, plan, team, "Zweite")
    number = second.aktenzeichen.rsplit("-", 1)[-1]  # the running number, e.g. "00002"
    assert number not in first.aktenzeichen
    [hit] = search.find_akten(me, number)
    assert hit.akte_id == second.pk and hit.matched == "Aktenzeichen"
    middle = second.aktenzeichen[2:]
    assert second.pk in [h.akte_id for h in search.find_akten(me, middle)]
    assert search.find_akten(me, "999999") == []


# --- Snippets ---------------------------------------------------------------------------------


def test_snippet_starts_and_ends_at_a_word_boundary() -> None:
    text = (
        ("Vorbemerkung\nzum\tAntrag " * 30)
        + "Der Heizkostenabrechnung liegt bei. "
        + ("Nachsatz mit Langwörtern " * 30)
    )
    html = str(snippet(text, Highlighter(parse("Heizkosten"))))
    assert html.startswith("… ") and html.endswith(" …")
    inner = html[2:-2]
    words = {w for w in text.split()}
    assert inner.split()[0] in words, inner[:30]
    assert inner.split()[-1] in words, inner[-30:]
    assert "<mark>Heizkostenabrechnung</mark>" in html


def test_snippet_of_one_endless_word_is_cut_at_the_next_boundary() -> None:
    text = "a" * 500 + " Bescheid " + "b" * 500
    html = str(snippet(text, Highlighter(parse("Bescheid"))))
    assert "<mark>Bescheid</mark>" in html
    assert "a" not in html.replace("mark", "")  # the endless word is left out, not cut


def test_search_snippet_from_database_starts_at_a_word(
    akte: Akte, team_caseworker: User, me: Viewer
) -> None:
    filler = " ".join(["Verwaltungsvorgang"] * 40)
    store(akte, team_caseworker, f"{filler} Die Heizkostenabrechnung. {filler}", "Nachweis")
    [hit] = search.search(me, "Heizkosten").hits
    assert hit.snippet.startswith("… Verwaltungsvorgang ") or hit.snippet.startswith("… Die")
    assert hit.snippet.endswith(" …")
    assert "<mark>Heizkostenabrechnung</mark>" in hit.snippet


# --- No promise of OCR ------------------------------------------------------------------------


def test_pages_promise_no_ocr() -> None:
    from koffer import records
    from koffer.records.dokumente import content as documents

    root = Path(records.__file__).parent / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        assert "OCR folgt" not in text, template
        assert "steht noch aus" not in text, template
    assert "vorgemerkt" not in documents.NEEDS_OCR_NOTE
    assert "nicht durchsuchbar" in documents.NEEDS_OCR_NOTE
    for name in ("_dokumente_liste.html", "dokument_detail.html"):
        assert "nicht durchsuchbar" in (root / "records" / name).read_text(), name
