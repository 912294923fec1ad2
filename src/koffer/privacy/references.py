"""Human references for the objects an audit page names: an Akte by its Aktenzeichen, a
Rechnung by its number, a user by name and login, and so on.

The log stores ``object_type``/``object_id`` (and the object's ``str()`` at the time,
which for some models is Django's "Rechnung object (01a2…)"). A page resolves all the
references it shows at once: one query per object type (per ``BATCH`` ids), never one per
row. Objects that no longer exist get their stored label, or the type and a short id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from koffer.privacy import labels
from koffer.tenancy.across import fetch_across, owned, seen_by_others, split

Ref = tuple[str, str]
BATCH = 500  # ids per query: a page (50 rows, a few refs each) always needs one per type
SHORT_ID = 8


def _date(value: Any) -> str:
    return labels.german_date(value)


def _user(u: Any) -> str:
    full = f"{u.first_name} {u.last_name}".strip()
    return f"{full} ({u.username})" if full else u.username


def _in_akte(text: str, akte: Any) -> str:
    return f"{text} (Akte {akte.aktenzeichen})"


def _belegung(b: Any) -> str:
    text = f"{b.gesuch.pseudonym}, {b.einrichtung.name}, {b.platz.label}"
    return f"{text}, ab {_date(b.beginn)}" if b.beginn else text


# type code -> (select_related paths, text). Types not listed use the model's __str__,
# if it defines one (a model without one would read "Rechnung object (…)"); a __str__
# that reads a related object must be listed here with its path, or every row costs a
# query (test_readable pins the count).
REFERENCES: dict[str, tuple[tuple[str, ...], Callable[[Any], str]]] = {
    "accounts.user": ((), _user),
    "accounts.membership": (
        ("user", "unit"),
        lambda m: f"{_user(m.user)}: {m.get_role_display()} in {m.unit.name}",
    ),
    "records.bgmitglied": (("person",), str),
    "records.aktesubjekt": (
        ("person", "akte"),
        lambda s: f"{s.person} in Akte {s.akte.aktenzeichen}",
    ),
    "records.akte": ((), lambda a: a.aktenzeichen),
    "records.person": ((), str),
    "records.dokument": (("akte",), lambda d: _in_akte(d.title, d.akte)),
    "records.vorgang": (("akte",), lambda v: _in_akte(v.title, v.akte)),
    "records.frist": (
        ("vorgang__akte",),
        lambda f: _in_akte(f"{f.label}, fällig {_date(f.due_date)}", f.vorgang.akte),
    ),
    "records.wiedervorlage": (("akte",), lambda w: _in_akte(f"fällig {_date(w.due_date)}", w.akte)),
    "records.aktenauszug": (
        ("akte",),
        lambda a: (
            f"Auszug aus Akte {a.akte.aktenzeichen} vom {labels.german_datetime(a.created_at)}"
        ),
    ),
    "records.akteneinsicht": (("auszug__akte",), lambda e: _in_akte(e.recipient, e.auszug.akte)),
    "placements.rechnung": ((), lambda r: r.number),
    "placements.meldung": ((), lambda m: m.number),
    "placements.traegerprofil": ((), lambda t: t.legal_name),
    "placements.rechnungsanschrift": ((), lambda r: r.bezeichnung),
    "placements.belegung": (("gesuch", "einrichtung", "platz"), _belegung),
    "placements.reservierung": (
        ("gesuch", "platz__einrichtung"),
        lambda r: f"{r.gesuch.pseudonym}, {r.platz.einrichtung.name}, {r.platz.label}",
    ),
    "placements.entgelt": (
        ("angebot",),
        lambda e: f"{e.angebot.title}, gültig ab {_date(e.valid_from)}",
    ),
    "placements.abwesenheit": (
        ("belegung__gesuch",),
        lambda a: f"{a.belegung.gesuch.pseudonym}, {_date(a.von)} bis {_date(a.bis)}",
    ),
    "placements.leistungsnachweis": (
        ("belegung__gesuch", "platz"),
        lambda n: f"{n.monat:%m/%Y}, {n.belegung.gesuch.pseudonym}, {n.platz.label}",
    ),
    "jobs.job": ((), lambda j: j.title),
}


def _has_own_str(model: type[models.Model]) -> bool:
    return model.__str__ is not models.Model.__str__


def _text_for(model: type[models.Model]) -> tuple[tuple[str, ...], Callable[[Any], str]] | None:
    known = REFERENCES.get(model._meta.label_lower)
    if known is not None:
        return known
    return ((), str) if _has_own_str(model) else None


def resolve(refs: Iterable[Ref], *, tenant_id: uuid.UUID) -> dict[Ref, str]:
    """The current reference text of every (type, id) named in ``tenant_id``'s log that
    still exists and has one.

    One query per type and BATCH ids, by Mandant and id (on Citus routed to the Mandant's
    shards); only ids of a type another Mandant's rows may be (``seen_by_others``: a
    provider's Belegung in the youth office's log) that are not the Mandant's own cost one
    more query, by id alone. Ids that are not valid keys of the model (a hand written object
    id) are skipped rather than failing the page."""
    by_type: dict[str, set[str]] = {}
    for kind, ident in refs:
        if kind and ident:
            by_type.setdefault(kind, set()).add(ident)
    found: dict[Ref, str] = {}
    for kind, idents in sorted(by_type.items()):
        model = labels.model_for(kind)
        spec = _text_for(model) if model is not None else None
        if model is None or spec is None:
            continue
        related, text = spec
        valid = _valid_keys(model, idents)
        ordered = sorted(valid)
        for start in range(0, len(ordered), BATCH):
            chunk = [valid[k] for k in ordered[start : start + BATCH]]
            for obj in _objects(model, related, chunk, tenant_id):
                found[(kind, str(obj.pk))] = text(obj)
    return found


def _objects(
    model: type[models.Model], related: tuple[str, ...], ids: list[Any], tenant_id: uuid.UUID
) -> list[Any]:
    """The rows of ``model`` with these ids: the Mandant's own first, then, for a type other
    Mandanten's rows may be, the rest by id."""
    if not owned(model):
        return _load(model._base_manager.filter(pk__in=ids), related)
    objs = _load(model._base_manager.filter(tenant_id=tenant_id, pk__in=ids), related)
    if seen_by_others(model) and len(objs) < len(ids):
        own = {obj.pk for obj in objs}
        rest = [ident for ident in ids if ident not in own]
        objs += _load(model._base_manager.filter(pk__in=rest), related)
    return objs


def _load(qs: models.QuerySet[Any], related: tuple[str, ...]) -> list[Any]:
    # A row of another Mandant (a provider's Belegung names the youth office's Gesuch) is
    # loaded by id after the rows, not joined (koffer.tenancy.across).
    joined, across = split(qs.model, related)
    if joined:
        qs = qs.select_related(*joined)
    objs = list(qs)
    for path in across:
        fetch_across(objs, path)
    return objs


def _valid_keys(model: type[models.Model], idents: set[str]) -> dict[str, Any]:
    pk = model._meta.pk
    assert pk is not None
    valid: dict[str, Any] = {}
    for ident in idents:
        try:
            valid[ident] = pk.to_python(ident)
        except (ValidationError, ValueError, TypeError):
            continue  # a malformed id simply resolves to nothing
    return valid


def fallback(kind: str, ident: str, stored_label: str = "") -> str:
    """For objects that are gone: the label stored then (unless it is Django's default
    "X object (…)"), else the type and a short id."""
    if stored_label and " object (" not in stored_label:
        return stored_label
    short = ident[:SHORT_ID] + ("…" if len(ident) > SHORT_ID else "")
    return f"{labels.type_label(kind)} {short}".strip()
