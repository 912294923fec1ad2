"""Reads of the checkout package in the office: what a Koffer carries for its open
checkouts (:func:`bauen`) and whether a Koffer may fetch a blob (:func:`blob_im_paket`).

Every table is read in one query, whatever the number of Akten (no query per Akte or per
document); only the audit writes one event per Akte, because reading an Akte for the
package is a read of personal data like opening it on a page."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.hashers import make_password
from django.core import serializers
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from koffer.accounts.access import Access
from koffer.accounts.models import Membership, User
from koffer.blobs.store import get_store
from koffer.field.geraete.selectors import offene_ausleihen
from koffer.field.models import Ausleihe, Geraet
from koffer.field.paket import inhalt, services
from koffer.forms.models import Formular, Formularversion
from koffer.outbox.models import Briefkopf, Textbaustein, Vorlage, VorlagenVersion
from koffer.records import access as records_access
from koffer.records.models import (
    Akte,
    Aktenplaneinheit,
    AkteSubjekt,
    AkteZugriff,
    Bedarfsgemeinschaft,
    BgMitglied,
    Dokument,
    DokumentVersion,
    Frist,
    FristRegel,
    Person,
    Vorgang,
    VorgangSchritt,
    VorgangTyp,
    Wiedervorlage,
)
from koffer.tenancy.models import Mandant, Organisationseinheit

_Node = TypeVar("_Node", bound=models.Model)

# A colleague's account travels only so that foreign keys hold (caseworker, author of a
# version): without the password, memberships or second factor, it cannot sign in offline.
# The Koffer's own field worker travels whole, so the same password and TOTP work offline.
USER_FIELDS = tuple(
    f.name for f in User._meta.concrete_fields if not f.primary_key and f.name != "password"
)
# The Koffer needs its registry row (name, user, state), not the hashes of its secrets.
GERAET_FIELDS = tuple(
    f.name
    for f in Geraet._meta.concrete_fields
    if not f.primary_key and f.name not in {"token_hash", "kopplung_hash", "kopplung_bis"}
)


def bauen(*, geraet: Geraet) -> dict[str, Any]:
    """The checkout package of ``geraet``: everything its field worker needs offline for
    the Akten checked out to it (open, not expired), as JSON-ready data. Rows of Akten
    not checked out to it, and any other Mandant's rows, are never in it. Each Akte read
    is audited (``field.paket_gelesen``)."""
    tenant_id = geraet.tenant_id
    worker = User.objects.get(pk=geraet.user_id)
    memberships = list(
        Membership.objects.for_tenant(tenant_id).filter(user=worker).select_related("unit")
    )
    # A checkout carries an Akte only while its field worker may still see it: access
    # withdrawn after the checkout (a new unit, a restricted Akte) withdraws it here too.
    access = Access.for_memberships(tenant_id, memberships)
    ausleihen = list(offene_ausleihen(geraet))
    akten = list(
        Akte.objects.for_tenant(tenant_id)
        .filter(records_access.akten_q(access, worker.pk), pk__in=[a.akte_id for a in ausleihen])
        .order_by("pk")
    )
    akte_ids = [a.pk for a in akten]
    carried = set(akte_ids)
    ausleihen = [a for a in ausleihen if a.akte_id in carried]
    bg_ids = {a.bg_id for a in akten if a.bg_id is not None}

    subjekte = list(AkteSubjekt.objects.for_tenant(tenant_id).filter(akte_id__in=akte_ids))
    zugriffe = list(AkteZugriff.objects.for_tenant(tenant_id).filter(akte_id__in=akte_ids))
    bgs = list(Bedarfsgemeinschaft.objects.for_tenant(tenant_id).filter(pk__in=bg_ids))
    mitglieder = list(BgMitglied.objects.for_tenant(tenant_id).filter(bg_id__in=bg_ids))
    person_ids = {s.person_id for s in subjekte} | {m.person_id for m in mitglieder}
    personen = list(Person.objects.for_tenant(tenant_id).filter(pk__in=person_ids))
    vorgaenge = list(Vorgang.objects.for_tenant(tenant_id).filter(akte_id__in=akte_ids))
    schritte = list(
        VorgangSchritt.objects.for_tenant(tenant_id).filter(vorgang__akte_id__in=akte_ids)
    )
    fristen = list(Frist.objects.for_tenant(tenant_id).filter(vorgang__akte_id__in=akte_ids))
    wiedervorlagen = list(Wiedervorlage.objects.for_tenant(tenant_id).filter(akte_id__in=akte_ids))
    dokumente = list(Dokument.objects.for_tenant(tenant_id).filter(akte_id__in=akte_ids))
    versionen = list(
        DokumentVersion.objects.for_tenant(tenant_id).filter(dokument__akte_id__in=akte_ids)
    )
    formulare = list(Formular.objects.for_tenant(tenant_id).filter(is_active=True))
    formularversionen = list(
        Formularversion.objects.for_tenant(tenant_id).filter(formular__is_active=True)
    )
    briefkoepfe = list(Briefkopf.objects.for_tenant(tenant_id))
    vorlagen = list(Vorlage.objects.for_tenant(tenant_id))
    vorlagenversionen = list(VorlagenVersion.objects.for_tenant(tenant_id))

    unit_ids = (
        {a.unit_id for a in akten}
        | {m.unit_id for m in memberships}
        | {w.unit_id for w in wiedervorlagen if w.unit_id is not None}
        | {b.unit_id for b in briefkoepfe if b.unit_id is not None}
    )
    units = _with_ancestors(
        list(Organisationseinheit.objects.for_tenant(tenant_id).order_by("path")), unit_ids
    )
    rows: dict[type[models.Model], Sequence[models.Model]] = {
        Organisationseinheit: units,
        Membership: memberships,
        TOTPDevice: list(TOTPDevice.objects.filter(user=worker)),
        Aktenplaneinheit: _tree(list(Aktenplaneinheit.objects.for_tenant(tenant_id))),
        VorgangTyp: list(VorgangTyp.objects.for_tenant(tenant_id)),
        FristRegel: list(FristRegel.objects.for_tenant(tenant_id)),
        Person: personen,
        Bedarfsgemeinschaft: bgs,
        BgMitglied: mitglieder,
        Akte: akten,
        AkteSubjekt: subjekte,
        AkteZugriff: zugriffe,
        Ausleihe: ausleihen,
        Vorgang: vorgaenge,
        VorgangSchritt: schritte,
        Frist: fristen,
        Dokument: dokumente,
        DokumentVersion: versionen,
        Wiedervorlage: wiedervorlagen,
        Formular: formulare,
        Formularversion: formularversionen,
        Briefkopf: briefkoepfe,
        Textbaustein: list(Textbaustein.objects.for_tenant(tenant_id)),
        Vorlage: vorlagen,
        VorlagenVersion: vorlagenversionen,
    }
    colleagues = _referenced_users(rows) - {worker.pk}
    objekte: list[dict[str, Any]] = []
    for model in inhalt.ORDER:
        objekte.extend(_serialised(model, rows, worker, colleagues, geraet, tenant_id))

    for akte in akten:
        services.record_gelesen(actor=worker, akte=akte, geraet=geraet)
    return {
        "format": inhalt.FORMAT,
        "erstellt": timezone.now().isoformat(),
        "mandant": str(tenant_id),
        "geraet": str(geraet.pk),
        "ausleihen": [
            {
                "id": str(a.pk),
                "akte": str(a.akte_id),
                "seit": a.seit.isoformat(),
                "bis": a.bis.isoformat(),
            }
            for a in ausleihen
        ],
        "objekte": objekte,
        "blobs": _blobs(dokumente, versionen),
    }


def blob_im_paket(*, geraet: Geraet, access: Access, sha256: str) -> bool:
    """Whether ``sha256`` is a blob the Koffer's current package names: the original or
    PDF rendition of the current version of a document in an Akte checked out to it that
    its field worker may still see. One query, whatever the package's size."""
    return (
        DokumentVersion.objects.for_tenant(geraet.tenant_id)
        .filter(
            Q(sha256=sha256) | Q(pdf_sha256=sha256),
            records_access.akten_q(access, geraet.user_id, prefix="dokument__akte__"),
            dokument__current_version_id=F("pk"),
            dokument__akte_id__in=offene_ausleihen(geraet).values("akte_id"),
        )
        .exists()
    )


def _serialised(
    model: type[models.Model],
    rows: dict[type[models.Model], Sequence[models.Model]],
    worker: User,
    colleagues: set[Any],
    geraet: Geraet,
    tenant_id: uuid.UUID,
) -> list[dict[str, Any]]:
    if model is Mandant:
        return zeilen(Mandant.objects.filter(pk=tenant_id))
    if model is Geraet:
        return zeilen([geraet], fields=GERAET_FIELDS)
    if model is User:
        people = [worker, *User.objects.filter(pk__in=colleagues).order_by("pk")]
        found = zeilen(people, fields=(*USER_FIELDS, "password"))
        for row in found[1:]:
            row["fields"]["password"] = make_password(None)
        return found
    return zeilen(rows.get(model, ()))


def zeilen(
    objects: Iterable[models.Model], *, fields: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Rows through Django's own serialization framework ("python"), then made JSON-ready
    without losing precision (DjangoJSONEncoder would cut microseconds, and the base
    version must be what the database holds)."""
    found = serializers.serialize("python", objects, fields=fields)
    return [
        {"model": r["model"], "pk": _json(r["pk"]), "fields": _json(r["fields"])} for r in found
    ]


def json_wert(value: Any) -> Any:
    """A value (or the fields of a row) from Django's "python" serializer made JSON-ready
    exactly as the package carries it: the sync back compares and sends values in this
    form."""
    return _json(value)


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def _referenced_users(rows: dict[type[models.Model], Sequence[models.Model]]) -> set[Any]:
    found: set[Any] = set()
    for model, objects in rows.items():
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is User
        ]
        for obj in objects:
            found.update(getattr(obj, c) for c in columns)
    found.discard(None)
    return found


def _with_ancestors(
    units: list[Organisationseinheit], wanted: set[Any]
) -> list[Organisationseinheit]:
    """The ``wanted`` units and every unit above them, parents first."""
    by_id: dict[Any, Organisationseinheit] = {u.pk: u for u in units}
    keep: set[Any] = set()
    for unit_id in wanted:
        current = by_id.get(unit_id)
        while current is not None and current.pk not in keep:
            keep.add(current.pk)
            current = by_id.get(current.parent_id)
    return _tree([u for u in units if u.pk in keep])


def _tree(nodes: list[_Node]) -> list[_Node]:
    """Parents before children (``parent`` foreign keys), then by primary key."""
    by_id = {n.pk: n for n in nodes}

    def depth(node: Any) -> int:
        level = 0
        while node.parent_id is not None and node.parent_id in by_id:
            node = by_id[node.parent_id]
            level += 1
        return level

    return sorted(nodes, key=lambda n: (depth(n), str(n.pk)))


def _blobs(dokumente: list[Dokument], versionen: list[DokumentVersion]) -> list[dict[str, Any]]:
    """Blobs of each document's current version: its bytes and, if it has one, its PDF
    rendition. Older versions travel as rows only (named, not carried) to keep the
    checkout small; a Koffer shows and prints the current version."""
    current = {d.current_version_id for d in dokumente if d.current_version_id is not None}
    store = get_store()
    found: dict[str, int] = {}
    for version in versionen:
        if version.pk not in current:
            continue
        found.setdefault(version.sha256, version.size)
        if version.pdf_sha256 and version.pdf_sha256 not in found:
            found[version.pdf_sha256] = store.size(version.pdf_sha256)
    return [{"sha256": sha, "size": size} for sha, size in sorted(found.items())]
