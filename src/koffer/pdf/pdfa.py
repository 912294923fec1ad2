"""A check of the PDF/A properties that can be checked without veraPDF, and the conversion
of a non-conforming PDF with Ghostscript.

koffer claims PDF/A in a file only when this check passes. It covers what a wrong claim
most often hides: the XMP identification (``pdfaid:part``/``conformance``), an
OutputIntent with an ICC profile that matches the device colours used, every font
embedded, no encryption, no JavaScript, no transparency in PDF/A-1, a trailer ID, and for
conformance A a structure tree. It is not a full validator (veraPDF checks some hundred
clauses more); :func:`check` returns German findings that can be shown to a user.

``check(pdf)`` checks a whole file against the level it claims. ``check(pdf, part=2,
whole_file=False)`` checks only what a document's pages bring into another file (fonts,
colours, JavaScript, transparency): the identification, OutputIntent and trailer then come
from the file the pages are copied into.

:func:`convert` runs Ghostscript's PDF/A-2 conversion (``gs -dPDFA=2``), which embeds or
substitutes fonts and converts colours to RGB. Ghostscript is an optional system package
(``scripts/system_packages.py``); without it :func:`convert` returns None and says why.
"""

from __future__ import annotations

import io
import logging
import re
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pikepdf
from django.conf import settings

logger = logging.getLogger("koffer.pdf")

GHOSTSCRIPT_TIMEOUT_SECONDS = 600
# Address space Ghostscript may take (KOFFER_GHOSTSCRIPT_MEMORY_MB): a hostile or broken part
# of an extract ends Ghostscript with a failed conversion instead of starving the worker.
GHOSTSCRIPT_MEMORY_MB = 1024
_SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")
_ICC_SPACES = {b"RGB ": "RGB", b"CMYK": "CMYK", b"GRAY": "Gray"}
_DEVICE_SPACES = {"/DeviceRGB": "RGB", "/DeviceCMYK": "CMYK", "/DeviceGray": "Gray"}
_COLOUR_OPERATORS = {"rg": "RGB", "RG": "RGB", "k": "CMYK", "K": "CMYK", "g": "Gray", "G": "Gray"}
# Reported by name at most this many times, so a 300-page scan gives a readable reason.
_MAX_NAMES = 5


@dataclass(frozen=True)
class Finding:
    """One property that is not PDF/A; ``text`` is German and can be shown to users."""

    rule: str
    text: str


@dataclass(frozen=True)
class Report:
    """What :func:`check` found. ``part`` and ``conformance`` are the level checked
    against (the claimed one unless given)."""

    part: int | None
    conformance: str
    findings: tuple[Finding, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def level(self) -> str:
        return f"PDF/A-{self.part}{self.conformance.lower()}" if self.part else "PDF/A"

    def summary(self) -> str:
        """The findings as one German sentence list, e.g. for a cover note."""
        return " ".join(f.text for f in self.findings)


def claimed_level(pdf: pikepdf.Pdf) -> tuple[int | None, str]:
    """``pdfaid:part`` and ``pdfaid:conformance`` from the XMP metadata (None, "" if none)."""
    if "/Metadata" not in pdf.Root:
        return None, ""
    try:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            raw_part = str(meta.get("pdfaid:part", "") or "").strip()
            conformance = str(meta.get("pdfaid:conformance", "") or "").strip().upper()
    except Exception:  # broken XMP is "no claim", reported by check()
        return None, ""
    return (int(raw_part) if raw_part.isdigit() else None), conformance


def check(
    source: pikepdf.Pdf | bytes,
    *,
    part: int | None = None,
    conformance: str | None = None,
    whole_file: bool = True,
    output_intent: str | None = None,
    colours: bool = True,
) -> Report:
    """Check ``source`` against PDF/A ``part``/``conformance`` (default: what it claims).

    With ``whole_file=False`` only the pages' content is checked and ``output_intent``
    ("RGB", "CMYK" or "Gray") is the colour space of the file they will be copied into.
    ``colours=False`` leaves out the search for device colours (a third of a small
    file's check): for a caller that has checked a layout's colours once and knows that
    what varies between its files is text.
    """
    if isinstance(source, bytes):
        try:
            with pikepdf.open(io.BytesIO(source)) as pdf:
                return check(
                    pdf,
                    part=part,
                    conformance=conformance,
                    whole_file=whole_file,
                    output_intent=output_intent,
                    colours=colours,
                )
        except pikepdf.PasswordError:
            return Report(part, conformance or "", (_finding("encryption"),))
        except (pikepdf.PdfError, ValueError) as exc:
            return Report(
                part,
                conformance or "",
                (Finding("syntax", f"Das PDF ist beschädigt ({exc})."),),
            )
    if whole_file or part is None or conformance is None:
        claimed_part, claimed_conformance = claimed_level(source)
    else:
        # Reading the XMP costs about 2.5 ms; a check of the pages against a given level
        # does not need the claim.
        claimed_part, claimed_conformance = part, conformance
    level_part = part if part is not None else claimed_part
    level_conformance = (conformance if conformance is not None else claimed_conformance).upper()
    findings: list[Finding] = []
    if whole_file:
        findings.extend(_identification(claimed_part, claimed_conformance, part, conformance))
        if source.trailer.get("/ID") is None:
            findings.append(_finding("trailer_id"))
        intent, intent_findings = _output_intent(source)
        findings.extend(intent_findings)
    else:
        intent = output_intent
    if source.is_encrypted:
        findings.append(_finding("encryption"))
    # Device colours that would be a finding: those the profile does not cover.
    allowed = {intent, "Gray"} if intent else set()
    walk = _Walk(source, frozenset({"RGB", "CMYK", "Gray"} - allowed) if colours else frozenset())
    if walk.unembedded:
        names = sorted(walk.unembedded)
        shown = ", ".join(names[:_MAX_NAMES]) + (" …" if len(names) > _MAX_NAMES else "")
        findings.append(Finding("fonts", f"Schriften sind nicht eingebettet: {shown}."))
    used = walk.colours - {"Gray"} if intent else walk.colours
    wrong = sorted(space for space in used if intent is None or space not in (intent, "Gray"))
    if wrong and colours:
        target = f"dem Farbprofil ({intent})" if intent else "einem Farbprofil (OutputIntent)"
        findings.append(
            Finding(
                "colour",
                f"Geräteabhängige Farben ({', '.join(wrong)}) ohne passendes Profil: "
                f"sie passen nicht zu {target}.",
            )
        )
    if _has_javascript(source):
        findings.append(_finding("javascript"))
    if level_part == 1 and _has_transparency(source):
        findings.append(_finding("transparency"))
    if level_conformance == "A" and whole_file:
        mark = source.Root.get("/MarkInfo")
        marked = isinstance(mark, pikepdf.Dictionary) and bool(mark.get("/Marked", False))
        if "/StructTreeRoot" not in source.Root or not marked:
            findings.append(_finding("structure"))
    return Report(level_part, level_conformance, tuple(findings))


_TEXTS = {
    "identification": "Das PDF trägt keine gültige PDF/A-Kennung in den XMP-Metadaten.",
    "trailer_id": "Dem PDF fehlt die Dateikennung (ID im Trailer).",
    "output_intent": "Dem PDF fehlt ein Farbprofil (OutputIntent mit ICC-Profil).",
    "encryption": "Das PDF ist verschlüsselt.",
    "javascript": "Das PDF enthält JavaScript.",
    "transparency": "Das PDF enthält Transparenz, die PDF/A-1 nicht erlaubt.",
    "structure": "Das PDF ist nicht getaggt (PDF/A-Konformität A verlangt einen Strukturbaum).",
}


def _finding(rule: str) -> Finding:
    return Finding(rule, _TEXTS[rule])


def _identification(
    claimed_part: int | None,
    claimed_conformance: str,
    part: int | None,
    conformance: str | None,
) -> list[Finding]:
    valid = claimed_part in (1, 2, 3) and claimed_conformance in (
        ("A", "B") if claimed_part == 1 else ("A", "B", "U")
    )
    if not valid:
        return [_finding("identification")]
    if (part is not None and part != claimed_part) or (
        conformance is not None and conformance.upper() != claimed_conformance
    ):
        return [
            Finding(
                "identification",
                f"Das PDF gibt sich als PDF/A-{claimed_part}{claimed_conformance.lower()} aus, "
                f"nicht als PDF/A-{part or claimed_part}{(conformance or claimed_conformance).lower()}.",
            )
        ]
    return []


def _output_intent(pdf: pikepdf.Pdf) -> tuple[str | None, list[Finding]]:
    """The colour space of the PDF/A OutputIntent's ICC profile."""
    intents = pdf.Root.get("/OutputIntents")
    if isinstance(intents, pikepdf.Array):
        for intent in intents:
            if not isinstance(intent, pikepdf.Dictionary):
                continue
            if intent.get("/S") != pikepdf.Name("/GTS_PDFA1"):
                continue
            profile = intent.get("/DestOutputProfile")
            if not isinstance(profile, pikepdf.Stream):
                continue
            try:
                header = profile.read_bytes()[:20]
            except pikepdf.PdfError:
                continue
            space = _ICC_SPACES.get(header[16:20])
            if space is not None:
                return space, []
    return None, [_finding("output_intent")]


class _Walk:
    """Every resource reachable from the pages (forms, patterns, Type 3 glyphs, annotation
    appearances), each visited once: fonts that are not embedded, device colours used."""

    def __init__(self, pdf: pikepdf.Pdf, wrong: frozenset[str]) -> None:
        self.unembedded: set[str] = set()
        self.colours: set[str] = set()
        # Content streams are parsed only for colour operators of these families, and only
        # when a quick look at the bytes finds one (parsing costs about 1 ms a page).
        self._wrong = wrong
        self._seen: set[tuple[int, int]] = set()
        for page in pdf.pages:
            resources = _inherited(page.obj, "/Resources")
            self._content(page.obj, resources)
            annots = page.obj.get("/Annots")
            if isinstance(annots, pikepdf.Array):
                for annot in annots:
                    if isinstance(annot, pikepdf.Dictionary):
                        for stream in _appearances(annot.get("/AP")):
                            self._content(stream, stream.get("/Resources"))

    def _once(self, obj: Any) -> bool:
        if not isinstance(obj, pikepdf.Object) or not obj.is_indirect:
            return True
        key = obj.objgen
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _content(
        self, holder: pikepdf.Object, resources: Any, defaults: frozenset[str] = frozenset()
    ) -> None:
        """A content stream and its resources. A device colour space is fine where the
        resources define a default for it (DefaultRGB, DefaultCMYK, DefaultGray)."""
        if not self._once(holder):
            return
        if isinstance(resources, pikepdf.Dictionary):
            spaces = resources.get("/ColorSpace")
            if isinstance(spaces, pikepdf.Dictionary):
                defaults = defaults | {
                    family for family in ("RGB", "CMYK", "Gray") if f"/Default{family}" in spaces
                }
        families = self._wrong - defaults - self.colours
        operators = [op for op, family in _COLOUR_OPERATORS.items() if family in families]
        if operators and _may_use(holder, operators):
            try:
                for instruction in pikepdf.parse_content_stream(holder, " ".join(operators)):
                    self._device(_COLOUR_OPERATORS[str(instruction.operator)], defaults)
            except (pikepdf.PdfError, ValueError, TypeError):
                pass
        if isinstance(resources, pikepdf.Dictionary):
            self._resources(resources, defaults)

    def _device(self, family: str, defaults: frozenset[str]) -> None:
        if family not in defaults:
            self.colours.add(family)

    def _resources(self, resources: pikepdf.Dictionary, defaults: frozenset[str]) -> None:
        if not self._once(resources):
            return
        for font in _values(resources.get("/Font")):
            self._font(font)
        for space in _values(resources.get("/ColorSpace")):
            self._space(space, defaults)
        for xobject in _values(resources.get("/XObject")):
            if not isinstance(xobject, pikepdf.Stream):
                continue
            subtype = xobject.get("/Subtype")
            if subtype == pikepdf.Name.Image:
                if self._once(xobject):
                    self._space(xobject.get("/ColorSpace"), defaults)
            elif subtype == pikepdf.Name.Form:
                self._content(xobject, xobject.get("/Resources"), defaults)
        for pattern in _values(resources.get("/Pattern")):
            if isinstance(pattern, pikepdf.Stream):
                self._content(pattern, pattern.get("/Resources"), defaults)
        for shading in _values(resources.get("/Shading")):
            if isinstance(shading, (pikepdf.Dictionary, pikepdf.Stream)):
                self._space(shading.get("/ColorSpace"), defaults)

    def _space(self, space: Any, defaults: frozenset[str]) -> None:
        if isinstance(space, pikepdf.Name):
            device = _DEVICE_SPACES.get(str(space))
            if device:
                self._device(device, defaults)
        elif isinstance(space, pikepdf.Array) and len(space) > 1:
            family = str(space[0])
            if family in ("/Indexed", "/I"):
                self._space(space[1], defaults)
            elif family in ("/Separation", "/DeviceN") and len(space) > 2:
                self._space(space[2], defaults)

    def _font(self, font: Any) -> None:
        if not isinstance(font, pikepdf.Dictionary) or not self._once(font):
            return
        subtype = font.get("/Subtype")
        if subtype == pikepdf.Name.Type3:
            resources = font.get("/Resources")
            for glyph in _values(font.get("/CharProcs")):
                if isinstance(glyph, pikepdf.Stream):
                    self._content(glyph, resources)
            return
        descriptor_holder: Any = font
        if subtype == pikepdf.Name.Type0:
            descendants = font.get("/DescendantFonts")
            if isinstance(descendants, pikepdf.Array) and len(descendants):
                descriptor_holder = descendants[0]
        descriptor = (
            descriptor_holder.get("/FontDescriptor")
            if isinstance(descriptor_holder, pikepdf.Dictionary)
            else None
        )
        embedded = isinstance(descriptor, pikepdf.Dictionary) and any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        )
        if not embedded:
            name = str(font.get("/BaseFont", "/unbenannt"))[1:]
            self.unembedded.add(_SUBSET_PREFIX.sub("", name))


def _may_use(holder: pikepdf.Object, operators: list[str]) -> bool:
    """Whether the content bytes hold one of ``operators`` as a word (a string in the
    text may too: then the exact parse decides)."""
    try:
        if isinstance(holder, pikepdf.Stream):
            data = holder.read_bytes()
        else:
            contents = holder.get("/Contents")
            parts = contents if isinstance(contents, pikepdf.Array) else [contents]
            data = b"\n".join(p.read_bytes() for p in parts if isinstance(p, pikepdf.Stream))
    except pikepdf.PdfError:
        return True
    # Colour operators follow their numeric operands after white space.
    return not {o.encode() for o in operators}.isdisjoint(data.split())


def _values(container: Any) -> Iterator[Any]:
    if isinstance(container, pikepdf.Dictionary):
        for _key, value in container.items():
            yield value


def _appearances(ap: Any) -> Iterator[pikepdf.Stream]:
    if not isinstance(ap, pikepdf.Dictionary):
        return
    for entry in _values(ap):
        if isinstance(entry, pikepdf.Stream):
            yield entry
        elif isinstance(entry, pikepdf.Dictionary):
            for state in _values(entry):
                if isinstance(state, pikepdf.Stream):
                    yield state


def _inherited(page: pikepdf.Object, key: str) -> Any:
    node: Any = page
    for _ in range(64):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if key in node:
            return node.get(key)
        node = node.get("/Parent")
    return None


def _dictionaries(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    """Every dictionary and stream reachable from the trailer, direct ones included, each
    indirect object once."""
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [pdf.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            yield obj
            stack.extend(value for _key, value in obj.items())
        elif isinstance(obj, pikepdf.Array):
            stack.extend(
                item
                for item in obj
                if isinstance(item, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array))
            )


def _has_javascript(pdf: pikepdf.Pdf) -> bool:
    """JavaScript where a PDF can run it: the catalog's name tree and actions, page and
    annotation actions, outline items and form fields (following /Next chains)."""
    root = pdf.Root
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        return True
    holders: list[Any] = [root]
    for page in pdf.pages:
        holders.append(page.obj)
        annots = page.obj.get("/Annots")
        if isinstance(annots, pikepdf.Array):
            holders.extend(annots)
    outlines = root.get("/Outlines")
    stack: list[Any] = [outlines.get("/First")] if isinstance(outlines, pikepdf.Dictionary) else []
    seen: set[tuple[int, int]] = set()
    while stack and len(seen) < 100_000:
        item = stack.pop()
        if not isinstance(item, pikepdf.Dictionary) or (item.is_indirect and item.objgen in seen):
            continue
        if item.is_indirect:
            seen.add(item.objgen)
        holders.append(item)
        stack.extend([item.get("/First"), item.get("/Next")])
    form = root.get("/AcroForm")
    fields = form.get("/Fields") if isinstance(form, pikepdf.Dictionary) else None
    stack = list(fields) if isinstance(fields, pikepdf.Array) else []
    while stack and len(seen) < 100_000:
        field_ = stack.pop()
        if not isinstance(field_, pikepdf.Dictionary) or (
            field_.is_indirect and field_.objgen in seen
        ):
            continue
        if field_.is_indirect:
            seen.add(field_.objgen)
        holders.append(field_)
        kids = field_.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
    return any(_runs_javascript(holder) for holder in holders)


def _runs_javascript(holder: Any) -> bool:
    if not isinstance(holder, pikepdf.Dictionary):
        return False
    actions: list[Any] = [holder.get("/A"), holder.get("/OpenAction")]
    triggers = holder.get("/AA")
    if isinstance(triggers, pikepdf.Dictionary):
        actions.extend(value for _key, value in triggers.items())
    for _ in range(1000):
        if not actions:
            return False
        action = actions.pop()
        if isinstance(action, pikepdf.Array):
            actions.extend(action)
        elif isinstance(action, pikepdf.Dictionary):
            if action.get("/S") == pikepdf.Name.JavaScript or "/JS" in action:
                return True
            actions.append(action.get("/Next"))
    return True  # a chain of a thousand actions is not an archive file


def _has_transparency(pdf: pikepdf.Pdf) -> bool:
    """PDF/A-1 forbids soft masks, transparency groups, constant alpha below 1 and blend
    modes other than Normal."""
    for obj in _dictionaries(pdf):
        smask = obj.get("/SMask")
        if smask is not None and smask != pikepdf.Name("/None"):
            return True
        group = obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == pikepdf.Name(
            "/Transparency"
        ):
            return True
        for key in ("/CA", "/ca"):
            alpha = obj.get(key)
            if isinstance(alpha, (int, float, Decimal)) and float(alpha) < 1.0:
                return True
        blend = obj.get("/BM")
        modes = list(blend) if isinstance(blend, pikepdf.Array) else [blend]
        if blend is not None and any(str(m) not in ("/Normal", "/Compatible") for m in modes):
            return True
    return False


# --- Conversion -------------------------------------------------------------------------------


def ghostscript() -> str | None:
    """The Ghostscript binary (``KOFFER_GHOSTSCRIPT``, default ``gs``) if installed."""
    configured = str(getattr(settings, "KOFFER_GHOSTSCRIPT", "gs") or "")
    return shutil.which(configured) if configured else None


def _memory_cap(megabytes: int) -> Callable[[], None]:
    """Run in the child before exec: caps its address space (RLIMIT_AS) at ``megabytes``.
    Only a system call, nothing that takes a lock, so it is safe in a threaded server."""
    limit = megabytes * 1024 * 1024

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def convert(data: bytes, *, part: int = 2) -> bytes | None:
    """``data`` converted to PDF/A-``part``b by Ghostscript (fonts embedded or substituted,
    colours converted to RGB), or None when Ghostscript is missing or fails (logged)."""
    binary = ghostscript()
    if binary is None:
        logger.warning("PDF/A conversion skipped: Ghostscript (gs) is not installed")
        return None
    with tempfile.TemporaryDirectory(prefix="koffer-pdfa-") as tmp:
        source, target = Path(tmp) / "ein.pdf", Path(tmp) / "aus.pdf"
        source.write_bytes(data)
        try:
            completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
                [
                    binary,
                    f"-dPDFA={part}",
                    "-dBATCH",
                    "-dNOPAUSE",
                    "-dSAFER",
                    "-dQUIET",
                    "-dPDFACompatibilityPolicy=1",
                    "-dAutoRotatePages=/None",  # keep each page as the sender turned it
                    "-sColorConversionStrategy=RGB",
                    "-sDEVICE=pdfwrite",
                    f"-sOutputFile={target}",
                    str(source),
                ],
                capture_output=True,
                timeout=getattr(
                    settings, "KOFFER_GHOSTSCRIPT_SECONDS", GHOSTSCRIPT_TIMEOUT_SECONDS
                ),
                check=False,
                preexec_fn=_memory_cap(
                    getattr(settings, "KOFFER_GHOSTSCRIPT_MEMORY_MB", GHOSTSCRIPT_MEMORY_MB)
                ),
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            logger.warning("Ghostscript could not convert to PDF/A: %s", exc)
            return None
        if completed.returncode != 0 or not target.is_file():
            logger.warning(
                "Ghostscript failed (%s): %s",
                completed.returncode,
                completed.stderr.decode("utf-8", "replace")[-300:],
            )
            return None
        return target.read_bytes()
