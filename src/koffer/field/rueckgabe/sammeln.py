"""What this Koffer sends back (:func:`sammeln`): for every row it imported, the fields
whose current value differs from the base version (``field.Stand``), the rows it made
after the pull, and the blobs those rows name — in the wire format of the sync back
(format 1).

Values are serialised exactly as the package serialised the base versions
(:func:`koffer.field.paket.selectors.zeilen`), so equal values compare equal. Only what
the office accepts is sent (its rules, ``field.abgleich.regeln``); every other local change is
listed in German as „wird nicht übertragen“, never dropped silently. Rows with a base
version that are gone here are not sent: the Koffer does not delete yet."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django_otp.plugins.otp_totp.models import TOTPDevice

from koffer.accounts.models import User
from koffer.blobs.store import get_store
from koffer.field.abgleich import regeln
from koffer.field.models import Ausleihe, Stand
from koffer.field.paket import inhalt
from koffer.field.paket.selectors import zeilen
from koffer.field.segment import koffer as segment
from koffer.forms.models import Einreichung, Entwurf
from koffer.records import numbering
from koffer.records.models import (
    Akte,
    AkteSubjekt,
    AkteZugriff,
    Bedarfsgemeinschaft,
    BgMitglied,
    Dokument,
    DokumentVersion,
    Frist,
    Person,
    Vorgang,
    VorgangSchritt,
    Wiedervorlage,
)

FORMAT = 1
BATCH = 500

# What the office takes (its rules, ``field.abgleich.regeln``, decide; the Koffer sends
# nothing else, so that a local change elsewhere does not refuse the whole push).
NEU: frozenset[type[models.Model]] = frozenset(regeln.NEU.values())

# The tables under an Akte, in dependency order, and the way from a row to its Akte: a
# row there without a base version, in an Akte the Koffer carries, was made on the
# Koffer. An Akte without a base version was made on the Koffer: it goes with its
# subjects, new persons and new BG (:func:`_neue_akten`); the office gives it its number.
AKTE_PFAD: dict[type[models.Model], str] = {
    **{
        m: p
        for m, p in (
            (AkteSubjekt, "akte"),
            (AkteZugriff, "akte"),
            (Ausleihe, "akte"),
            (Vorgang, "akte"),
            (VorgangSchritt, "vorgang__akte"),
            (Frist, "vorgang__akte"),
            (Dokument, "akte"),
            (DokumentVersion, "dokument__akte"),
            (Wiedervorlage, "akte"),
        )
    },
    Entwurf: "akte",
    Einreichung: "akte",
}
assert list(AKTE_PFAD)[:-2] == [m for m in inhalt.ORDER if m in AKTE_PFAD]

# Bookkeeping of signing in on the Koffer (last login, the second factor's counters): it
# changes at every offline sign-in and is the Koffer's own, not a change of the Akte. The
# Akte's ``updated_at`` is set by the E-Akte's services whenever something in it changes
# (not ``auto_now``); the office sets its own when it applies those changes.
EIGENES: dict[type[models.Model], frozenset[str]] = {
    User: frozenset({"last_login"}),
    Akte: frozenset({"updated_at"}),
    TOTPDevice: frozenset(
        {"last_t", "throttling_failure_timestamp", "throttling_failure_count", "last_used_at"}
    ),
}

_SHA = re.compile(r"^[0-9a-f]{64}$")


def sammeln(*, hinweise: list[str] | None = None) -> dict[str, Any]:
    """The push payload of this Koffer now, with a new ``abgleich_id``. ``hinweise``
    receives a German line for every local change that is not sent."""
    nicht = hinweise if hinweise is not None else []
    basis: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for modell, objekt_id, felder in Stand.objects.unscoped().values_list(
        "modell", "objekt_id", "felder"
    ):
        basis[modell][objekt_id] = felder

    geaendert: list[dict[str, Any]] = []
    for model in inhalt.ORDER:
        label = model._meta.label_lower
        staende = basis.get(label)
        if staende:
            geaendert.extend(_aenderungen(model, staende, nicht))

    neu, neue_akten = _neue_akten(basis)
    erlaubt_neu = set(NEU)
    akten = list(basis.get(Akte._meta.label_lower, {})) + neue_akten
    for model, pfad in AKTE_PFAD.items():
        label = model._meta.label_lower
        bekannt = set(basis.get(label, {}))
        lokal = model._base_manager.filter(**{f"{pfad}__in": akten}).order_by("pk")
        if model in MIT_NEUER_AKTE:
            # Sent with their new Akte (subjects) or made by the office (access, checkout).
            lokal = lokal.exclude(**{f"{pfad}__in": neue_akten})
        eigene = [pk for pk in lokal.values_list("pk", flat=True) if str(pk) not in bekannt]
        if not eigene:
            continue
        if model in erlaubt_neu:
            for start in range(0, len(eigene), BATCH):
                chunk = eigene[start : start + BATCH]
                neu.extend(zeilen(model._base_manager.filter(pk__in=chunk).order_by("pk")))
        else:
            nicht.append(
                f"{model._meta.verbose_name_plural}: {len(eigene)} im Koffer angelegte"
                " Einträge – wird nicht übertragen (das Büro übernimmt sie nicht)."
            )
    return {
        "format": FORMAT,
        "abgleich_id": str(uuid.uuid4()),
        "erstellt": timezone.now().isoformat(),
        "geaendert": geaendert,
        "neu": neu,
        "blobs": _blobs(neu),
        "zurueckgeben": False,
        # The Koffer's audit events since the last accepted segment (field.segment).
        "segment": segment.sammeln(nicht),
    }


# Rows under a new Akte that are not sent as rows of their own: the subjects go with the
# Akte (:func:`_neue_akten`), named access and the checkout the office makes itself.
MIT_NEUER_AKTE: frozenset[type[models.Model]] = frozenset({AkteSubjekt, AkteZugriff, Ausleihe})


def _neue_akten(
    basis: dict[str, dict[str, dict[str, Any]]],
) -> tuple[list[dict[str, Any]], list[Any]]:
    """The Akten made on this Koffer (no base version, a provisional number) with their
    new persons, new BG and its members, and their subjects, in dependency order; and the
    new Akten's ids."""

    def ohne_basis(model: type[models.Model], pks: Iterable[Any]) -> list[Any]:
        bekannt = basis.get(model._meta.label_lower, {})
        return sorted({pk for pk in pks if str(pk) not in bekannt}, key=str)

    akten = ohne_basis(
        Akte,
        Akte._base_manager.filter(aktenzeichen__startswith=numbering.PREFIX).values_list(
            "pk", flat=True
        ),
    )
    if not akten:
        return [], []
    bgs = ohne_basis(
        Bedarfsgemeinschaft,
        Akte._base_manager.filter(pk__in=akten, bg__isnull=False).values_list("bg_id", flat=True),
    )
    subjekte = AkteSubjekt._base_manager.filter(akte_id__in=akten)
    mitglieder = BgMitglied._base_manager.filter(bg_id__in=bgs)
    personen = ohne_basis(
        Person,
        [
            *subjekte.values_list("person_id", flat=True),
            *mitglieder.values_list("person_id", flat=True),
        ],
    )
    zeilen_neu: list[dict[str, Any]] = []
    for model, rows in (
        (Person, Person._base_manager.filter(pk__in=personen)),
        (Bedarfsgemeinschaft, Bedarfsgemeinschaft._base_manager.filter(pk__in=bgs)),
        (BgMitglied, mitglieder),
        (Akte, Akte._base_manager.filter(pk__in=akten)),
        (AkteSubjekt, subjekte),
    ):
        assert model._meta.label_lower in regeln.NEUE_AKTE
        zeilen_neu.extend(zeilen(rows.order_by("pk")))
    return zeilen_neu, akten


def nummern_uebernommen(nummern: dict[str, str]) -> int:
    """After the office answered a push: the Akten and BGs it opened from this Koffer's
    (``nummern``) have their subjects, members and named access made there anew, by the
    E-Akte's services; the local ones go, so that the pull right after brings the office's
    rows (and the real numbers) without colliding. Returns how many rows went."""
    ids = [k for k in nummern if _UUID.match(k)]
    if not ids:
        return 0
    with transaction.atomic():
        geloescht = 0
        for model, feld in ((AkteSubjekt, "akte"), (AkteZugriff, "akte"), (BgMitglied, "bg")):
            bekannt = Stand.objects.unscoped().filter(modell=model._meta.label_lower)
            rows = model._base_manager.filter(**{f"{feld}_id__in": ids}).exclude(
                pk__in=[_pk(p) for p in bekannt.values_list("objekt_id", flat=True)]
            )
            geloescht += rows.delete()[0]
    return geloescht


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _pk(value: str) -> uuid.UUID | str:
    return uuid.UUID(value) if _UUID.match(value) else value


def leer(payload: dict[str, Any]) -> bool:
    """Nothing to send: no changed field, no new row, no audit event beyond bookkeeping."""
    return (
        not payload["geaendert"]
        and not payload["neu"]
        and not segment.traegt_etwas(payload.get("segment"))
    )


def _aenderungen(
    model: type[models.Model], staende: dict[str, dict[str, Any]], nicht: list[str]
) -> list[dict[str, Any]]:
    label = model._meta.label_lower
    erlaubt = regeln.AENDERBAR.get(label, frozenset())
    eigen = EIGENES.get(model, frozenset()) | {
        f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)
    }
    found: list[dict[str, Any]] = []
    ids = sorted(staende)
    for start in range(0, len(ids), BATCH):
        rows = list(model._base_manager.filter(pk__in=ids[start : start + BATCH]).order_by("pk"))
        namen = {str(r.pk): str(r) for r in rows}
        objekte = {str(r.pk): r for r in rows}
        for fehlt in sorted(set(ids[start : start + BATCH]) - set(namen)):
            nicht.append(
                f"{capfirst(model._meta.verbose_name)} {fehlt}: im Koffer gelöscht – das"
                " Löschen wird nicht übertragen."
            )
        for row in zeilen(rows):
            alt = staende[str(row["pk"])]
            felder: dict[str, dict[str, Any]] = {}
            for name, wert in row["fields"].items():
                if name not in alt or name in eigen or alt[name] == wert:
                    continue
                if name in erlaubt:
                    felder[name] = {"basis": alt[name], "neu": wert}
                else:
                    titel = getattr(model._meta.get_field(name), "verbose_name", name)
                    nicht.append(
                        f"{capfirst(model._meta.verbose_name)} „{namen[str(row['pk'])]}“:"
                        " Änderung an"
                        f" „{titel}“ wird nicht übertragen."
                    )
            if felder:
                item = {"modell": label, "id": str(row["pk"]), "felder": felder}
                akte = _akte(objekte[str(row["pk"])])
                if akte is not None:
                    # for the office's note on the Akte should it have deleted the row
                    item["akte"] = str(akte)
                found.append(item)
    return found


def _akte(obj: models.Model) -> Any:
    """The Akte a changed row lies in (a person: the first of their Akten here)."""
    if isinstance(obj, Person):
        akten = regeln.akten_der_person(obj.tenant_id, obj.pk)
        return sorted(akten, key=str)[0] if akten else None
    return regeln.akte_von(obj)


def _blobs(neu: Iterable[dict[str, Any]]) -> list[str]:
    """Every blob the new rows name: a version's bytes and PDF rendition, and files of
    forms (uploads, signatures: any SHA-256 in the answers the local store holds)."""
    store = get_store()
    found: set[str] = set()
    version = DokumentVersion._meta.label_lower
    for row in neu:
        if row["model"] == version:
            found.update(
                s for s in (row["fields"].get("sha256"), row["fields"].get("pdf_sha256")) if s
            )
        elif row["model"] in {Entwurf._meta.label_lower, Einreichung._meta.label_lower}:
            found.update(s for s in _strings(row["fields"]) if _SHA.match(s) and store.exists(s))
    return sorted(found)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
