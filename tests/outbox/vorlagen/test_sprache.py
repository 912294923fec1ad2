"""The template language: every mistake with its position, typst calls that read files
refused (in a template and in a text block), and typst's positions mapped back through a
text block to what the administrator wrote."""

from __future__ import annotations

import pytest

from koffer.outbox.vorlagen import sprache
from koffer.outbox.vorlagen.sprache import Vorlagenfehler, pruefe_baustein, uebersetze

BLOCKS = {"rb": "Widerspruch bei {{ behoerde.name }}.\nZweite Zeile"}


def _fehler(text: str, **kw: object) -> Vorlagenfehler:
    with pytest.raises(Vorlagenfehler) as caught:
        uebersetze(text, bausteine=kw.pop("bausteine", BLOCKS), **kw)  # type: ignore[arg-type]
    return caught.value


def test_placeholders_become_calls_and_blocks_are_copied_in() -> None:
    done = uebersetze(
        "Hallo {{ person.name }}, {{ eingabe.frist }}.\n{{ baustein:rb }}",
        bausteine=BLOCKS,
        felder=frozenset({"frist"}),
    )
    assert done.text_satz == (
        'Hallo #wert("person.name");, #wert("eingabe.frist");.\n'
        'Widerspruch bei #wert("behoerde.name");.\nZweite Zeile'
    )
    assert done.platzhalter == ("person.name", "eingabe.frist", "behoerde.name")
    assert done.bausteine == ("rb",)


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("Hallo\n  {{ person.name", 2, 3, "ohne schließendes"),
        ("Hallo }} Welt", 1, 7, "ohne öffnendes"),
        ("a {{ b }} {{ c", 1, 11, "ohne schließendes"),
        (
            "Zeile\n\n{{ person.schuhgroesse }}",
            3,
            1,
            "Unbekannter Platzhalter „person.schuhgroesse“",
        ),
        ("x {{ eingabe.betrag }}", 1, 3, "Eingabefeld „betrag“ ist in dieser Vorlage nicht"),
        ("x\n {{ baustein:fehlt }}", 2, 2, "Unbekannter Textbaustein „fehlt“"),
    ],
)
def test_every_mistake_names_line_and_column(text: str, line: int, column: int, words: str) -> None:
    found = _fehler(text)
    assert (found.line, found.column, found.in_) == (line, column, "")
    assert words in found.message
    assert str(found).startswith(f"Zeile {line}, Spalte {column}: ")


def test_a_mistake_inside_a_text_block_names_the_block_and_its_own_position() -> None:
    blocks = {"rb": "Gut.\nDann {{ person.unbekannt }}"}
    found = _fehler("Vorlage\n{{ baustein:rb }}", bausteine=blocks)
    assert (found.line, found.column, found.in_) == (2, 6, "rb")
    assert str(found).startswith("Textbaustein „rb“, Zeile 2, Spalte 6: ")


def test_a_block_cannot_hold_a_block() -> None:
    found = _fehler("{{ baustein:a }}", bausteine={"a": "x {{ baustein:b }}", "b": "y"})
    assert (found.line, found.column, found.in_) == (1, 3, "a")


def test_a_block_alone_accepts_any_field_but_no_unknown_placeholder() -> None:
    pruefe_baustein("mw", "bis zum {{ eingabe.frist }} bei {{ behoerde.name }}")
    with pytest.raises(Vorlagenfehler) as caught:
        pruefe_baustein("mw", "a\n{{ eingabe.Frist! }}")
    assert (caught.value.line, caught.value.column, caught.value.in_) == (2, 1, "mw")


@pytest.mark.parametrize(
    ("call", "text"),
    [
        ("read", 'Hallo #read("/etc/passwd")'),
        ("include", '#include "geheim.typ"'),
        ("import", '#import "briefkopf.typ": *'),
        ("image", '#image("logo.png")'),
        ("json", '#json("daten.json")'),
        ("csv", '#csv("liste.csv")'),
        ("yaml", '#yaml("a.yaml")'),
        ("toml", '#toml("a.toml")'),
        ("xml", '#xml("a.xml")'),
        ("cbor", '#cbor("a.cbor")'),
        ("plugin", '#plugin("a.wasm")'),
    ],
)
def test_typst_calls_that_read_files_are_refused_with_their_position(call: str, text: str) -> None:
    found = _fehler("Sehr geehrte Damen und Herren,\n\n" + text)
    assert found.line == 3
    assert found.column == text.index(call) + 1
    assert f"„{call}“" in found.message and "nicht erlaubt" in found.message
    with pytest.raises(Vorlagenfehler) as in_block:
        pruefe_baustein("rb", "Erste Zeile\n" + text)
    assert (in_block.value.line, in_block.value.in_) == (2, "rb")
    copied = _fehler("{{ baustein:x }}", bausteine={"x": "a\n" + text})
    assert (copied.line, copied.in_) == (2, "x")


@pytest.mark.parametrize(
    "text",
    [
        '#box(image("a.png"))',  # an argument of another call
        '#let f = read\n#f("x")',  # an alias
        '#{\n  let daten = csv("x")\n}',  # a code block
        '$ json("x") $',  # math
        '#text(size: 12pt)[#yaml("x")]',  # a content block inside code
        '#std.read("x")',  # through the standard library's module
        '#eval("read(\\"x\\")")',  # text as code
        '#show: doc => { doc; toml("x") }',
    ],
)
def test_reading_is_refused_however_it_is_written(text: str) -> None:
    _fehler(text)


@pytest.mark.parametrize(
    "text",
    [
        "Bitte lesen (read) Sie das Merkblatt zum Import.",
        "Ein image-Text, import und xml als Wörter.",
        "#text(fill: blue)[Bitte read und json]",
        '`#read("x")` steht hier nur als Beispiel',
        '\\#read("x") ist maskiert',
        "*fett* und _kursiv_, #h(1cm) Abstand",
    ],
)
def test_words_in_the_letter_text_are_no_calls(text: str) -> None:
    uebersetze(text, bausteine={})


def test_a_typst_position_maps_back_through_a_block() -> None:
    blocks = {"rb": "Rechtsbehelf\nbei {{ behoerde.name }} #offen"}
    text = "Hallo {{ person.name }},\n{{ baustein:rb }}\nEnde"
    done = uebersetze(text, bausteine=blocks)
    lines = done.text_satz.split("\n")
    hash_ = lines[2].index("#offen") + 1
    assert done.herkunft(3, hash_, text=text, bausteine=blocks) == (2, 25, "rb")
    # the template's own text after the block
    assert done.herkunft(4, 2, text=text, bausteine=blocks) == (3, 2, "")
    # inside a placeholder call: the placeholder's position
    call = lines[0].index("#wert") + 3
    assert done.herkunft(1, call, text=text, bausteine=blocks) == (1, 7 + 2, "")


def test_the_catalogue_names_every_kind_of_source() -> None:
    prefixes = {key.split(".")[0] for key in sprache.KATALOG}
    assert {"person", "akte", "vorgang", "bg", "sachbearbeitung", "brief", "behoerde"} <= prefixes


def test_bold_left_open_is_found_at_its_own_star_not_in_the_block_after_it() -> None:
    # typst would pair the star with the block's first one and report the block's second
    found = _fehler(
        "Hallo,\n\nbitte *sofort melden.\n{{ baustein:rb }}",
        bausteine={"rb": "*Hinweis* zum Widerspruch"},
    )
    assert (found.line, found.column, found.in_) == (3, 7, "")
    block = _fehler("{{ baustein:rb }}", bausteine={"rb": "Gut.\n\n*offen"})
    assert (block.line, block.column, block.in_) == (3, 1, "rb")


@pytest.mark.parametrize(
    "text",
    [
        "*a* und *b*\n\n*c*",
        "ein \\* Sternchen",
        "#h(2*1cm) Abstand",
        "`a*b`",
        "*fett\nüber zwei Zeilen*",
    ],
)
def test_stars_that_are_closed_escaped_or_code_pass(text: str) -> None:
    uebersetze(text, bausteine={})
