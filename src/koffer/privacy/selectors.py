"""Reads of the audit log for the data-protection officer ("who saw or changed what about
this person or object, and when").

Every query starts with ``tenant_id = <active Mandant>``; nothing here can reach another
Mandant's chain. Paging is keyset on ``seq``: within one Mandant ``seq`` is unique,
gap-free and exactly the order in which events were appended (the unique index
``(tenant_id, seq)`` serves every page with one range scan, never an OFFSET).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from koffer.accounts import selectors as accounts
from koffer.audit.models import AuditEvent, AuditHead
from koffer.privacy import labels, references
from koffer.tenancy.models import Mandant

BERLIN = ZoneInfo("Europe/Berlin")
PAGE_SIZE = 50
EXPORT_CHUNK = 2000
LABEL_BATCH = 500  # references per name lookup: a page (50) always needs just one
# A name search resolves to at most this many people; more means "please be more precise".
SUBJECT_CANDIDATES = 25
# The action list is a DISTINCT over the whole chain; a few minutes' staleness is harmless
# (an unknown action can still be filtered for, see forms.AuditFilterForm).
ACTIONS_CACHE_SECONDS = 300

Ref = tuple[str, str]
USER_TYPE = "accounts.user"


@dataclass(frozen=True)
class AuditFilter:
    """What the officer is looking for. Empty fields do not filter."""

    subject_type: str = ""
    subject_id: str = ""
    subject_search: str = ""  # part of a person's name, resolved via object labels
    object_type: str = ""
    object_id: str = ""
    actor_id: uuid.UUID | None = None
    actor_system: bool = False  # events without a person behind them
    action: str = ""
    since: date | None = None  # inclusive, Europe/Berlin
    until: date | None = None  # inclusive, Europe/Berlin
    text: str = ""  # in object label, actor label and reason

    def as_dict(self) -> dict[str, Any]:
        """The set fields as JSON-ready values (for the audit event of the query itself)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == "" or value is False:
                continue
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, uuid.UUID):
                value = str(value)
            out[f.name] = value
        return out


@dataclass(frozen=True)
class SubjectRef:
    type: str
    id: str
    label: str

    @property
    def type_label(self) -> str:
        return labels.type_label(self.type)


@dataclass(frozen=True)
class SubjectMatches:
    refs: list[SubjectRef]
    truncated: bool  # more people matched than SUBJECT_CANDIDATES


@dataclass(frozen=True)
class AuditRow:
    """One event as the officer reads it: references resolved to names and numbers."""

    event: AuditEvent
    subject_label: str
    object_reference: str = ""
    actor_label: str = ""
    # Names of the objects that foreign keys in ``changes`` point to.
    references: Mapping[Ref, str] = field(default_factory=dict)

    @property
    def action_label(self) -> str:
        return labels.action_label(self.event.action)

    @property
    def object_type_label(self) -> str:
        return labels.type_label(self.event.object_type)

    @property
    def subject_type_label(self) -> str:
        return labels.type_label(self.event.subject_type)

    def _changes(self, limit: int | None) -> str:
        e = self.event
        return labels.changes_text(
            e.changes, object_type=e.object_type, references=self.references, limit=limit
        )

    @property
    def changes_short(self) -> str:
        return self._changes(80)

    @property
    def changes_readable(self) -> str:
        return self._changes(None)


@dataclass(frozen=True)
class EventPage:
    rows: list[AuditRow]
    newer_cursor: int | None  # pass as newer_than to see the page before this one
    older_cursor: int | None  # pass as older_than to see the page after this one


def _berlin_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BERLIN)


def _any_ref(type_field: str, id_field: str, refs: Iterable[Ref]) -> Q:
    """``(type = t AND id IN (...)) OR ...``: one branch per type, not per reference, so
    that a few thousand references stay a shallow expression (SQLite stops at depth 1000)."""
    by_type: dict[str, list[str]] = {}
    for kind, ident in refs:
        by_type.setdefault(kind, []).append(ident)
    cond = Q()
    for kind, idents in sorted(by_type.items()):
        cond |= Q(**{type_field: kind, f"{id_field}__in": sorted(set(idents))})
    return cond


def subject_labels(tenant_id: uuid.UUID, refs: Iterable[Ref]) -> dict[Ref, str]:
    """The latest label recorded for each (type, id): one query per LABEL_BATCH references.

    Events store the label of their object only; a person's name is therefore the
    object label of the newest event about that person as object.
    """
    wanted = sorted({(t, i) for t, i in refs if t and i})
    found: dict[Ref, str] = {}
    for start in range(0, len(wanted), LABEL_BATCH):
        found.update(_latest_labels(tenant_id, wanted[start : start + LABEL_BATCH]))
    return found


def _latest_labels(tenant_id: uuid.UUID, refs: list[Ref]) -> dict[Ref, str]:
    newest_first = Window(
        RowNumber(),
        partition_by=[F("object_type"), F("object_id")],
        order_by=F("seq").desc(),
    )
    rows = (
        AuditEvent.objects.filter(tenant_id=tenant_id)
        .filter(_any_ref("object_type", "object_id", refs))
        .exclude(object_label="")
        .annotate(newest=newest_first)
        .filter(newest=1)
        .order_by()
        .values_list("object_type", "object_id", "object_label")
    )
    return {(t, i): label for t, i, label in rows}


def matching_subjects(tenant_id: uuid.UUID, search: str) -> SubjectMatches:
    """People (anything that is the subject of some event) whose label contains ``search``."""
    is_subject = AuditEvent.objects.filter(
        tenant_id=tenant_id, subject_type=OuterRef("object_type"), subject_id=OuterRef("object_id")
    )
    found = list(
        AuditEvent.objects.filter(tenant_id=tenant_id, object_label__icontains=search)
        .filter(Exists(is_subject))
        .order_by("object_type", "object_id")
        .values_list("object_type", "object_id")
        .distinct()[: SUBJECT_CANDIDATES + 1]
    )
    truncated = len(found) > SUBJECT_CANDIDATES
    found = found[:SUBJECT_CANDIDATES]
    names = subject_labels(tenant_id, found)
    refs = [SubjectRef(t, i, names.get((t, i), "")) for t, i in found]
    refs.sort(key=lambda r: (r.label.casefold(), r.type, r.id))
    return SubjectMatches(refs, truncated)


class AuditQuery:
    """One filtered view of a Mandant's audit log.

    ``upto`` (exclusive ``seq``) freezes the view at a point of the chain: the page and the
    export pass the ``seq`` of the event that records the query itself, so the officer's
    own look is logged but not part of what they see, and a long export is a consistent
    snapshot while new events keep arriving.
    """

    def __init__(self, tenant: Mandant, audit_filter: AuditFilter, *, upto: int | None = None):
        self.tenant_id: uuid.UUID = tenant.pk
        self.filter = audit_filter
        self.upto = upto

    @cached_property
    def subjects(self) -> SubjectMatches | None:
        """People matching the name search, or None without one."""
        if not self.filter.subject_search:
            return None
        return matching_subjects(self.tenant_id, self.filter.subject_search)

    def queryset(self) -> QuerySet[AuditEvent]:
        f = self.filter
        qs = AuditEvent.objects.filter(tenant_id=self.tenant_id)
        if self.upto is not None:
            qs = qs.filter(seq__lt=self.upto)
        if f.subject_type:
            qs = qs.filter(subject_type=f.subject_type)
        if f.subject_id:
            qs = qs.filter(subject_id=f.subject_id)
        if self.subjects is not None:
            if not self.subjects.refs:
                return qs.none()
            refs = [(r.type, r.id) for r in self.subjects.refs]
            qs = qs.filter(_any_ref("subject_type", "subject_id", refs))
        if f.object_type:
            qs = qs.filter(object_type=f.object_type)
        if f.object_id:
            qs = qs.filter(object_id=f.object_id)
        if f.actor_system:
            qs = qs.filter(actor_id__isnull=True)
        elif f.actor_id is not None:
            qs = qs.filter(actor_id=f.actor_id)
        if f.action:
            qs = qs.filter(action=f.action)
        if f.since is not None:
            qs = qs.filter(at__gte=_berlin_midnight(f.since))
        if f.until is not None and f.until < date.max:
            qs = qs.filter(at__lt=_berlin_midnight(f.until + timedelta(days=1)))
        if f.text:
            qs = qs.filter(
                Q(object_label__icontains=f.text)
                | Q(actor_label__icontains=f.text)
                | Q(reason__icontains=f.text)
            )
        return qs

    def _rows(self, events: list[AuditEvent]) -> list[AuditRow]:
        return rows_for(self.tenant_id, events)

    def page(
        self,
        *,
        older_than: int | None = None,
        newer_than: int | None = None,
        size: int = PAGE_SIZE,
    ) -> EventPage:
        """Newest first. Without a cursor the newest page; ``older_than``/``newer_than``
        are the ``seq`` cursors an earlier page handed out."""
        qs = self.queryset()
        if newer_than is not None:
            events = list(qs.filter(seq__gt=newer_than).order_by("seq")[: size + 1])
            more_newer = len(events) > size
            events = events[:size][::-1]
            return EventPage(
                self._rows(events),
                newer_cursor=events[0].seq if more_newer else None,
                older_cursor=events[-1].seq if events else None,
            )
        if older_than is not None:
            qs = qs.filter(seq__lt=older_than)
        events = list(qs.order_by("-seq")[: size + 1])
        more_older = len(events) > size
        events = events[:size]
        return EventPage(
            self._rows(events),
            newer_cursor=events[0].seq if older_than is not None and events else None,
            older_cursor=events[-1].seq if more_older else None,
        )

    def batches(self, chunk: int | None = None) -> Iterator[list[AuditRow]]:
        """Everything, newest first, ``chunk`` events per query (keyset, constant memory)."""
        chunk = chunk or EXPORT_CHUNK
        qs = self.queryset().order_by("-seq")
        last: int | None = None
        while True:
            window = qs if last is None else qs.filter(seq__lt=last)
            events = list(window[:chunk])
            if not events:
                return
            yield self._rows(events)
            if len(events) < chunk:
                return
            last = events[-1].seq


def rows_for(tenant_id: uuid.UUID, events: list[AuditEvent]) -> list[AuditRow]:
    """The events with their references resolved: one query per object type named on the
    page (objects, people, actors, foreign keys in the changes), plus one for people whose record
    is gone (their name as the log last recorded it)."""
    wanted: set[Ref] = set()
    for e in events:
        wanted.add((e.object_type, e.object_id))
        if e.actor_id is not None:
            wanted.add((USER_TYPE, str(e.actor_id)))
        wanted.add((e.subject_type, e.subject_id))
        wanted.update(labels.change_refs(e.object_type, e.changes))
    current = references.resolve(wanted, tenant_id=tenant_id)
    subjects = {(e.subject_type, e.subject_id) for e in events if e.subject_type}
    logged = subject_labels(tenant_id, subjects - current.keys())
    rows = []
    for e in events:
        obj = (e.object_type, e.object_id)
        subj = (e.subject_type, e.subject_id)
        object_reference = (
            current.get(obj) or references.fallback(*obj, e.object_label) if e.object_type else ""
        )
        subject_label = current.get(subj) or logged.get(subj, "")
        if e.subject_type and not subject_label:
            subject_label = references.fallback(*subj)
        actor = current.get((USER_TYPE, str(e.actor_id))) if e.actor_id else None
        actor_label = actor or e.actor_label or "System"
        rows.append(AuditRow(e, subject_label, object_reference, actor_label, current))
    return rows


def actions_present(tenant: Mandant) -> list[str]:
    """The distinct action codes in the Mandant's chain (cached for a few minutes)."""
    key = f"privacy:audit-actions:{tenant.pk}"
    found: list[str] | None = cache.get(key)
    if found is None:
        found = sorted(
            AuditEvent.objects.filter(tenant_id=tenant.pk)
            .order_by()
            .values_list("action", flat=True)
            .distinct()
        )
        cache.set(key, found, ACTIONS_CACHE_SECONDS)
    return found


def actor_choices(tenant: Mandant) -> list[tuple[str, str]]:
    """Members of the Mandant, people first, as (user id, name)."""
    return [(str(u.pk), str(u)) for u in accounts.users_of(tenant)]


def last_actor_label(tenant: Mandant, actor_id: uuid.UUID) -> str:
    """How the log last named ``actor_id`` (for accounts that have left the Mandant)."""
    label = (
        AuditEvent.objects.filter(tenant_id=tenant.pk, actor_id=actor_id)
        .order_by("-at")
        .values_list("actor_label", flat=True)
        .first()
    )
    return label or ""


def chain_head(tenant: Mandant) -> AuditHead | None:
    return AuditHead.objects.filter(tenant_id=tenant.pk).first()
