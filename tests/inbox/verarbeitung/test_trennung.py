"""Splitting a scan at separator sheets: every page ends up in exactly one document or in
the separators, in order, and what looks wrong is reported, never dropped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koffer.inbox.verarbeitung.codes import Code
from koffer.inbox.verarbeitung.trennung import Teil, Trennung, split

SEP = "KOFFER-TRENNBLATT"


def codes_on(*pages: int, text: str = SEP, format: str = "QRCode") -> list[Code]:
    return [Code(page=p, format=format, text=text) for p in pages]


def pages_of(result: Trennung) -> list[tuple[int, ...]]:
    return [t.pages for t in result.teile]


def problem_codes(result: Trennung) -> list[str]:
    return [code for code, _ in result.problems]


def test_no_separator_is_one_document_of_all_pages():
    result = split(4, [])
    assert result == Trennung([Teil((0, 1, 2, 3))], [], [])


def test_other_codes_do_not_separate():
    codes = codes_on(1, text="KOFFER:A1:ABC:DEF") + codes_on(2, text="4711", format="Code128")
    assert split(3, codes) == Trennung([Teil((0, 1, 2))], [], [])


def test_separators_between_documents_are_removed_and_listed():
    result = split(7, codes_on(2, 5))
    assert pages_of(result) == [(0, 1), (3, 4), (6,)]
    assert result.separators == [2, 5]
    assert result.problems == []


def test_a_separator_before_the_first_document_is_normal():
    result = split(5, codes_on(0, 3))
    assert pages_of(result) == [(1, 2), (4,)]
    assert result.separators == [0, 3]
    assert result.problems == []


def test_a_separator_as_last_page_is_a_problem():
    result = split(4, codes_on(1, 3))
    assert pages_of(result) == [(0,), (2,)]
    assert result.separators == [1, 3]
    assert result.problems == [
        (
            "separator_last_page",
            "Trennblatt als letzte Seite (Seite 4): Vielleicht fehlt das Dokument danach "
            "oder es steht am Anfang der nächsten Datei.",
        )
    ]


def test_two_separators_with_nothing_between_make_no_empty_document():
    result = split(6, codes_on(2, 3))
    assert pages_of(result) == [(0, 1), (4, 5)]
    assert result.separators == [2, 3]
    assert result.problems == [
        (
            "empty_document",
            "Zwischen den Trennblättern auf Seite 3 und Seite 4 liegt kein Dokument.",
        )
    ]


def test_two_separators_at_the_start_are_an_empty_document():
    result = split(3, codes_on(0, 1))
    assert pages_of(result) == [(2,)]
    assert problem_codes(result) == ["empty_document"]


def test_three_separators_in_a_row_are_two_empty_documents():
    result = split(5, codes_on(1, 2, 3))
    assert pages_of(result) == [(0,), (4,)]
    assert problem_codes(result) == ["empty_document", "empty_document"]


def test_two_separators_at_the_end_are_both_problems():
    result = split(4, codes_on(2, 3))
    assert pages_of(result) == [(0, 1)]
    assert problem_codes(result) == ["empty_document", "separator_last_page"]


def test_a_file_of_separators_only_makes_no_document():
    result = split(2, codes_on(0, 1))
    assert result == Trennung(
        [],
        [0, 1],
        [
            (
                "only_separators",
                "Die Datei enthält nur Trennblätter (Seiten 1 und 2) und kein Dokument.",
            )
        ],
    )


def test_a_single_separator_page_is_a_file_of_separators_only():
    result = split(1, codes_on(0))
    assert result.teile == []
    assert result.separators == [0]
    assert result.problems == [
        ("only_separators", "Die Datei enthält nur Trennblätter (Seite 1) und kein Dokument.")
    ]


def test_a_page_with_a_separator_and_another_code_is_a_separator():
    codes = codes_on(1) + codes_on(1, text="KOFFER:A1:ABC:DEF")
    result = split(3, codes)
    assert pages_of(result) == [(0,), (2,)]
    assert result.separators == [1]


def test_a_separator_code_found_twice_on_a_page_counts_once():
    result = split(3, codes_on(1, 1) + codes_on(1, format="DataMatrix"))
    assert pages_of(result) == [(0,), (2,)]
    assert result.separators == [1]
    assert result.problems == []


def test_per_file_keeps_every_page_in_one_document_and_says_so():
    result = split(3, codes_on(1), per_file=True)
    assert pages_of(result) == [(0, 1, 2)]
    assert result.separators == []
    assert result.problems == [
        (
            "separator_ignored",
            "Auf Seite 2 ist ein Trennblatt, die Datei wird aber als ein Dokument geliefert: "
            "Die Seite bleibt im Dokument.",
        )
    ]


def test_per_file_without_separators_is_one_document():
    assert split(2, [], per_file=True) == Trennung([Teil((0, 1))], [], [])


def test_a_pattern_of_its_own():
    codes = codes_on(1, text="PATCH T") + codes_on(3, text="PATCH 2")
    result = split(5, codes, pattern=r"^PATCH T$")
    assert pages_of(result) == [(0,), (2, 3, 4)]
    assert result.separators == [1]


def test_the_pattern_is_searched_in_the_text():
    result = split(3, codes_on(1, text="Trenner: KOFFER-TRENNBLATT"), pattern="TRENNBLATT")
    assert result.separators == [1]


def test_the_default_pattern_wants_the_whole_text():
    result = split(3, codes_on(1, text="KOFFER-TRENNBLATT-ALT"))
    assert result.separators == []
    assert pages_of(result) == [(0, 1, 2)]


def test_codes_outside_the_file_are_ignored():
    result = split(2, codes_on(5, -1))
    assert pages_of(result) == [(0, 1)]
    assert result.separators == []


def test_a_file_without_pages():
    assert split(0, []) == Trennung([], [], [("no_pages", "Die Datei enthält keine Seiten.")])


def test_a_bad_pattern_is_the_callers_error():
    import re

    with pytest.raises(re.error):
        split(2, codes_on(0), pattern="(")


@given(
    st.integers(min_value=1, max_value=40).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.integers(min_value=0, max_value=n - 1)),
            st.lists(st.integers(min_value=0, max_value=n - 1)),
        )
    )
)
def test_every_page_is_in_exactly_one_document_or_a_separator(layout):
    count, separator_pages, other_pages = layout
    codes = codes_on(*separator_pages) + codes_on(*other_pages, text="KOFFER:A1:X:Y")
    result = split(count, codes)

    in_teile = [p for teil in result.teile for p in teil.pages]
    assert sorted(in_teile + result.separators) == list(range(count))
    assert in_teile == sorted(in_teile)  # in the scan's order
    assert result.separators == sorted(set(separator_pages))
    assert all(teil.pages for teil in result.teile)  # never an empty document
    # Every document is a run of pages without a separator in between.
    for teil in result.teile:
        assert list(teil.pages) == list(range(teil.pages[0], teil.pages[-1] + 1))
    # Problems exactly when the layout looks wrong.
    seps = set(separator_pages)
    if seps and len(seps) == count:
        assert problem_codes(result) == ["only_separators"]
    else:
        empties = sum(1 for p in seps if p - 1 in seps)
        expected = ["empty_document"] * empties
        if count - 1 in seps:
            expected.append("separator_last_page")
        assert problem_codes(result) == expected
