"""Typesetting: values print as written, the body reads no files, template errors come
back with their line and column in the body."""

from __future__ import annotations

import dataclasses

import pytest

from koffer.outbox.satz import Satzfehler, muster, setze
from tests.outbox.satz import messen


def body_letter(body: str, **werte: str) -> bytes:
    return setze(dataclasses.replace(muster("A"), body=body, werte=werte))


def test_markup_in_values_and_data_prints_literally():
    hostile = '#set text(fill: red) $x^2$ #read("/etc/passwd") ] *fett* <label> @ref'
    letter = setze(
        dataclasses.replace(
            muster("A"),
            body='Wert: #wert("name")',
            werte={"name": hostile},
            betreff="Betreff mit #set page(margin: 0mm) und $y$",
            anschrift=dataclasses.replace(muster("A").anschrift, namen=("#strong[Herr] $x$",)),
        )
    )
    text = messen.page_text(letter, 0)
    assert hostile in text
    assert "Betreff mit #set page(margin: 0mm) und $y$" in text
    assert "#strong[Herr] $x$" in text


def test_an_unknown_placeholder_prints_its_key():
    assert "[akte.unbekannt]" in messen.page_text(body_letter('Hallo #wert("akte.unbekannt")'), 0)


@pytest.mark.parametrize(
    "body",
    [
        '#read("/etc/passwd")',
        '#read("../../../../etc/passwd")',
        '#image("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")',
        '#image("/pyproject.toml")',
        '#json("/src/koffer/settings.py")',
    ],
)
def test_the_body_cannot_read_files(body):
    with pytest.raises(Satzfehler) as caught:
        body_letter(f"Sehr geehrte Damen und Herren,\n\n{body}\n")
    assert caught.value.line == 3
    assert caught.value.column == body.index('"') + 1  # the path

    assert "searched at" not in caught.value.message  # no path of the machine shown


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ('Text\n  #include "/README.md"', "include"),
        ('#import "@preview/example:0.1.0": add', "import"),
        ('#{\n  import "/x.typ"\n}', "import"),
    ],
)
def test_includes_and_package_imports_are_refused_before_typst_runs(body, word):
    with pytest.raises(Satzfehler) as caught:
        body_letter(body)
    assert word in caught.value.message
    first = body.index(word)
    assert caught.value.line == body.count("\n", 0, first) + 1
    assert caught.value.column == first - body.rfind("\n", 0, first)


@pytest.mark.parametrize(
    "call",
    [
        '#eval("1 + 1")',
        '#plugin(bytes(""))',
        # a package import built from pieces would pass the keyword check
        '#(std.eval)("#imp" + "ort \\"@preview/example:0.1.0\\"", mode: "markup")',
        '#let e = std.eval; #e("1")',
    ],
)
def test_eval_and_plugins_are_shadowed(call):
    with pytest.raises(Satzfehler) as caught:
        body_letter(f"Erste Zeile\n{call}")
    assert "nicht erlaubt" in caught.value.message
    assert caught.value.line == 2


def test_syntax_error_has_line_and_column_in_the_body():
    body = "Sehr geehrte Frau Beispiel,\n\nbitte senden Sie uns\n#strong[die Unterlagen\n\nMit freundlichen Grüßen\n"
    with pytest.raises(Satzfehler) as caught:
        body_letter(body)
    assert (caught.value.line, caught.value.column) == (4, 8)  # the unclosed "["
    assert "Zeile 4, Spalte 8" in str(caught.value)


def test_unknown_function_error_points_at_the_call():
    with pytest.raises(Satzfehler) as caught:
        body_letter("Zeile eins\nZeile zwei #gibtsnicht(1)")
    assert "unknown variable" in caught.value.message
    assert (caught.value.line, caught.value.column) == (2, 13)


def test_a_wrong_argument_to_wert_names_the_calling_line():
    with pytest.raises(Satzfehler) as caught:
        body_letter("Eins\nZwei\n#wert(3)")
    assert caught.value.line == 3


def test_a_stray_closing_bracket_is_found_in_the_body():
    with pytest.raises(Satzfehler) as caught:
        body_letter("Eins\nZwei ] drei")
    assert (caught.value.line, caught.value.column) == (2, 6)
    assert "\\]" in caught.value.message  # typst's hint: escape it


def test_an_error_outside_the_body_has_no_position():
    brief = muster("A")
    broken_logo = dataclasses.replace(brief.briefkopf, logo_svg="<svg kaputt")
    with pytest.raises(Satzfehler) as caught:
        setze(dataclasses.replace(brief, briefkopf=broken_logo))
    assert caught.value.line is None
    assert "SVG" in str(caught.value)


def test_device_colours_without_a_profile_are_refused_by_typst():
    with pytest.raises(Satzfehler) as caught:
        body_letter("#text(fill: cmyk(0%, 50%, 0%, 10%))[Farbe]")
    assert "CMYK" in caught.value.message
