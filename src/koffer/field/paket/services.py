"""Writes of the checkout package: the audit of the office's read, and on the Koffer the
import (:func:`einspielen`) and the wipe after a revocation (:func:`abwischen`)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core import serializers
from django.db import connection, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.blobs.store import get_store
from koffer.field.errors import FieldError
from koffer.field.models import Abholstand, Geraet, Stand
from koffer.field.paket import inhalt, suchindex
from koffer.records.dokumente import blob_ledger
from koffer.records.models import Akte, Dokument, DokumentVersion
from koffer.tenancy.citus import on_citus

# Rows written per statement when the base versions are stored.
BATCH = 500


@dataclass
class Ergebnis:
    """What an import brought: rows written per model label, rows of immutable models
    that were already there, the Akten and documents now on the Koffer and the blobs the
    package names (fetched afterwards)."""

    geschrieben: dict[str, int] = field(default_factory=dict)
    unveraendert: int = 0
    akten: int = 0
    dokumente: int = 0
    blobs: list[dict[str, Any]] = field(default_factory=list)
    vollstaendig: bool = True
    entfernt: list[str] = field(default_factory=list)
    # rows removed here because the office no longer has them (``bestand``)
    im_buero_entfernt: int = 0

    @property
    def blob_bytes(self) -> int:
        return sum(int(b["size"]) for b in self.blobs)


def record_gelesen(*, actor: User, akte: Akte, geraet: Geraet) -> None:
    """Audit that the office read ``akte`` into the checkout package of ``geraet`` (a read
    of personal data on the field worker's behalf, once per Akte and package)."""
    audit.record(
        actor=actor,
        tenant_id=akte.tenant_id,
        action="field.paket_gelesen",
        obj=akte,
        reason=f"Koffer „{geraet.name}“",
    )


def einspielen(paket: dict[str, Any]) -> Ergebnis:
    """Import a checkout package on the Koffer, in one transaction: every row updated by
    its primary key or inserted, immutable rows (versions) inserted only when absent, so
    importing the same package twice gives the same state. The fields of every row as
    received are kept as its base version (:class:`~koffer.field.models.Stand`) for the
    later per-field merge. Refuses a package of another format or naming models it does
    not carry.

    A partial package (``vollstaendig`` false: what changed since the last pull) is
    imported the same way and touches nothing it does not name; base versions change only
    for the rows it names. The office's ``stand`` is kept (:class:`Abholstand`) in the
    same transaction, for the next pull's ``seit``. The Akten the package names as
    ``entfernt`` are returned in :attr:`Ergebnis.entfernt`; the caller wipes them
    (``unterwegs.verfall.beendete_abwischen``)."""
    if paket.get("format") != inhalt.FORMAT:
        raise FieldError(
            "paket_format",
            f"Das Paket hat das Format {paket.get('format')!r}; dieser Koffer liest Format"
            f" {inhalt.FORMAT}. Bitte koffer auf dem Laptop aktualisieren.",
        )
    tenant_id = uuid.UUID(str(paket["mandant"]))
    erstellt = datetime.fromisoformat(str(paket["erstellt"]))
    objekte: list[dict[str, Any]] = list(paket["objekte"])
    unknown = sorted({str(o.get("model")) for o in objekte} - set(inhalt.LABELS))
    if unknown:
        raise FieldError(
            "paket_inhalt", f"Das Paket enthält unbekannte Daten: {', '.join(unknown)}."
        )
    ergebnis = Ergebnis(
        blobs=list(paket.get("blobs", [])),
        vollstaendig=bool(paket.get("vollstaendig", True)),
        entfernt=[str(a) for a in paket.get("entfernt") or []],
    )
    now = timezone.now()
    with transaction.atomic():
        present = _present_immutable(objekte)
        for item in serializers.deserialize("python", objekte):
            obj = item.object
            if type(obj) in inhalt.IMMUTABLE and str(obj.pk) in present[type(obj)]:
                ergebnis.unveraendert += 1
                continue
            item.save()
            label = obj._meta.label_lower
            ergebnis.geschrieben[label] = ergebnis.geschrieben.get(label, 0) + 1
        _keep_base_versions(tenant_id, objekte, erstellt, now)
        suchindex.eintragen(tenant_id, objekte)
        ergebnis.im_buero_entfernt = _im_buero_entfernt(tenant_id, paket.get("bestand"))
        if paket.get("stand") is not None:
            Abholstand.objects.update_or_create(
                tenant_id=tenant_id,
                defaults={
                    "stand": int(paket["stand"]),
                    "paket_erstellt": erstellt,
                    "abgeholt_am": now,
                    "dateien_fertig": False,
                },
            )
        ergebnis.akten = sum(1 for o in objekte if o["model"] == "records.akte")
        ergebnis.dokumente = sum(1 for o in objekte if o["model"] == "records.dokument")
        audit.record(
            actor=None,
            tenant_id=tenant_id,
            action="field.paket_eingespielt",
            obj=("field.paket", paket.get("geraet", "")),
            changes={
                "akten": ergebnis.akten,
                "dokumente": ergebnis.dokumente,
                "vollstaendig": ergebnis.vollstaendig,
                "im_buero_entfernt": ergebnis.im_buero_entfernt,
            },
        )
    return ergebnis


def _im_buero_entfernt(tenant_id: uuid.UUID, bestand: Any) -> int:
    """Remove the rows the office no longer has under the Akten its ``bestand`` lists
    (see ``inhalt.IM_BESTAND``): only rows that came from the office (a base version) and
    are unchanged here since; rows made on the Koffer and unsent changes stay. Their base
    versions go with them, and their files after the commit unless another row here
    names them. Returns the rows removed."""
    if not isinstance(bestand, dict) or not isinstance(bestand.get("zeilen"), dict):
        return 0  # an office before ``bestand``
    from koffer.field.paket.selectors import zeilen

    akten = [str(a) for a in bestand.get("akten") or []]
    gelistet: dict[str, Any] = bestand["zeilen"]
    staende = Stand.objects.for_tenant(tenant_id)
    weg: dict[type[models.Model], list[Any]] = {}
    for model, pfad in inhalt.IM_BESTAND.items():
        label = model._meta.label_lower
        if label not in gelistet or not akten:
            continue
        im_buero = {str(pk) for pk in gelistet[label]}
        hier = {
            str(pk)
            for pk in model._base_manager.filter(
                tenant_id=tenant_id, **{f"{pfad}__in": akten}
            ).values_list("pk", flat=True)
        }
        fehlen = sorted(hier - im_buero)
        if not fehlen:
            continue
        basis = dict(
            staende.filter(modell=label, objekt_id__in=fehlen).values_list("objekt_id", "felder")
        )
        weg[model] = [
            obj.pk
            for obj in model._base_manager.filter(tenant_id=tenant_id, pk__in=list(basis))
            if _unveraendert(zeilen([obj])[0]["fields"], basis[str(obj.pk)])
        ]
    if not any(weg.values()):
        return 0
    blobs: set[str] = set()
    removed = 0
    if weg.get(Dokument):
        Dokument._base_manager.filter(tenant_id=tenant_id, pk__in=weg[Dokument]).update(
            current_version=None
        )
    for model in reversed(inhalt.ORDER):
        pks = weg.get(model)
        if not pks:
            continue
        rows = model._base_manager.filter(tenant_id=tenant_id, pk__in=pks)
        if model is DokumentVersion:
            for sha, pdf in rows.values_list("sha256", "pdf_sha256"):
                blobs.update(s for s in (sha, pdf) if s)
        removed += _delete(model, rows)
        staende.filter(
            modell=model._meta.label_lower, objekt_id__in=[str(pk) for pk in pks]
        ).delete()
    transaction.on_commit(lambda: _delete_blobs_unreferenced(blobs))
    return removed


def _unveraendert(felder: dict[str, Any], basis: dict[str, Any]) -> bool:
    """Whether a row's fields are its base version's: the fields the package carried
    (a document version's text does not travel, ``selectors.VERSION_FIELDS``)."""
    return {name: wert for name, wert in felder.items() if name in basis} == basis


def _delete_blobs_unreferenced(blobs: set[str]) -> None:
    store = get_store()
    for sha in sorted(blobs):
        if not blob_ledger.referenced(sha):
            store.delete(sha)


def abholstand(*, hoechstens_alt: timedelta) -> int | None:
    """The office's ``stand`` of this Koffer's last complete pull, for the next pull's
    ``seit``; None (the whole package, please) when there is none, when the Koffer holds
    more than one Mandant's package, or when the last pull is older than
    ``hoechstens_alt`` (a Koffer away that long starts afresh), or when the files of the
    last package did not all arrive."""
    staende = list(
        Abholstand.objects.unscoped().values_list("stand", "abgeholt_am", "dateien_fertig")[:2]
    )
    if len(staende) != 1:
        return None
    stand, am, fertig = staende[0]
    if not fertig or am < timezone.now() - hoechstens_alt:
        return None
    return int(stand)


def dateien_fehlen() -> bool:
    """Whether a file of a document here (its current version, or its PDF) is missing
    from the store (lost, or refused when it arrived): then the whole package is asked
    for, which names every file again."""
    store = get_store()
    aktuelle = DokumentVersion._base_manager.filter(
        dokument__current_version_id=models.F("pk")
    ).values_list("sha256", "pdf_sha256")
    return any(not store.exists(sha) for pair in aktuelle for sha in pair if sha)


def dateien_geholt() -> None:
    """Every file the last package named is here: the next pull may ask for changes."""
    Abholstand.objects.unscoped().update(dateien_fertig=True)


def abwischen(*, mandant_id: uuid.UUID) -> int:
    """Wipe what checkout packages brought to this Koffer for the Mandant (after the
    office revoked it): Akten, people, documents and their blobs, accounts, forms and
    templates, and their base versions. The Mandant's configuration without personal data
    (units, Aktenplan, Vorgangstypen, Fristregeln) stays. Returns the rows removed.

    Only what a package brought is removed, found through its base versions; the Koffer
    cannot yet make rows of its own, so nothing made offline is lost (the sync back will
    have to send such rows before a wipe, or keep them)."""
    staende = Stand.objects.for_tenant(mandant_id)
    ids: dict[str, list[str]] = defaultdict(list)
    for modell, objekt_id in staende.values_list("modell", "objekt_id"):
        ids[modell].append(objekt_id)
    removed = 0
    blobs: set[str] = set()
    with transaction.atomic():
        if on_citus(connection):
            # Accounts (a reference table) go after deletes across shards, also the ones
            # Django cascades to by id: Citus takes both only one connection a node.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
        for model, column in inhalt.CYCLES:
            mine = ids.get(model._meta.label_lower, [])
            if mine:
                model._base_manager.filter(pk__in=mine).update(**{column: None})
        for model in reversed(inhalt.ORDER):
            if model in inhalt.KEPT_ON_WIPE:
                continue
            label = model._meta.label_lower
            mine = ids.get(label, [])
            if not mine:
                continue
            rows = model._base_manager.filter(pk__in=mine)
            if model is DokumentVersion:
                for sha, pdf in rows.values_list("sha256", "pdf_sha256"):
                    blobs.update(s for s in (sha, pdf) if s)
            removed += _delete(model, rows)
            Stand.objects.for_tenant(mandant_id).filter(modell=label).delete()
        Abholstand.objects.for_tenant(mandant_id).delete()
        audit.record(
            actor=None,
            tenant_id=mandant_id,
            action="field.koffer_geloescht",
            obj=("field.paket", str(mandant_id)),
            changes={"zeilen": removed, "blobs": len(blobs)},
        )
        transaction.on_commit(lambda: _delete_blobs(blobs))
    return removed


def getragene_akten() -> set[str]:
    """The Akten this Koffer holds from packages (ids as text)."""
    return set(
        Stand.objects.unscoped().filter(modell="records.akte").values_list("objekt_id", flat=True)
    )


def eingespielte_mandanten() -> list[uuid.UUID]:
    """The Mandanten whose packages this Koffer holds (system work on the Koffer)."""
    found = Stand.objects.unscoped().values_list("tenant_id", flat=True).distinct()
    return sorted(set(found))


def _delete(model: type[models.Model], rows: models.QuerySet[Any]) -> int:
    """Delete ``rows`` (the search index forgets a document by its own trigger; the
    cycles were emptied before). A row something else on this Koffer still points to
    stays; an account that stays can no longer sign in."""
    try:
        with transaction.atomic():
            deleted, _ = rows.delete()
        return deleted
    except ProtectedError:
        pass
    deleted = 0
    for obj in rows:
        try:
            with transaction.atomic():
                deleted += obj.delete()[0]
        except ProtectedError:
            if isinstance(obj, User):
                obj.set_unusable_password()
                obj.is_active = False
                obj.save(update_fields=["password", "is_active"])
    return deleted


def _delete_blobs(blobs: set[str]) -> None:
    store = get_store()
    for sha in sorted(blobs):
        store.delete(sha)


def _present_immutable(objekte: list[dict[str, Any]]) -> dict[type[models.Model], set[str]]:
    """For each immutable model, which of the package's rows are already here (one query
    per model and Mandant). Each row is looked for under its own Mandant: on Citus a read
    by id alone asks every shard in parallel, after which the import's write of the
    Mandant (a reference table) is refused in the same transaction."""
    wanted: dict[tuple[type[models.Model], str], list[str]] = defaultdict(list)
    for o in objekte:
        model = inhalt.LABELS[o["model"]]
        if model in inhalt.IMMUTABLE:
            wanted[model, str(o["fields"]["tenant"])].append(str(o["pk"]))
    present: dict[type[models.Model], set[str]] = defaultdict(set)
    for (model, tenant_id), pks in wanted.items():
        for start in range(0, len(pks), BATCH):
            chunk = pks[start : start + BATCH]
            found = model._base_manager.filter(tenant_id=tenant_id, pk__in=chunk).values_list(
                "pk", flat=True
            )
            present[model].update(str(pk) for pk in found)
    return present


def _keep_base_versions(
    tenant_id: uuid.UUID, objekte: list[dict[str, Any]], erstellt: datetime, now: datetime
) -> None:
    rows = [
        Stand(
            tenant_id=tenant_id,
            modell=o["model"],
            objekt_id=str(o["pk"]),
            felder=o["fields"],
            paket_erstellt=erstellt,
            abgeholt_am=now,
        )
        for o in objekte
    ]
    Stand.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["tenant", "modell", "objekt_id"],
        update_fields=["felder", "paket_erstellt", "abgeholt_am"],
    )
