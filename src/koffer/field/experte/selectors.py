"""Every read of expert sessions, for their two people only (``field.access.sitzungen_q``).
What the expert reads leaves out the masked fields (``experte.maskierung``): their values
are never put on the expert's page nor in the expert's stream; uploads and signatures
reach the expert only summarised (type and size of each file; „unterschrieben“).

What the form computes from the answers travels with every change: which fields the
conditions show now (``gezeigt``) — format 1 has no calculated field type; a field whose
condition no longer holds is not asked and counts as empty."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.field import access as rules
from koffer.field.experte import maskierung
from koffer.field.models import Ereignis, Hinweis, Sitzung
from koffer.forms import access as forms_rules
from koffer.forms.definition import Definition, Feld, sichtbar, text_de
from koffer.forms.katalog import selectors as katalog
from koffer.forms.models import Entwurf
from koffer.records import access as records_access
from koffer.records.models import AccessLevel

AUSSENDIENST = "aussendienst"
EXPERTE = "experte"
#: Field types the session page edits with one plain control (``wert``); the others with
#: the form's own controls for that field (``forms.darstellung.feld_html``), except files
#: and signatures, which go through the form's step page (upload, the citizen signing)
#: and appear here live.
EINFACH = frozenset({"text", "mehrzeilig", "zahl", "geld", "datum", "auswahl", "janein", "iban"})
NUR_IM_FORMULAR = maskierung.ZUSAMMENGEFASST
#: Events one poll of the stream sends at most (the rest follows on the next poll).
MAX_EREIGNISSE = 200


@dataclass(frozen=True)
class FeldSicht:
    id: str
    label: str
    typ: str
    schritt: str
    pflicht: bool
    wert: Any
    version: int
    von: str
    maskiert: bool
    editierbar: bool
    optionen: tuple[tuple[str, str], ...] = ()
    #: edited with one plain control (else the form's own controls for the field)
    einfach: bool = True
    #: shown by the form's conditions for the answers as they are now
    gezeigt: bool = True
    #: the value in words where the page shows it rather than edits it (files, signatures)
    anzeige: str = ""
    schritt_id: str = ""


@dataclass(frozen=True)
class Sicht:
    """The session as one of its people sees it."""

    sitzung: Sitzung
    rolle: str
    titel: str
    felder: tuple[FeldSicht, ...]
    hinweise: Mapping[str, list[Hinweis]] = field(default_factory=dict)


def sitzung(access: Access, user_id: uuid.UUID | None, sitzung_id: uuid.UUID) -> Sitzung | None:
    """A session of the actor's; the field worker's only while they may still fill its
    draft (a worker who lost the Akte loses the session with it)."""
    if access.tenant_id is None:
        return None
    row = (
        Sitzung.objects.for_tenant(access.tenant_id)
        .filter(rules.sitzungen_q(access, user_id), pk=sitzung_id)
        .select_related(
            "entwurf__formularversion__formular", "entwurf__akte", "gestartet_von", "experte"
        )
        .first()
    )
    if row is None:
        return None
    if rolle(row, user_id) == AUSSENDIENST and not rules.laedt_experten_ein(
        access, user_id, row.entwurf.akte
    ):
        return None
    return row


def rolle(row: Sitzung, user_id: uuid.UUID | None) -> str | None:
    if user_id is not None and row.gestartet_von_id == user_id:
        return AUSSENDIENST
    if user_id is not None and row.experte_id == user_id:
        return EXPERTE
    return None


def verborgen(row: Sitzung, rolle_: str | None, definition: Definition) -> frozenset[str]:
    """The fields hidden from this reader: none for the field worker (who fills the draft
    anyway), the masked ones for the expert."""
    if rolle_ == AUSSENDIENST:
        return frozenset()
    akte = row.entwurf.akte
    liest_akte = akte.access_level != AccessLevel.RESTRICTED or records_access.can_view(
        Access.for_user(row.experte_id, row.tenant_id), row.experte_id, akte
    )
    return maskierung.maskiert(definition, liest_akte=liest_akte)


def sichtbar_fuer(row: Sitzung, rolle_: str | None) -> tuple[Definition, frozenset[str]]:
    definition = katalog.definition(row.entwurf.formularversion)
    return definition, verborgen(row, rolle_, definition)


def sicht(row: Sitzung, user_id: uuid.UUID | None) -> Sicht:
    """Every field of the form with its value, version and last writer, in order; a field
    hidden from the reader carries no value."""
    rolle_ = rolle(row, user_id)
    assert rolle_ is not None
    definition, hidden = sichtbar_fuer(row, rolle_)
    entwurf = Entwurf.objects.for_tenant(row.tenant_id).get(pk=row.entwurf_id)
    namen = _namen(row, row.felder)
    gezeigt = sichtbar(definition, entwurf.antworten, heute=timezone.localdate()).felder
    felder: list[FeldSicht] = []
    for schritt in definition.schritte:
        for f in schritt.felder:
            if not f.hat_wert:
                continue
            stand = row.felder.get(f.id) or {}
            maskiert = f.id in hidden
            wert = None if maskiert else lesbar(f, entwurf.antworten.get(f.id), rolle_)
            felder.append(
                FeldSicht(
                    id=f.id,
                    label=text_de(f.label),
                    typ=f.typ,
                    schritt=text_de(schritt.titel),
                    pflicht=f.pflicht,
                    wert=wert,
                    version=int(stand.get("v", 0)),
                    von=namen.get(str(stand.get("von")), ""),
                    maskiert=maskiert,
                    editierbar=not maskiert and f.typ not in NUR_IM_FORMULAR,
                    optionen=tuple((o.wert, text_de(o.label)) for o in f.optionen),
                    einfach=f.typ in EINFACH and not (f.typ == "auswahl" and f.mehrfach),
                    gezeigt=f.id in gezeigt,
                    anzeige="" if maskiert else anzeige(f, wert),
                    schritt_id=schritt.id,
                )
            )
    hinweise: dict[str, list[Hinweis]] = {}
    for h in Hinweis.objects.for_tenant(row.tenant_id).filter(sitzung=row).select_related("autor"):
        if h.feld not in hidden:
            hinweise.setdefault(h.feld, []).append(h)
    return Sicht(
        sitzung=row,
        rolle=rolle_,
        titel=text_de(definition.titel),
        felder=tuple(felder),
        hinweise=hinweise,
    )


def lesbar(feld: Feld, wert: Any, rolle_: str | None) -> Any:
    """A shown field's value for this reader: uploads and signatures summarised for the
    expert (``maskierung.zusammenfassung``), as they are for the field worker."""
    if rolle_ == EXPERTE and feld.typ in maskierung.ZUSAMMENGEFASST:
        return maskierung.zusammenfassung(feld, wert)
    return wert


def anzeige(feld: Feld, wert: Any) -> str:
    """Files and signatures in words, as ``lesbar`` gives them to the reader."""
    if feld.typ == "datei":
        dateien = [d for d in wert if isinstance(d, Mapping)] if isinstance(wert, list) else []
        if not dateien:
            return "keine Datei"
        teile = []
        for d in dateien:
            typ = maskierung.DATEITYPEN.get(str(d.get("typ", "")), str(d.get("typ") or "Datei"))
            groesse = _groesse(d.get("groesse"))
            teile.append(
                f"„{d['name']}“ ({typ}, {groesse})" if d.get("name") else f"{typ}, {groesse}"
            )
        anzahl = "1 Datei" if len(dateien) == 1 else f"{len(dateien)} Dateien"
        return f"{anzahl}: " + "; ".join(teile)
    if feld.typ == "unterschrift":
        stand = (
            wert.get("stand")
            if isinstance(wert, Mapping) and "stand" in wert
            else maskierung.unterschrift_stand(wert)
        )
        return {
            "unterschrieben": "unterschrieben",
            "papier": "wird auf dem Ausdruck unterschrieben",
        }.get(str(stand), "noch nicht unterschrieben")
    return ""


def _groesse(bytes_: Any) -> str:
    if not isinstance(bytes_, int) or isinstance(bytes_, bool) or bytes_ < 0:
        return "Größe unbekannt"
    if bytes_ < 1024:
        return f"{bytes_} Bytes"
    if bytes_ < 1024 * 1024:
        return f"{round(bytes_ / 1024)} KB"
    return f"{bytes_ / (1024 * 1024):.1f} MB".replace(".", ",")


def _namen(row: Sitzung, felder: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The session's two people by id, and whoever else saved a field through the form's
    own pages while the session was open (a colleague with the draft open)."""
    namen = {
        str(row.gestartet_von_id): row.gestartet_von.get_full_name() or row.gestartet_von.username,
        str(row.experte_id): row.experte.get_full_name() or row.experte.username,
    }
    andere = {
        str(s.get("von"))
        for s in (felder or {}).values()
        if isinstance(s, Mapping) and s.get("von") and str(s.get("von")) not in namen
    }
    for user in User.objects.filter(pk__in=andere):
        namen[str(user.pk)] = user.get_full_name() or user.username
    return namen


def ereignisse(row: Sitzung, user_id: uuid.UUID | None, nach: int) -> list[dict[str, Any]]:
    """The session's events after number ``nach`` as the stream sends them to this reader:
    a field's current value, version and writer (nothing of a hidden field), hints,
    joins, leaves and the end. Three queries when something happened, one otherwise."""
    rows = list(
        Ereignis.objects.for_tenant(row.tenant_id)
        .filter(sitzung_id=row.pk, nummer__gt=nach)
        .select_related("hinweis")
        .order_by("nummer")[:MAX_EREIGNISSE]
    )
    if not rows:
        return []
    rolle_ = rolle(row, user_id)
    definition, hidden = sichtbar_fuer(row, rolle_)
    frisch = (
        Sitzung.objects.for_tenant(row.tenant_id)
        .filter(pk=row.pk)
        .values_list("felder", flat=True)
        .first()
    ) or {}
    antworten: dict[str, Any] = {}
    gezeigt: list[str] = []
    felder = (Ereignis.Art.FELD, Ereignis.Art.FORMULAR)
    if any(e.art in felder for e in rows):
        antworten = (
            Entwurf.objects.for_tenant(row.tenant_id)
            .filter(pk=row.entwurf_id)
            .values_list("antworten", flat=True)
            .first()
        ) or {}
        sicht_jetzt = sichtbar(definition, antworten, heute=timezone.localdate()).felder
        gezeigt = [f for f in definition.felder if f in sicht_jetzt and f not in hidden]
    namen = _namen(row, frisch)
    out: list[dict[str, Any]] = []
    for e in rows:
        if e.feld and e.feld in hidden:
            # The expert's stream says nothing of a hidden field, not even that it changed;
            # the number still advances, so a reconnect does not ask for it again.
            out.append({"nummer": e.nummer, "art": "still", "daten": {}})
            continue
        daten: dict[str, Any] = {"von": namen.get(str(e.autor_id), ""), "autor": str(e.autor_id)}
        art = str(e.art)
        feld_def = definition.feld(e.feld) if e.feld else None
        if e.art in felder and feld_def is not None:
            # a change through the form's own pages reads as one in the session, named so:
            # the writer's own session page takes its value too
            art = Ereignis.Art.FELD
            stand = frisch.get(e.feld) or {}
            wert = lesbar(feld_def, antworten.get(e.feld), rolle_)
            daten |= {
                "feld": e.feld,
                "wert": wert,
                "version": int(stand.get("v", 0)),
                "quelle": "formular" if e.art == Ereignis.Art.FORMULAR else "sitzung",
                "einfach": feld_def.typ in EINFACH
                and not (feld_def.typ == "auswahl" and feld_def.mehrfach),
                "anzeige": anzeige(feld_def, wert),
                "gezeigt": gezeigt,
            }
        elif e.art == Ereignis.Art.HINWEIS and e.hinweis is not None:
            daten |= {"feld": e.feld, "text": e.hinweis.text, "am": e.hinweis.am.isoformat()}
        out.append({"nummer": e.nummer, "art": art, "daten": daten})
    return out


def feld_stand(row: Sitzung, feld: str, rolle_: str | None) -> dict[str, Any]:
    """One field as it is now, for a stale write's answer (no value where hidden)."""
    definition, hidden = sichtbar_fuer(row, rolle_)
    stand = row.felder.get(feld) or {}
    wert = None
    feld_def = definition.feld(feld)
    if feld not in hidden and feld_def is not None:
        antworten = (
            Entwurf.objects.for_tenant(row.tenant_id)
            .filter(pk=row.entwurf_id)
            .values_list("antworten", flat=True)
            .first()
        ) or {}
        wert = lesbar(feld_def, antworten.get(feld), rolle_)
    return {
        "feld": feld,
        "wert": wert,
        "version": int(stand.get("v", 0)),
        "von": _namen(row, row.felder).get(str(stand.get("von")), ""),
    }


def offen_zu(entwurf: Entwurf) -> Sitzung | None:
    """The draft's open session, if any (not locked)."""
    return (
        Sitzung.objects.for_tenant(entwurf.tenant_id)
        .filter(entwurf_id=entwurf.pk, status=Sitzung.Status.OFFEN)
        .first()
    )


def offene_sitzung(entwurf: Entwurf) -> Sitzung | None:
    """The draft's open session, locked (the caller is in a transaction)."""
    return (
        Sitzung.objects.for_tenant(entwurf.tenant_id)
        .select_for_update(of=("self",))
        .filter(entwurf_id=entwurf.pk, status=Sitzung.Status.OFFEN)
        .first()
    )


def einladungen(access: Access, user_id: uuid.UUID | None) -> list[Sitzung]:
    """Open sessions the actor is invited to as the expert."""
    if access.tenant_id is None or user_id is None:
        return []
    return list(
        Sitzung.objects.for_tenant(access.tenant_id)
        .filter(experte_id=user_id, status=Sitzung.Status.OFFEN)
        .select_related("entwurf__formularversion__formular", "gestartet_von")
        .order_by("-gestartet_am")
    )


def gestartete(access: Access, user_id: uuid.UUID | None) -> list[Sitzung]:
    """Open sessions the actor started."""
    if access.tenant_id is None or user_id is None:
        return []
    return list(
        Sitzung.objects.for_tenant(access.tenant_id)
        .filter(gestartet_von_id=user_id, status=Sitzung.Status.OFFEN)
        .select_related("entwurf__formularversion__formular", "experte")
        .order_by("-gestartet_am")
    )


def entwuerfe(access: Access, user: User) -> list[Entwurf]:
    """The actor's own open drafts they may still fill: those they can invite an expert to."""
    if access.tenant_id is None:
        return []
    return list(
        Entwurf.objects.for_tenant(access.tenant_id)
        .filter(
            forms_rules.entwuerfe_q(access, user.pk),
            created_by=user,
            status=Entwurf.Status.OFFEN,
        )
        .select_related("formularversion__formular", "akte")
        .order_by("-updated_at")[:50]
    )


def entwurf(access: Access, user_id: uuid.UUID | None, entwurf_id: uuid.UUID) -> Entwurf | None:
    """An open draft the actor may fill (and so invite an expert to)."""
    if access.tenant_id is None:
        return None
    return (
        Entwurf.objects.for_tenant(access.tenant_id)
        .filter(
            forms_rules.entwuerfe_q(access, user_id), pk=entwurf_id, status=Entwurf.Status.OFFEN
        )
        .select_related("formularversion__formular", "akte")
        .first()
    )


def experten(tenant_id: uuid.UUID, ausser: uuid.UUID | None) -> list[User]:
    return list(rules.experten(tenant_id, ausser))
