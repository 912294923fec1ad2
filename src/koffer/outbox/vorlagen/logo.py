"""A letterhead's logo: an SVG file, checked before it is kept. Only a drawing: it parses
as XML without a DTD or entities (lxml, nothing resolved or fetched), its root is ``<svg>``, it holds no script,
no event handler, no embedded HTML and no reference to anything outside itself (links
only to ``#id`` within the file), it is at most 200 kB, and typst can draw it."""

from __future__ import annotations

import re

import typst
from lxml import etree

from koffer.outbox.errors import Invalid
from koffer.pdf import typesetting

MAX_BYTES = 200 * 1024
SVG = "{http://www.w3.org/2000/svg}"
_FORBIDDEN_TAGS = {"script", "foreignObject", "iframe", "embed", "object", "audio", "video"}
_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.IGNORECASE)
_FIELD = "logo"
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def _refuse(message: str) -> Invalid:
    return Invalid("logo_invalid", message, field=_FIELD)


def pruefe_logo(data: bytes) -> str:
    """The SVG text of ``data``, or :class:`Invalid` with the reason (German)."""
    if len(data) > MAX_BYTES:
        raise _refuse(f"Das Logo ist größer als {MAX_BYTES // 1024} kB.")
    try:
        text = data.decode("utf-8")
        root = etree.fromstring(data, parser=_PARSER)
    except (UnicodeDecodeError, etree.XMLSyntaxError):
        raise _refuse("Das Logo ist keine gültige SVG-Datei (kein lesbares XML).") from None
    if root is None or root.getroottree().docinfo.doctype:
        raise _refuse("Das Logo enthält eine DOCTYPE-Angabe; erlaubt ist nur die Zeichnung.")
    if root.tag != f"{SVG}svg":
        raise _refuse("Das Logo ist keine SVG-Grafik (das äußerste Element ist nicht <svg>).")
    for element in root.iter():
        _check_element(element)
    _check_draws(text)
    return text


def _check_element(element: etree._Element) -> None:
    if not isinstance(element.tag, str):  # a processing instruction
        raise _refuse("Das Logo enthält Verarbeitungsanweisungen; erlaubt ist nur die Zeichnung.")
    name = element.tag.rsplit("}", 1)[-1]
    if name in _FORBIDDEN_TAGS:
        raise _refuse(f"Das Logo enthält ein <{name}>-Element; erlaubt ist nur eine Zeichnung.")
    for attribute, value in element.attrib.items():
        local = str(attribute).rsplit("}", 1)[-1].lower()
        value = str(value)
        if local.startswith("on"):
            raise _refuse(f"Das Logo enthält ein Skript (Attribut „{local}“).")
        if local == "href" and not value.strip().startswith("#"):
            raise _refuse("Das Logo verweist auf eine Datei oder Adresse außerhalb der Grafik.")
        _check_style(value)
    if name == "style":
        _check_style(str(element.text or ""))


def _check_style(value: str) -> None:
    if "@import" in value.lower() or any(
        not target.startswith("#") for target in _URL.findall(value)
    ):
        raise _refuse("Das Logo verweist auf eine Datei oder Adresse außerhalb der Grafik.")


def _check_draws(text: str) -> None:
    try:
        typesetting.typeset(
            '#image(bytes(d.logo), format: "svg", width: 3cm)',
            {"logo": text},
            standards=[],
            tagged=False,
        )
    except typst.TypstError as exc:
        raise _refuse(f"Das Logo lässt sich nicht zeichnen ({exc.message}).") from None
