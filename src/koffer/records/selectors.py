"""Every read of the E-Akte, already limited to what the actor may see."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Case, QuerySet, Value, When
from django.urls import reverse

from koffer.accounts.access import Access
from koffer.accounts.http import TenantRequest
from koffer.accounts.models import Membership, User
from koffer.accounts.roles import ROLES, Perm
from koffer.records.access import akten_q
from koffer.records.models import (
    Akte,
    Aktenplaneinheit,
    AkteSubjekt,
    AkteZugriff,
    BgMitglied,
    Dokument,
    Frist,
    FristRegel,
    Person,
    Vorgang,
    VorgangTyp,
    Wiedervorlage,
)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the Mandant's access and the user (for restricted Akten)."""

    access: Access
    user_id: uuid.UUID | None

    @property
    def tenant_id(self) -> uuid.UUID:
        assert self.access.tenant_id is not None
        return self.access.tenant_id

    @classmethod
    def of(cls, request: TenantRequest) -> Viewer:
        """The signed-in caller of a page or an API call: the one way records builds it."""
        return cls(access=request.access, user_id=request.user.id)


def visible_akten(viewer: Viewer) -> QuerySet[Akte]:
    return Akte.objects.for_tenant(viewer.tenant_id).filter(akten_q(viewer.access, viewer.user_id))


def my_akten(viewer: Viewer, *, status: str | None = Akte.Status.OPEN) -> QuerySet[Akte]:
    """Akten the viewer is responsible for, newest activity first."""
    qs = visible_akten(viewer).filter(caseworker_id=viewer.user_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("aktenplaneinheit").order_by("-updated_at", "-pk")


def akte(viewer: Viewer, akte_id: uuid.UUID) -> Akte | None:
    """One visible Akte with what its page needs; None when missing or not visible."""
    return (
        visible_akten(viewer)
        .select_related("aktenplaneinheit", "unit", "caseworker", "bg")
        .filter(pk=akte_id)
        .first()
    )


def akte_documents(akte: Akte) -> QuerySet[Dokument]:
    return (
        Dokument.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte)
        .select_related("current_version", "vorgang")
        .order_by("-created_at", "-pk")
    )


def akte_vorgaenge(akte: Akte) -> QuerySet[Vorgang]:
    return (
        Vorgang.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte)
        .select_related("typ", "caseworker")
        .order_by("-opened_at")
    )


def vorgang(viewer: Viewer, vorgang_id: uuid.UUID) -> Vorgang | None:
    return (
        Vorgang.objects.for_tenant(viewer.tenant_id)
        .filter(akten_q(viewer.access, viewer.user_id, prefix="akte__"), pk=vorgang_id)
        .select_related("akte", "typ", "caseworker")
        .first()
    )


def dokument(viewer: Viewer, dokument_id: uuid.UUID) -> Dokument | None:
    return (
        Dokument.objects.for_tenant(viewer.tenant_id)
        .filter(akten_q(viewer.access, viewer.user_id, prefix="akte__"), pk=dokument_id)
        .select_related("akte", "vorgang", "current_version")
        .first()
    )


def records_users(tenant_id: uuid.UUID) -> QuerySet[User]:
    """Active people of the Mandant whose role lets them read Akten: who can be named for a
    restricted Akte (its caseworker: records.access.caseworkers). Machine accounts are
    never named."""
    roles = [code for code, role in ROLES.items() if Perm.RECORDS_VIEW in role.permissions]
    member_ids = Membership.objects.for_tenant(tenant_id).filter(role__in=roles).values("user_id")
    return User.objects.filter(pk__in=member_ids, is_active=True, is_machine=False).order_by(
        "last_name", "first_name", "pk"
    )


def named_users(akte: Akte) -> QuerySet[User]:
    """The people named on a restricted Akte."""
    ids = AkteZugriff.objects.for_tenant(akte.tenant_id).filter(akte=akte).values("user_id")
    return User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "pk")


def bg_mitglieder(bg_id: uuid.UUID | None, tenant_id: uuid.UUID) -> QuerySet[BgMitglied]:
    """Members of a Bedarfsgemeinschaft with their persons, Antragsteller first."""
    order = Case(
        *(When(rolle=r, then=Value(i)) for i, r in enumerate(BgMitglied.Rolle.values)),
        default=Value(99),
    )
    return (
        BgMitglied.objects.for_tenant(tenant_id)
        .filter(bg_id=bg_id)
        .select_related("person")
        .order_by(order, "person__birth_date", "pk")
    )


def aktenplan(tenant_id: uuid.UUID) -> QuerySet[Aktenplaneinheit]:
    return Aktenplaneinheit.objects.for_tenant(tenant_id).order_by("path")


def vorgang_typen(tenant_id: uuid.UUID, module: str | None = None) -> QuerySet[VorgangTyp]:
    qs = VorgangTyp.objects.for_tenant(tenant_id).filter(is_active=True)
    return qs.filter(module=module) if module else qs


def all_vorgang_typen(tenant_id: uuid.UUID) -> QuerySet[VorgangTyp]:
    """Every Vorgangstyp of the Mandant, also those out of use (for the configuration)."""
    return VorgangTyp.objects.for_tenant(tenant_id).order_by("module", "label", "pk")


def vorgang_typ(tenant_id: uuid.UUID, typ_id: uuid.UUID) -> VorgangTyp | None:
    """One Vorgangstyp of the Mandant, also one out of use; None if there is none."""
    return VorgangTyp.objects.for_tenant(tenant_id).filter(pk=typ_id).first()


def frist_regeln(tenant_id: uuid.UUID) -> QuerySet[FristRegel]:
    return FristRegel.objects.for_tenant(tenant_id).order_by("label")


def frist_regel(tenant_id: uuid.UUID, regel_id: uuid.UUID) -> FristRegel | None:
    return FristRegel.objects.for_tenant(tenant_id).filter(pk=regel_id).first()


@dataclass(frozen=True)
class DokumentRow:
    """One line of the Akte page's document table: plain values, no model instances, so a
    file with hundreds of documents renders fast."""

    pk: uuid.UUID
    title: str
    kind: str
    direction_label: str
    received_on: date | None
    vorgang_id: uuid.UUID | None
    vorgang_title: str
    page_count: int
    status: str
    needs_ocr: bool
    version: int
    url: str
    vorgang_url: str


def akte_document_rows(akte: Akte) -> list[DokumentRow]:
    """The Akte's documents for its page, newest first, in one query; URLs are built from
    one reversed prefix instead of a ``reverse()`` per row."""
    zero = uuid.UUID(int=0)
    dokument_prefix = reverse("records:dokument", args=[zero]).replace(str(zero), "{}")
    vorgang_prefix = reverse("records:vorgang_detail", args=[zero]).replace(str(zero), "{}")
    directions = dict(Dokument.Direction.choices)
    rows = akte_documents(akte).values_list(
        "pk",
        "title",
        "kind",
        "direction",
        "received_on",
        "vorgang_id",
        "vorgang__title",
        "page_count",
        "status",
        "needs_ocr",
        "current_version__number",
    )
    return [
        DokumentRow(
            pk=pk,
            title=title,
            kind=kind,
            direction_label=str(directions.get(direction, direction)),
            received_on=received_on,
            vorgang_id=vorgang_id,
            vorgang_title=vorgang_title or "",
            page_count=page_count,
            status=status,
            needs_ocr=needs_ocr,
            version=version or 1,
            url=dokument_prefix.format(pk),
            vorgang_url=vorgang_prefix.format(vorgang_id) if vorgang_id else "",
        )
        for pk, title, kind, direction, received_on, vorgang_id, vorgang_title, page_count, status, needs_ocr, version in rows
    ]


def akte_subjekte(akte: Akte) -> list[AkteSubjekt]:
    """The people the Akte is about, first the first (the subject of its audit events)."""
    return list(
        AkteSubjekt.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte)
        .select_related("person")
        .order_by("pk")
    )


def akte_open_fristen(akte: Akte) -> QuerySet[Frist]:
    """The Akte's Fristen not yet done, the next due first."""
    return (
        Frist.objects.for_tenant(akte.tenant_id)
        .filter(vorgang__akte=akte, done_at__isnull=True)
        .select_related("vorgang")
        .order_by("due_date")
    )


def akte_open_wiedervorlagen(akte: Akte) -> QuerySet[Wiedervorlage]:
    """The Akte's Wiedervorlagen not yet done, the next due first."""
    return (
        Wiedervorlage.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte, done_at__isnull=True)
        .select_related("assignee")
        .order_by("due_date")
    )


def first_subject(akte: Akte) -> Person | None:
    """The first person the Akte is about (the subject of its audit events, the person on
    an Aktenauszug's cover)."""
    row = (
        AkteSubjekt.objects.for_tenant(akte.tenant_id)
        .filter(akte_id=akte.pk)
        .select_related("person")
        .order_by("pk")
        .first()
    )
    return row.person if row is not None else None


def first_subjects(tenant_id: uuid.UUID, akte_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Person]:
    """:func:`first_subject` of many Akten in one query (a serial letter's chunk); an Akte
    without a person is missing from the answer."""
    found: dict[uuid.UUID, Person] = {}
    for row in (
        AkteSubjekt.objects.for_tenant(tenant_id)
        .filter(akte_id__in=list(akte_ids))
        .select_related("person")
        .order_by("pk")
    ):
        found.setdefault(row.akte_id, row.person)
    return found


def akte_personen(akte: Akte) -> list[Person]:
    """The persons whose data the Akte shows: its subjects, then its BG's other members,
    each once (who may see the Akte sees them; whoever may edit it changes them)."""
    people = [s.person for s in akte_subjekte(akte)]
    if akte.bg_id:
        people += [m.person for m in bg_mitglieder(akte.bg_id, akte.tenant_id)]
    return list({p.pk: p for p in people}.values())


def akte_person(akte: Akte, person_id: uuid.UUID) -> Person | None:
    """One of :func:`akte_personen`, or None (missing and not of this Akte look the same)."""
    return next((p for p in akte_personen(akte) if p.pk == person_id), None)
