"""„Mein Anliegen“: what a citizen may see of their applications — each one's steps as a
timeline with dates, the requests for documents they may answer, the files they sent.

Only what concerns the citizen is read: dates and states of the delivery, its Akte's
Vorgang (opened, closed, the outcome and the date of its Bescheid), the requests' items,
deadline and note for the citizen, the Bescheid of the Vorgang when it lies in the
account's mailbox; never a caseworker's name, a note of the Vorgang or another document
of the Akte. Every read is audited as a read of the person's data (the citizen is the
actor)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch

from koffer.audit import services as audit
from koffer.inbox.online import selectors as online
from koffer.outbox.models import Brief, Vorlage
from koffer.portal import access
from koffer.portal.antrag import selectors as antraege
from koffer.portal.models import (
    Antrag,
    Buergerkonto,
    Nachforderung,
    NachforderungDatei,
    NachforderungPosten,
)
from koffer.records.models import Vorgang

ERLEDIGT, AKTUELL, OFFEN = "erledigt", "aktuell", "offen"
STAND_LABEL = {ERLEDIGT: "erledigt", AKTUELL: "aktueller Stand", OFFEN: "noch offen"}


@dataclass
class Schritt:
    """One step of the timeline; ``stand`` is said in words, never by colour alone."""

    titel: str
    datum: datetime | None
    text: str
    stand: str
    posten: list[str] = field(default_factory=list)
    frist: date | None = None
    bescheid_id: uuid.UUID | None = None  # the Bescheid in the account's mailbox

    @property
    def stand_label(self) -> str:
        return STAND_LABEL[self.stand]


@dataclass
class Stand:
    """An application with its timeline and the requests the citizen may see."""

    antrag: Antrag
    schritte: list[Schritt]
    nachforderungen: list[Nachforderung]

    @property
    def titel(self) -> str:
        return self.antrag.formularversion.formular.titel

    @property
    def aktuell(self) -> Schritt:
        return next((s for s in self.schritte if s.stand == AKTUELL), self.schritte[-1])

    @property
    def offene_nachforderungen(self) -> list[Nachforderung]:
        return [n for n in self.nachforderungen if n.status == Nachforderung.Status.OFFEN]


def posten_prefetch(tenant_id: uuid.UUID) -> Prefetch[Any]:
    """A request's items in order, each with its files."""
    dateien = NachforderungDatei.objects.for_tenant(tenant_id).order_by("hochgeladen_am", "pk")
    return Prefetch(
        "posten",
        queryset=NachforderungPosten.objects.for_tenant(tenant_id)
        .order_by("position")
        .prefetch_related(Prefetch("dateien", queryset=dateien)),
    )


def _vorgaenge(tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> dict[uuid.UUID, Vorgang]:
    if not ids:
        return {}
    return {
        v.pk: v
        for v in Vorgang.objects.for_tenant(tenant_id)
        .filter(pk__in=ids)
        .only("pk", "status", "opened_at", "closed_at", "ergebnis", "bescheid_am")
    }


ERGEBNIS_TEXT: dict[str, str] = {
    Vorgang.Ergebnis.BEWILLIGT: "Ihr Antrag wurde bewilligt.",
    Vorgang.Ergebnis.TEILWEISE: "Ihr Antrag wurde teilweise bewilligt.",
    Vorgang.Ergebnis.ABGELEHNT: "Ihr Antrag wurde abgelehnt.",
    Vorgang.Ergebnis.ZURUECKGENOMMEN: "Ihr Antrag wurde zurückgenommen.",
}
GESCHLOSSEN = (Brief.Status.ENTWURF, Brief.Status.ZUR_FREIGABE, Brief.Status.VERWORFEN)


def _bescheide(
    tenant_id: uuid.UUID, vorgaenge: list[Vorgang], erlaubt: set[uuid.UUID]
) -> dict[uuid.UUID, Brief]:
    """Per closed Vorgang its latest Bescheid that lies in the mailbox of the account
    (addressed to a person it may act for, provided and not sent on paper instead)."""
    ids = [v.pk for v in vorgaenge if v.status == Vorgang.Status.DONE]
    if not ids:
        return {}
    gefunden: dict[uuid.UUID, Brief] = {}
    for brief in (
        Brief.objects.for_tenant(tenant_id)
        .filter(
            vorgang_id__in=ids,
            version__vorlage__art=Vorlage.Art.BESCHEID,
            kanal=Brief.Kanal.PORTAL,
            empfaenger_id__in=erlaubt,
            bereitgestellt_am__isnull=False,
            bereitstellung_beendet_am__isnull=True,
        )
        .exclude(status__in=GESCHLOSSEN)
        .only("pk", "vorgang_id", "bereitgestellt_am")
        .order_by("bereitgestellt_am", "pk")
    ):
        assert brief.vorgang_id is not None
        gefunden[brief.vorgang_id] = brief  # the latest wins
    return gefunden


def _entschieden(vorgang: Vorgang, bescheid: Brief | None) -> Schritt:
    """The last step: the outcome when the office recorded one, and where the Bescheid
    is — in the mailbox (a link to it) or on its way by post."""
    teile = [
        ERGEBNIS_TEXT.get(vorgang.ergebnis, "Die Bearbeitung Ihres Antrags ist abgeschlossen.")
    ]
    datum = f" vom {vorgang.bescheid_am:%d.%m.%Y}" if vorgang.bescheid_am else ""
    if bescheid is not None:
        teile.append(f"Den Bescheid{datum} finden Sie in Ihrem Postfach.")
    else:
        teile.append(f"Der Bescheid{datum} wurde Ihnen per Post gesendet.")
    return Schritt(
        "Entschieden",
        vorgang.closed_at,
        " ".join(teile),
        ERLEDIGT,
        bescheid_id=bescheid.pk if bescheid is not None else None,
    )


def _nachforderungen(
    konto: Buergerkonto, antrag_ids: list[uuid.UUID], erlaubt: set[uuid.UUID]
) -> dict[uuid.UUID, list[Nachforderung]]:
    """The requests of these applications whose person the citizen may act for."""
    if not antrag_ids:
        return {}
    gefunden: dict[uuid.UUID, list[Nachforderung]] = {}
    for nf in (
        Nachforderung.objects.for_tenant(konto.tenant_id)
        .filter(antrag_id__in=antrag_ids, antrag__konto=konto, person_id__in=erlaubt)
        .prefetch_related(posten_prefetch(konto.tenant_id))
        .order_by("erstellt_am", "pk")
    ):
        gefunden.setdefault(nf.antrag_id, []).append(nf)
    return gefunden


def _schritte(
    antrag: Antrag,
    verbleib: online.Verbleib | None,
    vorgang: Vorgang | None,
    nachforderungen: list[Nachforderung],
    bescheid: Brief | None = None,
) -> list[Schritt]:
    if antrag.status == Antrag.Status.OFFEN:
        return [
            Schritt(
                "Noch nicht abgesendet",
                antrag.updated_at,
                "Sie haben diesen Antrag begonnen. Er ist gespeichert, aber noch nicht abgesendet.",
                AKTUELL,
            )
        ]
    schritte = [
        Schritt(
            "Eingegangen",
            antrag.eingereicht_am,
            "Ihr Antrag ist bei der Verwaltung eingegangen.",
            ERLEDIGT,
        )
    ]
    if verbleib is None or not verbleib.abgelegt:
        schritte += [
            Schritt(
                "Zugeordnet",
                None,
                "Die Verwaltung ordnet Ihren Antrag der zuständigen Stelle zu.",
                AKTUELL,
            ),
            Schritt("In Bearbeitung", None, "", OFFEN),
            Schritt("Entschieden", None, "", OFFEN),
        ]
        return schritte
    schritte.append(
        Schritt(
            "Zugeordnet",
            verbleib.abgelegt_am,
            "Ihr Antrag liegt bei der zuständigen Stelle in Ihrer Akte.",
            ERLEDIGT,
        )
    )
    schritte.append(
        Schritt(
            "In Bearbeitung",
            vorgang.opened_at if vorgang is not None else verbleib.abgelegt_am,
            "Ihr Antrag wird bearbeitet.",
            ERLEDIGT,
        )
    )
    for nf in nachforderungen:
        posten = list(nf.posten.all())
        schritte.append(
            Schritt(
                "Unterlagen fehlen",
                nf.erstellt_am,
                f"Bitte reichen Sie diese Unterlagen bis zum {nf.frist:%d.%m.%Y} nach:",
                AKTUELL if nf.status == Nachforderung.Status.OFFEN else ERLEDIGT,
                posten=[p.text for p in posten],
                frist=nf.frist,
            )
        )
        gesendet = [p.beantwortet_am for p in posten if p.beantwortet_am is not None]
        if gesendet:
            schritte.append(
                Schritt(
                    "Unterlagen gesendet",
                    max(gesendet),
                    "Sie haben Unterlagen nachgereicht.",
                    ERLEDIGT,
                    posten=[p.text for p in posten if p.beantwortet_am is not None],
                )
            )
    if vorgang is not None and vorgang.status == Vorgang.Status.DONE:
        for s in schritte:
            s.stand = ERLEDIGT
        schritte.append(_entschieden(vorgang, bescheid))
        return schritte
    if not any(s.stand == AKTUELL for s in schritte):
        bearbeitung = next(s for s in schritte if s.titel == "In Bearbeitung")
        bearbeitung.stand = AKTUELL
    schritte.append(Schritt("Entschieden", None, "", OFFEN))
    return schritte


def _staende(konto: Buergerkonto, liste: list[Antrag]) -> list[Stand]:
    verbleib = online.verbleib(konto.tenant_id, [a.eingang_id for a in liste if a.eingang_id])
    vorgaenge = _vorgaenge(
        konto.tenant_id, {v.vorgang_id for v in verbleib.values() if v.vorgang_id}
    )
    erlaubt = {p.pk for p in access.personen_des_kontos(konto)} if liste else set()
    nachforderungen = _nachforderungen(konto, [a.pk for a in liste], erlaubt)
    bescheide = _bescheide(konto.tenant_id, list(vorgaenge.values()), erlaubt)
    staende = []
    for a in liste:
        wo = verbleib.get(a.eingang_id) if a.eingang_id else None
        vorgang = vorgaenge.get(wo.vorgang_id) if wo is not None and wo.vorgang_id else None
        nfs = nachforderungen.get(a.pk, [])
        bescheid = bescheide.get(vorgang.pk) if vorgang is not None else None
        staende.append(Stand(a, _schritte(a, wo, vorgang, nfs, bescheid), nfs))
    return staende


def meine_antraege(konto: Buergerkonto) -> list[Stand]:
    """Every application of the account, newest first, each with its current step."""
    staende = _staende(konto, list(antraege.antraege(konto)))
    audit.read(
        actor=konto,
        tenant_id=konto.tenant_id,
        obj=konto,
        subject=konto.person,
        purpose="Online-Dienste: Meine Anträge",
    )
    return staende


def anliegen(konto: Buergerkonto, antrag_id: uuid.UUID) -> Stand | None:
    """One application of the account with its timeline; another's is None (404)."""
    antrag = antraege.antrag(konto, antrag_id)
    if antrag is None:
        return None
    [stand] = _staende(konto, [antrag])
    audit.read(
        actor=konto,
        tenant_id=konto.tenant_id,
        obj=antrag,
        subject=konto.person,
        purpose="Online-Dienste: Stand des Antrags",
    )
    return stand


def anlagen(antrag: Antrag) -> list[Mapping[str, Any]]:
    """The files the citizen attached to the application (sent, or in the draft)."""
    werte = antrag.werte if antrag.status == Antrag.Status.EINGEREICHT else antrag.antworten
    gefunden: list[Mapping[str, Any]] = []
    for wert in werte.values():
        for eintrag in wert if isinstance(wert, list) else [wert]:
            if (
                isinstance(eintrag, Mapping)
                and isinstance(eintrag.get("blob"), str)
                and all(g["blob"] != eintrag["blob"] for g in gefunden)
            ):
                gefunden.append(eintrag)
    return gefunden


def nachforderung(konto: Buergerkonto, nachforderung_id: uuid.UUID) -> Nachforderung | None:
    """A request of the account's application whose person the citizen may act for;
    else None (404 alike)."""
    nf = (
        Nachforderung.objects.for_tenant(konto.tenant_id)
        .filter(pk=nachforderung_id, antrag__konto=konto)
        .select_related("antrag__formularversion__formular", "antrag__tenant")
        .prefetch_related(posten_prefetch(konto.tenant_id))
        .first()
    )
    if nf is None or not access.darf_nachforderung_sehen(konto, nf.person_id):
        return None
    audit.read(
        actor=konto,
        tenant_id=konto.tenant_id,
        obj=nf,
        subject=nf.person,
        purpose="Online-Dienste: Anforderung von Unterlagen",
    )
    return nf


def datei(konto: Buergerkonto, datei_id: uuid.UUID) -> NachforderungDatei | None:
    """A file the citizen uploaded for a request they may still see."""
    gefunden = (
        NachforderungDatei.objects.for_tenant(konto.tenant_id)
        .filter(pk=datei_id, posten__nachforderung__antrag__konto=konto)
        .select_related("posten__nachforderung")
        .first()
    )
    if gefunden is None or not access.darf_nachforderung_sehen(
        konto, gefunden.posten.nachforderung.person_id
    ):
        return None
    return gefunden


def datei_gelesen(konto: Buergerkonto, obj: Any, name: str) -> None:
    """A file the citizen sent, downloaded again (a read of the person's data)."""
    audit.read(
        actor=konto,
        tenant_id=konto.tenant_id,
        obj=obj,
        subject=konto.person,
        purpose=f"Online-Dienste: Datei „{name}“ heruntergeladen"[:300],
    )
