"""The audit log in words a data-protection officer reads: German labels for every action,
objects named by Aktenzeichen, number or name, German field names, choice values by their
display name and German dates; the CSV and the API keep the codes beside them."""

from __future__ import annotations

import ast
import json
import re
import uuid
from pathlib import Path

import pytest
from pytest_django import DjangoAssertNumQueries

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.placements.models import Rechnung
from koffer.privacy import labels
from koffer.records import defaults, services
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.privacy.conftest import berlin, frozen_at, read_csv

PAGE = "/datenschutz/protokoll/"
EXPORT = "/datenschutz/protokoll/export.csv"
API = "/api/v1/audit/events"
SRC = Path(__file__).resolve().parents[2] / "src" / "koffer"

# --- Every action the code can write has a German label ---------------------------------------

# An action code: "read", "accounts.login" or "<app>.<thing>.<verb>" of a koffer app.
APPS = (
    "accounts",
    "audit",
    "jobs",
    "placements",
    "privacy",
    "records",
    "tenancy",
    "blobs",
    "inbox",
    "outbox",
    "field",
)
ACTION_CODE = re.compile(rf"^(read|({'|'.join(APPS)})\.[a-z_]+\.[a-z_]+)$")
# Writers of audit events whose action argument is passed by keyword.
WRITERS = {"record", "_record_everywhere"}


def _alternatives(node: ast.expr) -> list[str] | None:
    """The strings an expression can be: a constant, ``a if c else b``, or an f-string made
    of those. None when it cannot be enumerated."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _alternatives(node.body), _alternatives(node.orelse)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.FormattedValue) and node.format_spec is None:
        return _alternatives(node.value)
    if isinstance(node, ast.JoinedStr):
        results = [""]
        for part in node.values:
            options = _alternatives(part)
            if options is None:
                return None
            results = [r + o for r in results for o in options]
        return results
    return None


def written_actions() -> tuple[set[str], list[str]]:
    """Action codes found in the source, and places whose action cannot be enumerated.

    Every string (f-strings expanded) shaped like ``<app>.<thing>.<verb>``, which finds
    actions however they reach ``audit.record`` (via ``_audit``, a variable, ...), plus
    every ``action=`` given to a writer, which finds short codes like ``accounts.login``."""
    found: set[str] = set()
    unknown: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts or path.parent.name == "privacy":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside_fstring = _fstring_parts(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant | ast.JoinedStr) and id(node) not in inside_fstring:
                for text in _alternatives(node) or []:
                    if ACTION_CODE.match(text):
                        found.add(text)
            if isinstance(node, ast.Call) and _name(node.func) in WRITERS:
                for kw in node.keywords:
                    if kw.arg != "action" or isinstance(kw.value, ast.Name):
                        continue  # a variable: its literal is found as a string above
                    options = _alternatives(kw.value)
                    if options is None:
                        unknown.append(f"{path.relative_to(SRC)}:{node.lineno}")
                    else:
                        found.update(options)
    return found, unknown


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _fstring_parts(tree: ast.Module) -> set[int]:
    """Nodes inside an f-string (its pieces are matched only as the whole f-string)."""
    joined = [n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)]
    inner = {id(c) for n in joined for c in ast.walk(n)}
    return inner - {id(n) for n in joined}


def test_the_scan_finds_actions_however_they_are_written() -> None:
    found, unknown = written_actions()
    assert not unknown, f"Aktionen, die sich nicht aufzählen lassen: {unknown}"
    # A keyword literal, a positional one via a helper, an f-string, a variable.
    assert {"accounts.login", "read", "placements.reservierung.decline"} <= found
    assert {"placements.rechnung.send", "placements.rechnung.rebuild"} <= found
    assert len(found) > 80


def test_every_action_the_code_writes_has_a_german_label() -> None:
    found, _ = written_actions()
    missing = sorted(found - set(labels.ACTION_LABELS))
    assert not missing, f"Ohne deutsche Bezeichnung in privacy/labels.py: {missing}"


def test_no_label_for_an_action_nobody_writes() -> None:
    found, _ = written_actions()
    stale = sorted(set(labels.ACTION_LABELS) - found - {labels.AUDIT_QUERY_ACTION})
    assert not stale, f"Bezeichnungen ohne Aktion im Code: {stale}"


# --- Readable values ---------------------------------------------------------------------------


def test_choices_show_their_display_names_and_dates_are_german() -> None:
    changes = {
        "status": {"old": "bereit", "new": "versendet"},
        "sent_at": "2026-03-10T22:59:59.123Z",
        "issue_date": "2026-03-01",
        "total": "1234.50",
    }
    assert labels.changes_text(changes, object_type="placements.rechnung") == (
        # By key (issue_date, sent_at, status, total), the same on SQLite and PostgreSQL.
        "Rechnungsdatum: 01.03.2026; Versendet am: 10.03.2026 23:59; "
        "Status: geprüft, bereit zum Versand → versendet; Summe: 1234,50"
    )
    assert labels.changes_text({"abwesenheit": "2026-12-03–2026-12-04"}) == (
        "Abwesenheit: 03.12.2026 bis 04.12.2026"
    )
    # Summer time: UTC+2.
    assert labels.german_datetime("2026-07-01T10:00:00+00:00") == "01.07.2026 12:00"


def test_the_filter_of_a_look_at_the_log_is_readable() -> None:
    text = labels.changes_text(
        {"action": "placements.rechnung.send", "object_type": "records.akte", "format": "csv"},
        object_type="privacy.audit",
    )
    assert text == "Aktion: Rechnung versendet; Ausgabe: CSV-Export; Objekttyp: Akte"


def test_a_job_kind_reads_as_its_label() -> None:
    text = labels.changes_text({"kind": "placements.monatsabrechnung"}, object_type="jobs.job")
    assert text == "Art: Monatsabrechnung"


# --- The page, the CSV and the API -------------------------------------------------------------


@pytest.fixture
def akte(tenant: Mandant) -> Akte:
    defaults.install(actor=None, tenant=tenant)
    plan = services.create_aktenplaneinheit(
        actor=None,
        tenant=tenant,
        parent=None,
        kennzeichen="50",
        title="Leistungsakten",
        aktenzeichen_pattern="LA-{jahr}-{lfd:05}",
    )
    worker = factories.user(tenant, first_name="Alice", last_name="Akte", username="a.akte")
    return services.open_akte_for_person(
        actor=worker,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=factories.unit(tenant, "Leistungsteam 1"),
        title="Leistungsakte Beispiel",
        family_name="Beispiel",
        given_names="Anna",
        caseworker=worker,
    )


@pytest.fixture
def invoice_sent(tenant: Mandant, akte: Akte) -> uuid.UUID:
    """A Rechnung that no longer exists (Django would call it "Rechnung object (…)"), sent
    with a change of the Akte's caseworker recorded just before."""
    bob = factories.user(tenant, first_name="Bob", last_name="Bescheid", username="b.bescheid")
    with frozen_at(berlin(2026, 3, 10, 9, 15)):
        audit.record(
            actor=bob,
            tenant_id=tenant.pk,
            action="records.akte.change",
            obj=akte,
            changes={
                "caseworker": {"old": str(akte.caseworker_id), "new": str(bob.pk)},
                "access_level": {"old": "normal", "new": "restricted"},
            },
        )
    gone = uuid.UUID("01a2b3c4-0000-7000-8000-000000000001")
    with frozen_at(berlin(2026, 3, 10, 23, 30)):
        audit.record(
            actor=bob,
            tenant_id=tenant.pk,
            action="placements.rechnung.send",
            obj=Rechnung(pk=gone),
            changes={"status": {"old": "bereit", "new": "versendet"}, "number": "RE-2026-7"},
        )
    return gone


def test_page_names_objects_people_and_fields_in_german(
    dpo: User, akte: Akte, invoice_sent: uuid.UUID
) -> None:
    body = signed_in(dpo).get(PAGE).content.decode()
    assert "placements.rechnung.send" not in body.split("<tbody", 1)[1]
    assert "Rechnung versendet" in body and "Akte angelegt" in body
    assert "Rechnung object" not in body
    assert "Rechnung 01a2b3c4…" in body  # gone: type and short id
    assert "Nummer: RE-2026-7; Status: geprüft, bereit zum Versand → versendet" in body
    assert akte.aktenzeichen in body and "Beispiel, Anna" in body
    assert "Alice Akte (a.akte)" in body and "Bob Bescheid (b.bescheid)" in body
    # A foreign key in the changes is named, a choice shows its display name.
    assert "Sachbearbeitung: Alice Akte (a.akte) → Bob Bescheid (b.bescheid)" in body
    assert "Eingeschränkt (nur benannte Personen)" in body
    assert "10.03.2026&nbsp;23:30:00" in body


def test_csv_keeps_codes_beside_the_readable_columns(
    dpo: User, akte: Akte, invoice_sent: uuid.UUID
) -> None:
    rows = read_csv(signed_in(dpo).get(EXPORT, {"aktion": "placements.rechnung.send"}))
    assert len(rows) == 1
    row = rows[0]
    assert row["Aktion"] == "Rechnung versendet"
    assert row["Aktion (Code)"] == "placements.rechnung.send"
    assert row["Objekttyp"] == "Rechnung" and row["Objekttyp (Code)"] == "placements.rechnung"
    assert row["Objekt"] == "Rechnung 01a2b3c4…" and row["Objekt (Kennung)"] == str(invoice_sent)
    assert row["Objekt (Bezeichnung beim Eintrag)"].startswith("Rechnung object (")
    assert row["Änderungen"] == (
        "Nummer: RE-2026-7; Status: geprüft, bereit zum Versand → versendet"
    )
    assert json.loads(row["Änderungen (JSON)"]) == {
        "number": "RE-2026-7",
        "status": {"new": "versendet", "old": "bereit"},
    }
    assert row["Zeit"] == "10.03.2026 23:30:00"
    assert row["Zeit (UTC, ISO 8601)"] == "2026-03-10T22:30:00Z"
    assert row["Wer"] == "Bob Bescheid (b.bescheid)"


def test_api_adds_readable_fields_and_keeps_the_technical_ones(
    dpo: User, akte: Akte, invoice_sent: uuid.UUID
) -> None:
    response = signed_in(dpo).get(API, {"action": "records.akte.change"})
    assert response.status_code == 200, response.content
    (item,) = response.json()["items"]
    assert item["object_type"] == "records.akte" and item["object_type_label"] == "Akte"
    assert item["object_id"] == str(akte.pk) and item["object_reference"] == akte.aktenzeichen
    assert item["changes"]["access_level"] == {"old": "normal", "new": "restricted"}
    assert (
        "Schutzstufe: Normal (zuständige Organisationseinheit) → Eingeschränkt"
        in (item["changes_text"])
    )


# --- Query count -------------------------------------------------------------------------------


def _akten(tenant: Mandant, count: int) -> None:
    defaults.install(actor=None, tenant=tenant)
    plan = services.create_aktenplaneinheit(
        actor=None, tenant=tenant, parent=None, kennzeichen="51", title="Akten"
    )
    unit = factories.unit(tenant, "Team")
    for i in range(count):
        worker = factories.user(tenant)
        services.open_akte_for_person(
            actor=worker,
            tenant=tenant,
            aktenplaneinheit=plan,
            unit=unit,
            title=f"Akte {i}",
            family_name=f"Person{i}",
            caseworker=worker,
        )


# The page's queries without references (see test_audit_page.PAGE_QUERIES), plus one per
# object type on the page: Akte, Person, Benutzer, Organisationseinheit, Aktenplaneinheit,
# Bedarfsgemeinschaft, Mandant.
PAGE_WITH_REFERENCES = 14 + 7


@pytest.mark.parametrize("akten", [5, 25])
def test_references_cost_one_query_per_type_not_per_row(
    dpo: User,
    tenant: Mandant,
    akten: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    _akten(tenant, akten)
    client = signed_in(dpo)
    client.get(PAGE)  # warm the action list cache like any second visit
    with django_assert_max_num_queries(PAGE_WITH_REFERENCES):
        body = client.get(PAGE).content.decode()
    assert " object (" not in body
    assert "Person0" in body or f"Person{akten - 1}" in body
