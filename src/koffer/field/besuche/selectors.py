"""Every read of the Hausbesuche, already limited to the visits of Akten the actor may
read (``field.access.besuche_q``). A day's list costs five queries however many visits it
has: the visits with their first person's address, the persons, the open Vorgänge's types,
the catalogue, the open checkouts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, OuterRef, QuerySet, Subquery, UUIDField
from django.db.models.fields.json import KT
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.field import access as rules
from koffer.field.models import Ausleihe, Hausbesuch
from koffer.forms.katalog import selectors as katalog
from koffer.forms.models import Formularversion
from koffer.records import selectors as records
from koffer.records.models import Akte, AkteSubjekt, Person, Vorgang, Wiedervorlage


@dataclass(frozen=True)
class Formularhinweis:
    schluessel: str
    titel: str
    # Why it goes along: chosen when the visit was planned, or an open Vorgang's type.
    gewaehlt: bool


@dataclass
class Besuchszeile:
    """One visit as the day's list and the route sheet show it."""

    besuch: Hausbesuch
    person: Person | None
    telefon: str
    formulare: list[Formularhinweis] = field(default_factory=list)
    im_koffer_seit: object = None  # datetime of the open checkout, None when not in the Koffer

    @property
    def akte(self) -> Akte:
        return self.besuch.akte

    @property
    def name(self) -> str:
        if self.person is None:
            return self.besuch.akte.title
        return " ".join(p for p in (self.person.given_names, self.person.family_name) if p)

    @property
    def anschrift(self) -> str:
        p = self.person
        if p is None:
            return ""
        ort = " ".join(x for x in (p.postal_code, p.city) if x)
        return ", ".join(x for x in (p.street, ort) if x)

    @property
    def im_koffer(self) -> bool:
        return self.im_koffer_seit is not None


def sichtbare(access: Access, user_id: uuid.UUID | None) -> QuerySet[Hausbesuch]:
    assert access.tenant_id is not None
    return Hausbesuch.objects.for_tenant(access.tenant_id).filter(rules.besuche_q(access, user_id))


def besuch(access: Access, user_id: uuid.UUID | None, besuch_id: uuid.UUID) -> Hausbesuch | None:
    """One visible visit with its Akte and Wiedervorlage; None when missing or hidden."""
    return (
        sichtbare(access, user_id)
        .select_related("akte", "vorgang", "aussendienst", "wiedervorlage")
        .filter(pk=besuch_id)
        .first()
    )


def tag(
    access: Access,
    user_id: uuid.UUID | None,
    *,
    aussendienst_id: uuid.UUID,
    datum: date,
    mit_abgesagten: bool = True,
) -> list[Besuchszeile]:
    """The visits of ``aussendienst_id`` on ``datum`` the actor may see, by time (visits
    without a time last), then postal code and street of the Akte's first person."""
    erste = (
        AkteSubjekt.objects.for_tenant(access.tenant_id)
        .filter(akte=OuterRef("akte"))
        .order_by("pk")
    )
    qs = (
        sichtbare(access, user_id)
        .filter(aussendienst_id=aussendienst_id, datum=datum)
        .select_related("akte", "vorgang")
        .annotate(
            person_id=Subquery(erste.values("person_id")[:1], output_field=UUIDField()),
            plz=Subquery(erste.values("person__postal_code")[:1]),
            strasse=Subquery(erste.values("person__street")[:1]),
        )
        .order_by(F("uhrzeit").asc(nulls_last=True), "plz", "strasse", "pk")
    )
    if not mit_abgesagten:
        qs = qs.exclude(status=Hausbesuch.Status.ABGESAGT)
    besuche = list(qs)
    if not besuche:
        return []
    tenant_id = besuche[0].tenant_id
    akten = {b.akte_id for b in besuche}
    personen = Person.objects.for_tenant(tenant_id).in_bulk(
        [b.person_id for b in besuche if b.person_id]
    )
    typen: dict[uuid.UUID, set[str]] = {}
    for akte_id, code in (
        Vorgang.objects.for_tenant(tenant_id)
        .filter(akte_id__in=akten, status__in=[Vorgang.Status.OPEN, Vorgang.Status.WAITING])
        .values_list("akte_id", "typ__code")
    ):
        typen.setdefault(akte_id, set()).add(code)
    # The Vorgangstyp a form opens, read in the database (KT follows no relation, so from
    # the current versions): no definition is loaded or parsed for the list.
    formulare = list(
        Formularversion.objects.for_tenant(tenant_id)
        .filter(pk__in=katalog.katalog(tenant_id).values("aktuelle_version_id"))
        .annotate(vorgangstyp=KT("definition__vorgang__vorgangstyp"))
        .values_list("formular__schluessel", "formular__titel", "vorgangstyp")
    )
    koffer = dict(
        Ausleihe.objects.for_tenant(tenant_id)
        .filter(
            akte_id__in=akten,
            geraet__user_id=aussendienst_id,
            geraet__gesperrt_am__isnull=True,
            zurueck_am__isnull=True,
            bis__gt=timezone.now(),
        )
        .values_list("akte_id", "seit")
    )
    zeilen = []
    for b in besuche:
        person = personen.get(b.person_id)
        zeilen.append(
            Besuchszeile(
                besuch=b,
                person=person,
                telefon=str(getattr(person, "telefon", "") or ""),
                formulare=_mitnehmen(b, formulare, typen.get(b.akte_id, set())),
                im_koffer_seit=koffer.get(b.akte_id),
            )
        )
    return zeilen


def _mitnehmen(
    besuch: Hausbesuch, katalog_zeilen: Sequence[tuple[str, str, str | None]], typen: set[str]
) -> list[Formularhinweis]:
    """The forms chosen for the visit (in their order), then those whose definition opens
    a Vorgang of a type the Akte has open (by title)."""
    titel = {s: t for s, t, _ in katalog_zeilen}
    found = [
        Formularhinweis(s, titel.get(s, f"{s} (nicht mehr im Katalog)"), gewaehlt=True)
        for s in besuch.formulare
    ]
    gewaehlt = set(besuch.formulare)
    passend = sorted(
        (t, s) for s, t, typ in katalog_zeilen if typ and typ in typen and s not in gewaehlt
    )
    found.extend(Formularhinweis(s, t, gewaehlt=False) for t, s in passend)
    return found


def formularauswahl(tenant_id: uuid.UUID) -> list[tuple[str, str]]:
    """(key, title) of the active catalogue: what a visit may take along."""
    return list(katalog.katalog(tenant_id).values_list("schluessel", "titel"))


def uebernehmbare_wiedervorlagen(akte: Akte) -> list[Wiedervorlage]:
    """The Akte's open Wiedervorlagen a new visit may take over: those no visit holds."""
    gehalten = (
        Hausbesuch.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte, wiedervorlage__isnull=False)
        .values("wiedervorlage_id")
    )
    return list(records.akte_open_wiedervorlagen(akte).exclude(pk__in=gehalten))
