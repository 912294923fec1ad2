"""Roles and their permissions, defined in code and listed on the admin page.

A Membership grants one role in one Organisationseinheit and everything below it.
"""

from __future__ import annotations

from dataclasses import dataclass


class Perm:
    RECORDS_VIEW = "records.view"
    RECORDS_EDIT = "records.edit"
    RECORDS_ASSIGN = "records.assign"
    INBOX_PROCESS = "inbox.process"
    INBOX_UPLOAD = "inbox.upload"
    OUTBOX_SEND = "outbox.send"
    OUTBOX_FETCH = "outbox.fetch"
    PLACEMENTS_SEARCH = "placements.search"
    PLACEMENTS_MANAGE = "placements.manage"
    MELDUNGEN_REVIEW = "meldungen.review"
    STATISTICS_VIEW = "statistics.view"
    AUDIT_VIEW = "audit.view"
    ACCOUNTS_MANAGE = "accounts.manage"
    TENANCY_MANAGE = "tenancy.manage"
    TOKENS_MANAGE = "tokens.manage"
    JOBS_RUN = "jobs.run"
    FIELD_CHECKOUT = "field.checkout"


PERM_LABELS: dict[str, str] = {
    Perm.RECORDS_VIEW: "Akten lesen",
    Perm.RECORDS_EDIT: "Akten bearbeiten",
    Perm.RECORDS_ASSIGN: "Akten zuweisen",
    Perm.INBOX_PROCESS: "Posteingang bearbeiten",
    Perm.INBOX_UPLOAD: "Scans einliefern",
    Perm.OUTBOX_SEND: "Post versenden",
    Perm.OUTBOX_FETCH: "Druckaufträge abholen",
    Perm.PLACEMENTS_SEARCH: "Plätze suchen und reservieren",
    Perm.PLACEMENTS_MANAGE: "Plätze und Einrichtungen verwalten",
    Perm.MELDUNGEN_REVIEW: "Meldungen nach § 47 SGB VIII prüfen",
    Perm.STATISTICS_VIEW: "Statistiken sehen",
    Perm.AUDIT_VIEW: "Audit-Protokoll einsehen",
    Perm.ACCOUNTS_MANAGE: "Benutzer verwalten",
    Perm.TENANCY_MANAGE: "Organisation verwalten",
    Perm.TOKENS_MANAGE: "Maschinenkonten und API-Schlüssel verwalten",
    Perm.JOBS_RUN: "Hintergrundaufträge starten",
    Perm.FIELD_CHECKOUT: "Akten in den Koffer nehmen (Außendienst)",
}


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    description: str
    permissions: frozenset[str]
    sees_personal_data: bool
    machine: bool = False


ROLES: dict[str, Role] = {
    r.code: r
    for r in [
        Role(
            "sachbearbeitung",
            "Sachbearbeitung",
            "Bearbeitet Akten und Vorgänge der eigenen Organisationseinheit.",
            frozenset(
                {Perm.RECORDS_VIEW, Perm.RECORDS_EDIT, Perm.OUTBOX_SEND, Perm.PLACEMENTS_SEARCH}
            ),
            sees_personal_data=True,
        ),
        Role(
            "aussendienst",
            "Außendienst",
            "Besucht Bürgerinnen und Bürger zu Hause: nimmt Akten, Formulare und Vorlagen im "
            "Koffer mit, arbeitet dort ohne Netz und gleicht danach ab.",
            frozenset(
                {
                    Perm.RECORDS_VIEW,
                    Perm.RECORDS_EDIT,
                    Perm.OUTBOX_SEND,
                    Perm.FIELD_CHECKOUT,
                }
            ),
            sees_personal_data=True,
        ),
        Role(
            "teamleitung",
            "Teamleitung",
            "Wie Sachbearbeitung, verteilt zusätzlich Akten und sieht Statistiken.",
            frozenset(
                {
                    Perm.RECORDS_VIEW,
                    Perm.RECORDS_EDIT,
                    Perm.RECORDS_ASSIGN,
                    Perm.OUTBOX_SEND,
                    Perm.PLACEMENTS_SEARCH,
                    Perm.STATISTICS_VIEW,
                    Perm.JOBS_RUN,
                }
            ),
            sees_personal_data=True,
        ),
        Role(
            "poststelle",
            "Poststelle",
            "Öffnet, scannt und verteilt die eingehende Post.",
            frozenset({Perm.INBOX_PROCESS, Perm.INBOX_UPLOAD}),
            sees_personal_data=True,
        ),
        Role(
            "datenschutz",
            "Datenschutz",
            "Beantwortet, wer was über eine Person oder ein Objekt gesehen oder geändert hat.",
            frozenset({Perm.AUDIT_VIEW}),
            sees_personal_data=True,
        ),
        Role(
            "mandant_admin",
            "Mandanten-Administration",
            "Verwaltet Benutzer, Organisationseinheiten und Maschinenkonten des Mandanten.",
            frozenset(
                {Perm.ACCOUNTS_MANAGE, Perm.TENANCY_MANAGE, Perm.TOKENS_MANAGE, Perm.JOBS_RUN}
            ),
            sees_personal_data=False,
        ),
        Role(
            "platzverwaltung",
            "Platzverwaltung (Träger)",
            "Pflegt Einrichtungen, freie Plätze und Belegungen eines Trägers.",
            frozenset({Perm.PLACEMENTS_MANAGE}),
            sees_personal_data=True,
        ),
        Role(
            "landesjugendamt",
            "Landesjugendamt",
            "Prüft Meldungen nach § 47 SGB VIII und sieht zusammengefasste Statistiken.",
            frozenset({Perm.MELDUNGEN_REVIEW, Perm.STATISTICS_VIEW}),
            sees_personal_data=False,
        ),
        Role(
            "statistik",
            "Statistik (Ministerium)",
            "Sieht nur zusammengefasste Zahlen, keine Personen.",
            frozenset({Perm.STATISTICS_VIEW}),
            sees_personal_data=False,
        ),
        Role(
            "scandienst",
            "Scan-Dienstleister (Maschinenkonto)",
            "Liefert gescannte Post über die API ein.",
            frozenset({Perm.INBOX_UPLOAD}),
            sees_personal_data=False,
            machine=True,
        ),
        Role(
            "fachverfahren",
            "Fachverfahren (Maschinenkonto)",
            "Ein Fachverfahren liest und ergänzt über die API die Akten seiner "
            "Organisationseinheiten, liefert Dokumente ein, schreibt Briefe und sucht und "
            "reserviert Plätze.",
            frozenset(
                {
                    Perm.RECORDS_VIEW,
                    Perm.RECORDS_EDIT,
                    Perm.INBOX_UPLOAD,
                    Perm.OUTBOX_SEND,
                    Perm.PLACEMENTS_SEARCH,
                }
            ),
            sees_personal_data=True,
            machine=True,
        ),
        Role(
            "protokollabruf",
            "Protokollabruf (Maschinenkonto)",
            "Holt das Audit-Protokoll über die API ab, etwa für ein Sicherheitsmonitoring.",
            frozenset({Perm.AUDIT_VIEW}),
            sees_personal_data=True,
            machine=True,
        ),
        Role(
            "druckdienst",
            "Druck-Dienstleister (Maschinenkonto)",
            "Holt Druckaufträge über die API ab und meldet den Versand.",
            frozenset({Perm.OUTBOX_FETCH}),
            sees_personal_data=False,
            machine=True,
        ),
    ]
}

ROLE_CHOICES = [(r.code, r.label) for r in ROLES.values()]

_AUTHORITY = frozenset(
    {"sachbearbeitung", "teamleitung", "poststelle", "datenschutz", "mandant_admin"}
)
_MACHINES = frozenset({"scandienst", "druckdienst", "fachverfahren", "protokollabruf"})
# The roles a Mandant's own administration may hand out, by the kind of Mandant
# (tenancy.Mandant.Kind): a Jobcenter's admin has no business creating Landesjugendamt
# reviewers or ministry statisticians, whose roles open other Mandanten's Meldungen and
# state-wide figures. A Kreis or a Stadt may run facilities of its own (Platzverwaltung).
GRANTABLE_BY_KIND: dict[str, frozenset[str]] = {
    "kreis": _AUTHORITY | _MACHINES | {"platzverwaltung"},
    "gemeinde": _AUTHORITY | _MACHINES | {"platzverwaltung"},
    "jobcenter": _AUTHORITY | _MACHINES,
    "traeger": frozenset({"platzverwaltung", "datenschutz", "mandant_admin", "protokollabruf"}),
    "landesjugendamt": frozenset(
        {"landesjugendamt", "datenschutz", "mandant_admin", "protokollabruf"}
    ),
    "ministerium": frozenset({"statistik", "datenschutz", "mandant_admin", "protokollabruf"}),
}

# Permissions over other people's permissions: a role that carries one of them may only be
# granted by someone who holds it there themselves, so that no admin can hand out more
# power than they have.
HOLDER_ONLY = frozenset({Perm.ACCOUNTS_MANAGE, Perm.TENANCY_MANAGE, Perm.TOKENS_MANAGE})


def grantable_in(kind: str) -> list[Role]:
    """The roles a Mandant of ``kind`` may hand out, in the order of ``ROLES``."""
    allowed = GRANTABLE_BY_KIND.get(kind, frozenset())
    return [r for r in ROLES.values() if r.code in allowed]


def token_permissions(role_codes: list[str]) -> frozenset[str]:
    """What an API token of a machine account with these roles may be given.

    A machine role's permissions are exactly its allowed set: a scan provider's token can
    upload, never manage accounts. A person's role counts for nothing here, so a machine
    account that was (wrongly) given a person's role does not pass it on to a token.
    """
    allowed: set[str] = set()
    for code in role_codes:
        found = ROLES.get(code)
        if found is not None and found.machine:
            allowed |= found.permissions
    return frozenset(allowed)


def role(code: str) -> Role:
    return ROLES[code]
