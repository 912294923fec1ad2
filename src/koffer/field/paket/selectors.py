"""Reads of the checkout package in the office: what a Koffer carries for its open
checkouts (:func:`bauen`) and whether a Koffer may fetch a blob (:func:`blob_im_paket`).

Every table is read in one query, whatever the number of Akten (no query per Akte or per
document); only the audit writes one event per Akte, because reading an Akte for the
package is a read of personal data like opening it on a page."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field
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
from koffer.audit.models import AuditEvent, AuditHead
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

# Events since a Koffer's last pull beyond which it gets the whole package again (a
# Koffer away for weeks: reading the chain would cost more than building anew).
GRENZE = 50_000
# Rows serialised (and Akten audited) between two steps of :func:`schrittweise`.
STUECK = 200
# Audit actions of reads: they change nothing.
LESEN = ("read", "field.paket_gelesen", "inbox.import.read")
# The rows below an Akte that a change may name, and the way to their Akte.
AKTE_DURCH: dict[type[models.Model], str] = {
    AkteSubjekt: "akte_id",
    AkteZugriff: "akte_id",
    Ausleihe: "akte_id",
    Vorgang: "akte_id",
    VorgangSchritt: "vorgang__akte_id",
    Frist: "vorgang__akte_id",
    Wiedervorlage: "akte_id",
    Dokument: "akte_id",
    DokumentVersion: "dokument__akte_id",
}
AKTE_MODELLE: frozenset[type[models.Model]] = frozenset(
    {*AKTE_DURCH, Akte, Person, Bedarfsgemeinschaft, BgMitglied}
)

# A colleague's account travels only so that foreign keys hold (caseworker, author of a
# version): without the password, memberships or second factor, it cannot sign in offline.
# The Koffer's own field worker travels whole, so the same password and TOTP work offline.
USER_FIELDS = tuple(
    f.name for f in User._meta.concrete_fields if not f.primary_key and f.name != "password"
)
# A document version travels without its text: the Koffer gets the file itself, and a
# text file's text is the file again (2,000 text files of 500 kB made a package of 1 GB,
# twice what the blobs are, parsed and kept as base versions on the Koffer). Left out,
# not emptied: a base version without the field never sees a local text as a change.
VERSION_FIELDS = tuple(
    f.name for f in DokumentVersion._meta.concrete_fields if not f.primary_key and f.name != "text"
)
# The Koffer needs its registry row (name, user, state), not the hashes of its secrets.
GERAET_FIELDS = tuple(
    f.name
    for f in Geraet._meta.concrete_fields
    if not f.primary_key and f.name not in {"token_hash", "kopplung_hash", "kopplung_bis"}
)


def bauen(*, geraet: Geraet, seit: int | None = None) -> dict[str, Any]:
    """The checkout package of ``geraet`` built in one go (:func:`schrittweise`)."""
    schritte = schrittweise(geraet=geraet, seit=seit)
    while True:
        try:
            next(schritte)
        except StopIteration as fertig:
            paket: dict[str, Any] = fertig.value
            return paket


def schrittweise(
    *, geraet: Geraet, seit: int | None = None
) -> Generator[None, None, dict[str, Any]]:
    """The checkout package of ``geraet``: everything its field worker needs offline for
    the Akten checked out to it (open, not expired), as JSON-ready data. Rows of Akten
    not checked out to it, and any other Mandant's rows, are never in it. Each Akte read
    is audited (``field.paket_gelesen``).

    ``stand`` in the answer is the Mandant's change marker when building began (the
    audit chain's sequence number, :func:`aenderungsstand`). With ``seit`` (the ``stand``
    of the Koffer's last complete pull) only what changed since is answered
    (``vollstaendig`` false, :func:`auswahl`); the whole package when ``seit`` is
    unusable (newer than the office's marker, or too many changes since). ``entfernt``
    names the Akten this Koffer once carried and carries no more (checkout ended,
    expired, or access withdrawn): the Koffer wipes them.

    A generator: it yields between its steps (a table read, a few hundred rows
    serialised, a few Akten audited) and returns the package, so that the API can show
    the Koffer that it is still working while a large package is built
    (``auslieferung.paket_strom``). Its first step chooses the Akten; an error there comes
    before any byte is sent."""
    tenant_id = geraet.tenant_id
    # First, before any row is read: whatever commits later has a higher marker.
    stand = aenderungsstand(tenant_id)
    worker = User.objects.get(pk=geraet.user_id)
    memberships = list(
        Membership.objects.for_tenant(tenant_id).filter(user=worker).select_related("unit")
    )
    # A checkout carries an Akte only while its field worker may still see it: access
    # withdrawn after the checkout (a new unit, a restricted Akte) withdraws it here too.
    access = Access.for_memberships(tenant_id, memberships)
    ausleihen = list(offene_ausleihen(geraet))
    alle_akten = list(
        Akte.objects.for_tenant(tenant_id)
        .filter(records_access.akten_q(access, worker.pk), pk__in=[a.akte_id for a in ausleihen])
        .order_by("pk")
    )
    carried = {a.pk for a in alle_akten}
    entfernt = sorted(
        {
            str(akte_id)
            for akte_id in Ausleihe.objects.for_tenant(tenant_id)
            .filter(geraet=geraet)
            .values_list("akte_id", flat=True)
            if akte_id not in carried
        }
    )
    wahl = auswahl(tenant_id=tenant_id, seit=seit, stand=stand, akte_ids=carried)
    akten = [a for a in alle_akten if wahl.voll or a.pk in wahl.akten]
    akte_ids = [a.pk for a in akten]
    ganz = carried if wahl.voll else wahl.ganz & carried
    ausleihen = [a for a in ausleihen if a.akte_id in set(akte_ids)]
    bg_ids = {a.bg_id for a in akten if a.bg_id is not None}
    yield

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
    yield
    # Documents are most of a package: a partial one carries those of newly checked-out
    # Akten and the ones changes named, not every document of a touched Akte.
    dokument_q = Q(akte_id__in=ganz) | Q(pk__in=wahl.dokumente, akte_id__in=akte_ids)
    dokumente = list(Dokument.objects.for_tenant(tenant_id).filter(dokument_q))
    yield
    versionen = list(
        DokumentVersion.objects.for_tenant(tenant_id)
        .filter(dokument_id__in=[d.pk for d in dokumente])
        .defer("text")
    )
    yield
    katalog = wahl.katalog if not wahl.voll else None

    def geaendert(*labels: str) -> bool:
        return katalog is None or any(katalog_geaendert(katalog, label) for label in labels)

    formulare = (
        list(Formular.objects.for_tenant(tenant_id).filter(is_active=True))
        if geaendert("forms.")
        else []
    )
    formularversionen = (
        list(Formularversion.objects.for_tenant(tenant_id).filter(formular__is_active=True))
        if geaendert("forms.formular", "forms.formularversion")
        else []
    )
    vorlagen_neu = geaendert("outbox.vorlage", "outbox.vorlagenversion")
    briefkoepfe = list(Briefkopf.objects.for_tenant(tenant_id)) if geaendert("outbox.") else []
    vorlagen = list(Vorlage.objects.for_tenant(tenant_id)) if geaendert("outbox.") else []
    vorlagenversionen = list(VorlagenVersion.objects.for_tenant(tenant_id)) if vorlagen_neu else []
    konfiguration = geaendert("tenancy.", "accounts.", "otp_totp.")
    if not konfiguration:
        memberships = []

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
        TOTPDevice: list(TOTPDevice.objects.filter(user=worker)) if konfiguration else [],
        Aktenplaneinheit: (
            _tree(list(Aktenplaneinheit.objects.for_tenant(tenant_id)))
            if geaendert("records.aktenplaneinheit")
            else []
        ),
        VorgangTyp: (
            list(VorgangTyp.objects.for_tenant(tenant_id))
            if geaendert("records.vorgangtyp")
            else []
        ),
        FristRegel: (
            list(FristRegel.objects.for_tenant(tenant_id))
            if geaendert("records.fristregel")
            else []
        ),
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
        Textbaustein: list(Textbaustein.objects.for_tenant(tenant_id))
        if geaendert("outbox.")
        else [],
        Vorlage: vorlagen,
        VorlagenVersion: vorlagenversionen,
    }
    colleagues = _referenced_users(rows) - {worker.pk}
    objekte: list[dict[str, Any]] = []
    for model in inhalt.ORDER:
        if model in (Mandant, Geraet) and not konfiguration and not geaendert("field.geraet"):
            continue
        if model in rows:
            felder = VERSION_FIELDS if model is DokumentVersion else None
            for start in range(0, len(rows[model]), STUECK):
                objekte.extend(zeilen(rows[model][start : start + STUECK], fields=felder))
                yield
        else:
            objekte.extend(
                _serialised(model, rows, worker, colleagues, geraet, tenant_id, konfiguration)
            )

    for n, akte in enumerate(akten, 1):
        services.record_gelesen(actor=worker, akte=akte, geraet=geraet)
        if n % STUECK == 0:
            yield
    blobs = _blobs(dokumente, versionen)
    yield
    return {
        "format": inhalt.FORMAT,
        "erstellt": timezone.now().isoformat(),
        "stand": stand,
        "seit": None if wahl.voll else seit,
        "vollstaendig": wahl.voll,
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
        "entfernt": entfernt,
        "bestand": bestand(tenant_id, carried),
        "ganz": sorted(str(a) for a in ganz if a in set(akte_ids)),
        "objekte": objekte,
        "blobs": blobs,
    }


def bestand(tenant_id: uuid.UUID, akte_ids: set[uuid.UUID]) -> dict[str, Any]:
    """The ids of every row under the carried Akten, per table (``inhalt.IM_BESTAND``):
    the Koffer removes what it has from the office there and the office no longer has
    (deleted, moved away) — whatever removed it, audited or not. Ids only (a few dozen
    bytes a row; 2,000 documents and their versions are about 150 KB), one query a
    table; read after the rows, so a row removed while the package was built is gone
    here too, and one added meanwhile is listed without being carried (harmless: the
    Koffer does not have it)."""
    akten = sorted(akte_ids, key=str)
    zeilen: dict[str, list[str]] = {}
    for model, pfad in inhalt.IM_BESTAND.items():
        ids = model._base_manager.filter(tenant_id=tenant_id, **{f"{pfad}__in": akten})
        zeilen[model._meta.label_lower] = sorted(str(pk) for pk in ids.values_list("pk", flat=True))
    return {"akten": [str(a) for a in akten], "zeilen": zeilen}


def aenderungsstand(tenant_id: uuid.UUID) -> int:
    """The Mandant's change marker now: the sequence number of its audit chain's head as
    committed. Every write records its audit event in its own transaction, and the head
    row is locked from the event until the commit, so a write not yet committed when this
    is read gets a higher number when it commits: nothing in flight is missed."""
    found = AuditHead.objects.filter(tenant_id=tenant_id).values_list("seq", flat=True).first()
    return int(found or 0)


@dataclass
class Auswahl:
    """What a package carries: everything (``voll``), or the Akten whose rows it carries
    (``akten``), those of them carried with every document (``ganz``, newly checked out),
    further documents named by changes (``dokumente``) and the catalogue's changed
    model labels (``katalog``)."""

    voll: bool = False
    akten: set[uuid.UUID] = field(default_factory=set)
    ganz: set[uuid.UUID] = field(default_factory=set)
    dokumente: set[uuid.UUID] = field(default_factory=set)
    katalog: set[str] = field(default_factory=set)


def katalog_geaendert(katalog: set[str], label: str) -> bool:
    """Whether a label (or, ending in ".", an app's labels) is among ``katalog``."""
    if label.endswith("."):
        return any(k.startswith(label) for k in katalog)
    return label in katalog


def auswahl(
    *, tenant_id: uuid.UUID, seit: int | None, stand: int, akte_ids: set[uuid.UUID]
) -> Auswahl:
    """What changed in the Mandant between the markers ``seit`` and ``stand``, for the
    carried ``akte_ids``, read from the audit chain (every write is audited, in its own
    transaction): each event names its object and subject (and a sync its rows). Reads
    change nothing and are skipped. An Akte is carried with its rows when anything in it
    was named (the Akte, a Vorgang, a document, one of its persons …); newly checked out
    (``field.ausleihe.create``) with all its documents. The whole package instead when
    ``seit`` is None, newer than ``stand`` (another office database) or more than
    ``GRENZE`` events old."""
    if seit is None or seit > stand or stand - seit > GRENZE:
        return Auswahl(voll=True)
    ereignisse = (
        AuditEvent.objects.filter(tenant_id=tenant_id, seq__gt=seit, seq__lte=stand)
        .exclude(action__in=LESEN)
        .values_list("action", "object_type", "object_id", "subject_type", "subject_id", "changes")
    )
    genannt: dict[str, set[str]] = defaultdict(set)
    wahl = Auswahl()
    for action, o_type, o_id, s_type, s_id, changes in ereignisse.iterator():
        if action.endswith("_gelesen") or action.endswith(".read"):
            continue
        for kind, ident in ((o_type, o_id), (s_type, s_id)):
            if kind and ident:
                genannt[kind].add(ident)
        if action == "field.ausleihe.create" and o_type == "records.akte":
            wahl.ganz.add(uuid.UUID(o_id))
        if isinstance(changes, dict):
            if changes.get("modell") and changes.get("objekt"):  # a conflict decided
                genannt[str(changes["modell"])].add(str(changes["objekt"]))
            for key in ("neu", "zeilen"):
                for ref in changes.get(key) or []:
                    kind, _, ident = str(ref).partition(":")
                    if ident:
                        genannt[kind].add(ident)
    wahl.katalog = {k for k in genannt if inhalt.LABELS.get(k) not in AKTE_MODELLE}
    wahl.dokumente = _ids(genannt["records.dokument"]) | set(
        DokumentVersion.objects.for_tenant(tenant_id)
        .filter(pk__in=_ids(genannt["records.dokumentversion"]))
        .values_list("dokument_id", flat=True)
    )
    akten = _ids(genannt["records.akte"]) | wahl.ganz
    for model, pfad in AKTE_DURCH.items():
        ids = _ids(genannt[model._meta.label_lower])
        if ids:
            akten.update(
                model._base_manager.filter(pk__in=ids, tenant_id=tenant_id).values_list(
                    pfad, flat=True
                )
            )
    personen = _ids(genannt["records.person"])
    bgs = _ids(genannt["records.bedarfsgemeinschaft"]) | set(
        BgMitglied.objects.for_tenant(tenant_id)
        .filter(Q(pk__in=_ids(genannt["records.bgmitglied"])) | Q(person_id__in=personen))
        .values_list("bg_id", flat=True)
    )
    if personen:
        akten.update(
            AkteSubjekt.objects.for_tenant(tenant_id)
            .filter(person_id__in=personen)
            .values_list("akte_id", flat=True)
        )
    if bgs:
        akten.update(
            Akte.objects.for_tenant(tenant_id).filter(bg_id__in=bgs).values_list("pk", flat=True)
        )
    wahl.akten = akten & akte_ids
    return wahl


def _ids(values: Iterable[str]) -> set[uuid.UUID]:
    found = set()
    for value in values:
        try:
            found.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    return found


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
    mit_konto: bool = True,
) -> list[dict[str, Any]]:
    if model is Mandant:
        return zeilen(Mandant.objects.filter(pk=tenant_id))
    if model is Geraet:
        return zeilen([geraet], fields=GERAET_FIELDS)
    if model is User:
        people = [worker] if mit_konto else []
        people.extend(User.objects.filter(pk__in=colleagues).order_by("pk"))
        found = zeilen(people, fields=(*USER_FIELDS, "password"))
        for row in found[1 if mit_konto else 0 :]:
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
