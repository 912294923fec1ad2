"""Checks an XRechnung (CII) the way the receiving offices do: schema, EN 16931, KoSIT.

Three checks, all with the official artefacts vendored in ``conformance/`` (unchanged):

1. XML schema of UN/CEFACT CII D16B (lxml);
2. the EN 16931 rules of CEN/TC 434 (compiled Schematron, XSLT 2.0, Saxon);
3. the national XRechnung rules of KoSIT, BR-DE-* (compiled Schematron, XSLT 2.0, Saxon).

The document is parsed once by lxml (well-formedness, no DTD, schema) and once by Saxon;
that one Saxon tree is the input of both stylesheets. The stylesheets and the schema are
compiled once per process, on first use, under a lock; each call runs on its own clone
of the compiled stylesheet (a clone costs microseconds and shares the compiled code), so
concurrent threads never share a transformation's state. :func:`compile_seconds` and
:attr:`ValidationReport.timings` say where the time goes.

Every ``svrl:failed-assert`` becomes a :class:`Finding`: with flag ``fatal`` (or none)
it is an error and the invoice is invalid; ``warning`` and ``information`` are warnings.
Schema errors are findings with rule id ``XSD``; a document that is no XML at all, or
carries a DTD, gets the single finding ``XML``.

Before the three checks comes the one KoSIT's validator makes first: it picks a scenario
by the specification identifier (BT-24) and rejects a document that matches none. The
Schematron only warns about such an identifier (BR-DE-21), so an invoice the receiving
platform refuses would pass here; :data:`SCENARIOS` lists the identifiers of the
XRechnung 3.0 CII scenarios, and any other gives the error ``SZENARIO``. The three checks
still run, so the report names everything else that is wrong at once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from saxonche import PySaxonApiError, PySaxonProcessor, PyXdmNode, PyXsltExecutable

from koffer.placements.xrechnung.document import GUIDELINE_ID
from koffer.placements.xrechnung.terms import field_label, label

CONFORMANCE = Path(__file__).resolve().parent / "conformance"
SCHEMA_PATH = CONFORMANCE / "en16931-cii" / "schema" / "CrossIndustryInvoice_100pD16B.xsd"
EN16931_XSLT = CONFORMANCE / "en16931-cii" / "EN16931-CII-validation.xslt"
XRECHNUNG_XSLT = CONFORMANCE / "xrechnung-cii" / "XRechnung-CII-validation.xsl"

# The CII scenarios of KoSIT's validator configuration for XRechnung 3.0.x
# (validator-configuration-xrechnung, scenarios.xml: "EN16931 XRechnung (CII)" and
# "EN16931 XRechnung Extension (CII)"); each matches BT-24 by exact text.
EXTENSION_ID = f"{GUIDELINE_ID}#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0"
SCENARIOS = {
    GUIDELINE_ID: "XRechnung 3.0 (CII)",
    EXTENSION_ID: "XRechnung 3.0 Extension (CII)",
}
SCENARIO_RULE = "SZENARIO"

SVRL = "http://purl.oclc.org/dsdl/svrl"
ERROR_FLAGS = frozenset({"", "fatal", "error"})

PREFIXES = {
    "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100": "rsm",
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100": "ram",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100": "udt",
    "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
}

# Locations as the two Schematron compilers write them, and names as lxml's schema
# messages write them, all made readable as prefix:name.
_SKELETON_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]")
_EQNAME = re.compile(r"Q\{([^}]*)\}")
_CLARK = re.compile(r"\{([^}]*)\}")


@dataclass(frozen=True)
class Finding:
    """One rule an invoice breaks.

    ``rule_id`` is the official id (``BR-DE-15``, ``BR-CO-10``) or ``XSD``/``XML``;
    ``location`` the XPath of the offending element, ``message`` the official text,
    ``field`` a short German name of the field (for example "Leitweg-ID (BT-10)"),
    ``check`` which of the three checks reported it.
    """

    rule_id: str
    flag: str
    location: str
    message: str
    field: str
    check: str = ""


@dataclass(frozen=True)
class Timings:
    """Milliseconds spent per step of one :func:`validate` call."""

    parse_ms: float = 0.0
    schema_ms: float = 0.0
    en16931_ms: float = 0.0
    xrechnung_ms: float = 0.0

    @property
    def total_ms(self) -> float:
        return self.parse_ms + self.schema_ms + self.en16931_ms + self.xrechnung_ms


@dataclass(frozen=True)
class ValidationReport:
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    timings: Timings = field(default_factory=Timings)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def rule_ids(self) -> set[str]:
        """Ids of every finding, errors and warnings."""
        return {finding.rule_id for finding in (*self.errors, *self.warnings)}


class _Checks:
    """The compiled schema and stylesheets; one instance per process."""

    def __init__(self) -> None:
        self.compile_seconds: dict[str, float] = {}
        began = time.perf_counter()
        self.schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))
        self.schema_lock = threading.Lock()  # an XMLSchema keeps its error log per object
        self.compile_seconds["xsd"] = time.perf_counter() - began

        self.processor = PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()
        began = time.perf_counter()
        self.en16931 = compiler.compile_stylesheet(stylesheet_file=str(EN16931_XSLT))
        self.compile_seconds["en16931"] = time.perf_counter() - began
        began = time.perf_counter()
        self.xrechnung = compiler.compile_stylesheet(stylesheet_file=str(XRECHNUNG_XSLT))
        self.compile_seconds["xrechnung"] = time.perf_counter() - began


_checks: _Checks | None = None
_checks_lock = threading.Lock()


def _loaded() -> _Checks:
    global _checks
    checks = _checks
    if checks is None:
        with _checks_lock:
            if _checks is None:
                _checks = _Checks()
            checks = _checks
    return checks


def compile_seconds() -> dict[str, float]:
    """Compiles the checks now if not done yet; seconds each took (xsd, en16931, xrechnung)."""
    return dict(_loaded().compile_seconds)


def validate(xml: bytes) -> ValidationReport:
    """All three checks on one CII document; never raises for bad input."""
    checks = _loaded()
    began = time.perf_counter()
    parsed = _parse(xml)
    if isinstance(parsed, Finding):
        return ValidationReport(errors=(parsed,), warnings=())
    document, text = parsed
    try:
        node = checks.processor.parse_xml(xml_text=text)
    except PySaxonApiError as exc:
        return ValidationReport(errors=(_xml_finding(str(exc)),), warnings=())
    parse_ms = _ms_since(began)

    began = time.perf_counter()
    findings = _scenario_findings(document)
    findings += _schema_findings(checks, document)
    schema_ms = _ms_since(began)

    began = time.perf_counter()
    findings += _schematron_findings(checks.en16931, node, "EN16931")
    en16931_ms = _ms_since(began)

    began = time.perf_counter()
    findings += _schematron_findings(checks.xrechnung, node, "XRechnung")
    xrechnung_ms = _ms_since(began)

    errors = tuple(f for f in findings if f.flag in ERROR_FLAGS)
    warnings = tuple(f for f in findings if f.flag not in ERROR_FLAGS)
    return ValidationReport(
        errors=errors,
        warnings=warnings,
        timings=Timings(
            parse_ms=parse_ms,
            schema_ms=schema_ms,
            en16931_ms=en16931_ms,
            xrechnung_ms=xrechnung_ms,
        ),
    )


def _ms_since(began: float) -> float:
    return (time.perf_counter() - began) * 1000


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse(xml: bytes) -> tuple[etree._ElementTree, str] | Finding:
    """The lxml tree and the text for Saxon, or why the bytes are no acceptable XML."""
    try:
        root = etree.fromstring(xml, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        return _xml_finding(f"Das Dokument ist kein wohlgeformtes XML: {exc}")
    tree = root.getroottree()
    # An invoice never needs a DTD; refusing one keeps entity tricks away from Saxon too.
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return _xml_finding("Das Dokument enthält eine DTD (DOCTYPE); das ist nicht erlaubt.")
    try:
        text = xml.decode(tree.docinfo.encoding or "utf-8")
    except (LookupError, UnicodeDecodeError):
        text = etree.tostring(tree, encoding="unicode")
    return tree, text.lstrip("\ufeff")


def _xml_finding(message: str) -> Finding:
    return Finding(
        rule_id="XML",
        flag="fatal",
        location="/",
        message=message,
        field="XML-Dokument",
        check="XML",
    )


_BT24 = (
    "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext"
    "/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
)
_NAMESPACES = {prefix: uri for uri, prefix in PREFIXES.items()}


def _scenario_findings(document: etree._ElementTree) -> list[Finding]:
    """``SZENARIO`` unless BT-24 names one of :data:`SCENARIOS`, as KoSIT's validator
    matches it: a text node of the element equal to the identifier, nothing trimmed."""
    elements = document.xpath(_BT24, namespaces=_NAMESPACES)
    given = [text for element in elements for text in element.xpath("text()")]
    if any(text in SCENARIOS for text in given):
        return []
    shown = " ".join(given[0].split()) if given else ""
    allowed = " oder ".join(f"„{identifier}“ ({name})" for identifier, name in SCENARIOS.items())
    what = f"„{shown}“" if shown else "fehlt"
    return [
        Finding(
            rule_id=SCENARIO_RULE,
            flag="fatal",
            location=f"{_BT24}[1]" if elements else "/",
            message=(
                f"[{SCENARIO_RULE}] Die Spezifikationskennung (BT-24) {what} passt zu keinem "
                "Prüfszenario von XRechnung 3.0 in CII-Syntax; der Validator der KoSIT, mit dem "
                "die Rechnungseingangsplattformen prüfen, weist die Rechnung ab. "
                f"Erwartet: {allowed}."
            ),
            field=label("BT-24"),
            check="Szenario",
        )
    ]


def _schema_findings(checks: _Checks, document: etree._ElementTree) -> list[Finding]:
    with checks.schema_lock:
        if checks.schema.validate(document):
            return []
        entries = list(checks.schema.error_log)
    findings = []
    for entry in entries:
        location = readable_location(entry.path or "/")
        message = _CLARK.sub(_prefixed, entry.message)
        findings.append(
            Finding(
                rule_id="XSD",
                flag="fatal",
                location=location,
                message=f"Zeile {entry.line}: {message}" if entry.line > 1 else message,
                field=_field(message="", location=location),
                check="XSD",
            )
        )
    return findings


def _schematron_findings(
    executable: PyXsltExecutable, node: PyXdmNode, check: str
) -> list[Finding]:
    try:
        svrl = executable.clone().transform_to_string(xdm_node=node)
    except PySaxonApiError as exc:
        return [
            Finding(
                rule_id="XSLT",
                flag="fatal",
                location="/",
                message=f"Die Prüfung {check} brach ab: {exc}",
                field="Rechnung",
                check=check,
            )
        ]
    if not svrl:
        return []
    report = etree.fromstring(svrl.encode("utf-8"), parser=_PARSER)
    return list(_svrl_findings(report, check))


def _svrl_findings(report: etree._Element, check: str) -> Iterable[Finding]:
    for element in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        location = readable_location(element.get("location", ""))
        message = " ".join(element.findtext(f"{{{SVRL}}}text", default="").split())
        yield Finding(
            rule_id=element.get("id", "") or "Schematron",
            flag=element.get("flag", "") or "",
            location=location,
            message=message,
            field=_field(message=message, location=location),
            check=check,
        )


def _field(*, message: str, location: str) -> str:
    return field_label(message=message, location=location) if location else "Rechnung"


def _prefixed(match: re.Match[str]) -> str:
    uri = match.group(1)
    prefix = PREFIXES.get(uri)
    return f"{prefix}:" if prefix else match.group(0)


def readable_location(location: str) -> str:
    """``/rsm:CrossIndustryInvoice[1]/rsm:...`` from either compiler's namespace syntax."""
    location = _SKELETON_STEP.sub(
        lambda m: f"{PREFIXES.get(m.group(2), '*')}:{m.group(1)}", location
    )
    return _EQNAME.sub(_prefixed, location)
