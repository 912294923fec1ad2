"""API of the E-Akte: Aktenplan, Akten, Vorgänge, Fristen, Wiedervorlagen."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from ninja import Router, Schema, Status
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.accounts.models import User
from koffer.accounts.roles import Perm
from koffer.api.pagination import paginate
from koffer.api.problems import ApiProblem, not_found
from koffer.errors import Forbidden
from koffer.records import access, api_queues, erweiterungen, selectors, services
from koffer.records.auszug import api as auszug_api
from koffer.records.dokumente import api as dokumente_api
from koffer.records.konfiguration import api as konfiguration_api
from koffer.records.konfiguration import api_aktenplan
from koffer.records.models import AccessLevel, Akte, AkteSubjekt, BgMitglied, Person, Vorgang
from koffer.records.suche import api as suche_api
from koffer.tenancy.models import Organisationseinheit

# Literal, not the models' TextChoices: ninja names an enum schema after its class, and
# another app's ``Status`` enum took the same OpenAPI component name, so the documented
# values were someone else's. tests/records/test_api_complete.py pins them.
AkteStatus = Literal["open", "closed", "handed_over"]
VorgangStatus = Literal["open", "waiting", "done"]

akten = Router(tags=["E-Akte"])
akten.add_router("", api_aktenplan.router)
akten.add_router("", api_queues.router)


class AkteOut(Schema):
    id: uuid.UUID
    aktenzeichen: str
    title: str
    status: str
    access_level: str
    aktenplaneinheit_id: uuid.UUID
    unit_id: uuid.UUID
    caseworker_id: uuid.UUID | None
    bg_nummer: str | None
    opened_at: datetime
    closed_at: datetime | None
    retention_until: date | None
    updated_at: datetime
    named_user_ids: list[uuid.UUID] | None = Field(
        default=None, description="Nur in der Einzelansicht: benannte Personen"
    )
    hinweise: list[str] | None = Field(
        default=None,
        description="Nur in der Einzelansicht: Hinweise zur Akte, z. B. „Im Koffer bei … seit …“",
    )


class AktePage(Schema):
    items: list[AkteOut]
    next_cursor: str | None


class PersonDetails(Schema):
    """Contact and bank details of a person (all optional; empty means none)."""

    geburtsort: str = Field(default="", max_length=120)
    staatsangehoerigkeit: str = Field(
        default="", max_length=80, description="wie in Formularen gefragt, z. B. „deutsch“"
    )
    telefon: str = Field(
        default="",
        max_length=25,
        description="Ziffern, Leerzeichen und + - / ( ), 6 bis 25 Zeichen",
    )
    email: str = Field(default="", max_length=254)
    iban: str = Field(
        default="",
        max_length=42,
        description="mit Prüfziffer (MOD 97-10); Leerzeichen werden entfernt, Buchstaben groß "
        "geschrieben",
    )
    bic: str = Field(default="", max_length=14, description="8 oder 11 Stellen")
    kontoinhaber: str = Field(
        default="", max_length=200, description="leer, wenn das Konto der Person selbst gehört"
    )


class PersonIn(PersonDetails):
    family_name: str = Field(min_length=1, max_length=120)
    given_names: str = Field(default="", max_length=200)
    birth_date: date | None = None
    kundennummer: str = Field(
        default="",
        max_length=14,
        description="Kundennummer des Jobcenters, z. B. 123D456789 (Leerzeichen werden "
        "entfernt, der Buchstabe groß geschrieben)",
    )

    def details(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in PersonDetails.model_fields}


class PersonOut(Schema):
    id: uuid.UUID
    family_name: str
    given_names: str
    birth_name: str
    birth_date: date | None
    geburtsort: str
    staatsangehoerigkeit: str
    street: str
    postal_code: str
    city: str
    kundennummer: str = Field(description="Kundennummer des Jobcenters, leer wenn keine")
    telefon: str
    email: str
    iban: str = Field(description="elektronische Form, ohne Leerzeichen; leer wenn keine")
    bic: str
    kontoinhaber: str = Field(description="leer: das Konto gehört der Person selbst")


class PersonChangeIn(Schema):
    """Only the fields sent are changed; an empty text clears a field (not the name)."""

    family_name: str | None = Field(default=None, min_length=1, max_length=120)
    given_names: str | None = Field(default=None, max_length=200)
    birth_name: str | None = Field(default=None, max_length=120)
    birth_date: date | None = None
    geburtsort: str | None = Field(default=None, max_length=120)
    staatsangehoerigkeit: str | None = Field(default=None, max_length=80)
    street: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=10)
    city: str | None = Field(default=None, max_length=120)
    kundennummer: str | None = Field(default=None, max_length=14)
    telefon: str | None = Field(default=None, max_length=25)
    email: str | None = Field(default=None, max_length=254)
    iban: str | None = Field(default=None, max_length=42)
    bic: str | None = Field(default=None, max_length=14)
    kontoinhaber: str | None = Field(default=None, max_length=200)


class AkteIn(Schema):
    aktenplaneinheit_id: uuid.UUID
    unit_id: uuid.UUID
    title: str = Field(min_length=1, max_length=300)
    person: PersonIn | None = None
    bg_nummer: str = Field(
        default="", max_length=30, description="leer, eine vorhandene Nummer oder „neu“"
    )
    bg_rolle: BgMitglied.Rolle | None = Field(
        default=None,
        description="Rolle der Person in der BG; ohne Angabe Antragsteller/in einer neuen, "
        "sonstige Person einer vorhandenen BG",
    )
    access_level: AccessLevel | None = Field(
        default=None, description="ohne Angabe der Zugriff der Aktenplaneinheit"
    )
    named_user_ids: list[uuid.UUID] | None = Field(
        default=None,
        description="Benannte Personen, wenn die Akte eingeschränkt ist (die anlegende "
        "Person als Sachbearbeitung muss darunter sein); ohne Angabe die anlegende Person. "
        "Bei normalem Zugriff wird niemand benannt.",
    )


class AkteChangeIn(Schema):
    reason: str = Field(min_length=1, max_length=500)
    unit_id: uuid.UUID | None = None
    caseworker_id: uuid.UUID | None = None
    status: AkteStatus | None = None
    access_level: AccessLevel | None = None
    named_user_ids: list[uuid.UUID] | None = Field(
        default=None,
        description="Benannte Personen einer eingeschränkten Akte (ersetzt die bisherigen). "
        "Fehlt das Feld, bleiben sie; ist beim Einschränken niemand benannt, wird die "
        "handelnde Person benannt. Eine leere Liste bei eingeschränktem Zugriff ist 422 "
        "restricted_nobody.",
    )


class BgMitgliedOut(Schema):
    id: uuid.UUID
    person_id: uuid.UUID
    family_name: str
    given_names: str
    birth_date: date | None
    kundennummer: str = Field(description="Kundennummer des Jobcenters, leer wenn keine")
    rolle: str


class BgOut(Schema):
    bg_nummer: str | None = Field(description="leer, wenn die Akte zu keiner BG gehört")
    mitglieder: list[BgMitgliedOut]


class BgMitgliedIn(Schema):
    rolle: BgMitglied.Rolle
    person: PersonIn | None = Field(default=None, description="eine neue Person")
    person_id: uuid.UUID | None = Field(
        default=None, description="oder eine Person, die schon Subjekt einer sichtbaren Akte ist"
    )


class BgZuordnenIn(Schema):
    bg_nummer: str | None = Field(
        default=None,
        max_length=30,
        description="leer: neue Bedarfsgemeinschaft mit der nächsten BG-Nummer; sonst die "
        "Nummer einer vorhandenen Bedarfsgemeinschaft des Mandanten",
    )
    rolle: BgMitglied.Rolle | None = Field(
        default=None,
        description="Rolle der betroffenen Personen der Akte in der BG; ohne Angabe sonstige "
        "Person",
    )
    reason: str = Field(min_length=1, max_length=500)


class BgEntfernenIn(Schema):
    reason: str = Field(min_length=1, max_length=500)


class VorgangOut(Schema):
    id: uuid.UUID
    akte_id: uuid.UUID
    typ: str
    title: str
    status: str
    caseworker_id: uuid.UUID | None
    opened_at: datetime
    closed_at: datetime | None
    ergebnis: str = Field(description="Ergebnis eines erledigten Antrags, sonst leer")
    bescheid_am: date | None = None


class VorgangIn(Schema):
    typ: str = Field(description="Code des Vorgangstyps, z. B. widerspruch")
    title: str = Field(default="", max_length=300)


class FristIn(Schema):
    regel: str = Field(description="Code der Fristregel, z. B. widerspruchsfrist")
    base_date: date


class FristOut(Schema):
    id: uuid.UUID
    label: str
    base_date: date
    due_date: date


class WiedervorlageIn(Schema):
    due_date: date
    note: str = Field(default="", max_length=500)
    vorgang_id: uuid.UUID | None = Field(default=None, description="zu einem Vorgang der Akte")
    dokument_id: uuid.UUID | None = Field(default=None, description="zu einem Dokument der Akte")
    fuer_team: bool = Field(
        default=False,
        description="der zuständigen Organisationseinheit statt mir selbst zuweisen",
    )


class VorgangStatusIn(Schema):
    status: VorgangStatus
    note: str = Field(default="", max_length=300)
    ergebnis: Literal["", "bewilligt", "teilweise", "abgelehnt", "zurueckgenommen"] = Field(
        default="", description="Nur bei erledigt: wie der Antrag ausging"
    )
    bescheid_am: date | None = Field(default=None, description="Nur bei erledigt")


def _akte_out(akte: Akte, *, with_names: bool = False) -> AkteOut:
    return AkteOut(
        named_user_ids=[u.pk for u in selectors.named_users(akte)] if with_names else None,
        id=akte.id,
        aktenzeichen=akte.aktenzeichen,
        title=akte.title,
        status=akte.status,
        access_level=akte.access_level,
        aktenplaneinheit_id=akte.aktenplaneinheit_id,
        unit_id=akte.unit_id,
        caseworker_id=akte.caseworker_id,
        bg_nummer=akte.bg.bg_nummer if akte.bg_id and akte.bg else None,
        opened_at=akte.opened_at,
        closed_at=akte.closed_at,
        retention_until=akte.retention_until,
        updated_at=akte.updated_at,
    )


def _vorgang_out(v: Vorgang) -> VorgangOut:
    return VorgangOut(
        id=v.id,
        akte_id=v.akte_id,
        typ=v.typ.code,
        title=v.title,
        status=v.status,
        caseworker_id=v.caseworker_id,
        opened_at=v.opened_at,
        closed_at=v.closed_at,
        ergebnis=v.ergebnis,
        bescheid_am=v.bescheid_am,
    )


def _visible_akte(request: TenantRequest, akte_id: uuid.UUID, *, edit: bool = False) -> Akte:
    akte = selectors.akte(selectors.Viewer.of(request), akte_id)
    if akte is None:
        raise not_found("Diese Akte")
    if edit and not access.can_edit(request.access, request.user.id, akte):
        raise Forbidden("forbidden", "Sie dürfen diese Akte nicht ändern.")
    return akte


def _named_users(request: TenantRequest, ids: list[uuid.UUID] | None) -> list[User] | None:
    """The people behind ``named_user_ids``; 404 if one is not of this Mandant's E-Akte."""
    if ids is None:
        return None
    wanted = set(ids)
    named = list(selectors.records_users(request.tenant.pk).filter(pk__in=wanted))
    if len(named) != len(wanted):
        raise not_found("Eine der benannten Personen")
    return named


@akten.get("/akten", response=AktePage, summary="Sichtbare Akten (mit ?meine=true nur die eigenen)")
def list_akten(
    request: TenantRequest,
    meine: bool = False,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> AktePage:
    access.require(request.access, Perm.RECORDS_VIEW)
    qs = selectors.visible_akten(selectors.Viewer.of(request)).select_related("bg")
    if meine:
        qs = qs.filter(caseworker_id=request.user.id)
    if status:
        qs = qs.filter(status=status)
    rows, next_cursor = paginate(qs, cursor=cursor, limit=limit)
    return AktePage(items=[_akte_out(a) for a in rows], next_cursor=next_cursor)


@akten.get(
    "/akten/{akte_id}", response=AkteOut, summary="Eine Akte (der Zugriff wird protokolliert)"
)
def get_akte(request: TenantRequest, akte_id: uuid.UUID) -> AkteOut:
    access.require(request.access, Perm.RECORDS_VIEW)
    akte = _visible_akte(request, akte_id)
    services.record_read(
        actor=request.user,
        akte=akte,
        subject=selectors.first_subject(akte),
        purpose="Akte über die API abgerufen",
    )
    out = _akte_out(akte, with_names=True)
    out.hinweise = erweiterungen.hinweise(request.access, request.user.pk, akte)
    return out


@akten.post(
    "/akten",
    response={201: AkteOut},
    summary="Akte anlegen",
    description="Die Akte erhält den Zugriff ihrer Aktenplaneinheit. Einen anderen Zugriff "
    "oder weitere benannte Personen legt nur fest, wer in der zuständigen "
    "Organisationseinheit das Recht „Akten zuweisen“ hat (sonst 403 assign_forbidden). "
    "Eine eingeschränkte Akte benennt ihre Sachbearbeitung, die anlegende Person "
    "(sonst 422 caseworker_not_named).",
)
def create_akte(request: TenantRequest, payload: AkteIn) -> Status:
    access.require(request.access, Perm.RECORDS_EDIT)
    tenant = request.tenant
    plan = selectors.aktenplan(tenant.pk).filter(pk=payload.aktenplaneinheit_id).first()
    unit = Organisationseinheit.objects.for_tenant(tenant).filter(pk=payload.unit_id).first()
    if plan is None or unit is None:
        raise not_found("Aktenplaneinheit oder Organisationseinheit")
    person = payload.person
    named = _named_users(request, payload.named_user_ids)
    akte = services.open_akte_for_person(
        actor=request.user,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=unit,
        title=payload.title,
        family_name=person.family_name if person else "",
        given_names=person.given_names if person else "",
        birth_date=person.birth_date if person else None,
        kundennummer=person.kundennummer if person else "",
        details=person.details() if person else None,
        bg_nummer=payload.bg_nummer,
        bg_rolle=payload.bg_rolle or "",
        access_level=payload.access_level,
        caseworker=request.user if not request.user.is_machine else None,
        named_users=named,
        access=request.access,
    )
    return Status(201, _akte_out(akte, with_names=True))


@akten.patch(
    "/akten/{akte_id}",
    response=AkteOut,
    summary="Zuständigkeit, Status oder Zugriff ändern (mit Grund)",
    description="Zuständige Organisationseinheit, Zugriff und benannte Personen ändert nur, "
    "wer das Recht „Akten zuweisen“ dort hat, wo die Akte liegt, und bei einem Wechsel "
    "auch in der neuen Organisationseinheit; sonst 403 assign_forbidden bzw. "
    "assign_target_forbidden. Sachbearbeitung kann nur werden, wer in der zuständigen "
    "Organisationseinheit Akten bearbeiten darf (sonst 422 caseworker_not_eligible). Der "
    "Grund steht im Audit-Protokoll.",
)
def change_akte(request: TenantRequest, akte_id: uuid.UUID, payload: AkteChangeIn) -> AkteOut:
    access.require(request.access, Perm.RECORDS_EDIT)
    akte = _visible_akte(request, akte_id, edit=True)
    unit = None
    if payload.unit_id:
        unit = (
            Organisationseinheit.objects.for_tenant(request.tenant)
            .filter(pk=payload.unit_id)
            .first()
        )
        if unit is None:
            raise not_found("Diese Organisationseinheit")
    caseworker = None
    if payload.caseworker_id:
        # Any person of the Mandant is found here; whether they may be the caseworker is
        # the service's answer (records.access.caseworkers), the same as for the web form.
        caseworker = User.objects.filter(
            pk=payload.caseworker_id, memberships__tenant=request.tenant
        ).first()
        if caseworker is None:
            raise not_found("Diese Person")
    named = _named_users(request, payload.named_user_ids)
    akte = services.change_akte(
        actor=request.user,
        access=request.access,
        akte=akte,
        reason=payload.reason,
        unit=unit,
        caseworker=caseworker,
        status=payload.status,
        access_level=payload.access_level,
        named_users=named,
    )
    return _akte_out(akte, with_names=True)


@akten.get("/akten/{akte_id}/vorgaenge", response=list[VorgangOut], summary="Vorgänge einer Akte")
def list_vorgaenge(request: TenantRequest, akte_id: uuid.UUID) -> list[VorgangOut]:
    access.require(request.access, Perm.RECORDS_VIEW)
    akte = _visible_akte(request, akte_id)
    return [_vorgang_out(v) for v in selectors.akte_vorgaenge(akte)]


@akten.post("/akten/{akte_id}/vorgaenge", response={201: VorgangOut}, summary="Vorgang anlegen")
def create_vorgang(request: TenantRequest, akte_id: uuid.UUID, payload: VorgangIn) -> Status:
    access.require(request.access, Perm.RECORDS_EDIT)
    akte = _visible_akte(request, akte_id, edit=True)
    typ = selectors.vorgang_typen(akte.tenant_id).filter(code=payload.typ).first()
    if typ is None:
        raise ApiProblem(
            422,
            "typ_unknown",
            "Unbekannter Vorgangstyp",
            f"Den Vorgangstyp „{payload.typ}“ gibt es nicht.",
        )
    vorgang = services.create_vorgang(actor=request.user, akte=akte, typ=typ, title=payload.title)
    return Status(201, _vorgang_out(vorgang))


@akten.get(
    "/vorgaenge/{vorgang_id}",
    response=VorgangOut,
    summary="Ein Vorgang (der Zugriff wird protokolliert)",
)
def get_vorgang(request: TenantRequest, vorgang_id: uuid.UUID) -> VorgangOut:
    access.require(request.access, Perm.RECORDS_VIEW)
    vorgang = selectors.vorgang(selectors.Viewer.of(request), vorgang_id)
    if vorgang is None:
        raise not_found("Dieser Vorgang")
    services.record_vorgang_read(
        actor=request.user, vorgang=vorgang, purpose="Vorgang über die API abgerufen"
    )
    return _vorgang_out(vorgang)


@akten.post(
    "/vorgaenge/{vorgang_id}/fristen",
    response={201: FristOut},
    summary="Frist nach Regel berechnen und eintragen",
)
def add_frist(request: TenantRequest, vorgang_id: uuid.UUID, payload: FristIn) -> Status:
    access.require(request.access, Perm.RECORDS_EDIT)
    vorgang = selectors.vorgang(selectors.Viewer.of(request), vorgang_id)
    if vorgang is None or not access.can_edit(request.access, request.user.id, vorgang.akte):
        raise not_found("Dieser Vorgang")
    regel = selectors.frist_regeln(vorgang.tenant_id).filter(code=payload.regel).first()
    if regel is None:
        raise ApiProblem(
            422,
            "regel_unknown",
            "Unbekannte Fristregel",
            f"Die Regel „{payload.regel}“ gibt es nicht.",
        )
    frist = services.add_frist(
        actor=request.user, vorgang=vorgang, base_date=payload.base_date, regel=regel
    )
    return Status(
        201,
        FristOut(
            id=frist.id, label=frist.label, base_date=frist.base_date, due_date=frist.due_date
        ),
    )


@akten.post(
    "/akten/{akte_id}/wiedervorlagen",
    response={201: api_queues.WiedervorlageItem},
    summary="Wiedervorlage setzen (zur Akte, zu einem Vorgang oder einem Dokument)",
)
def add_wiedervorlage(
    request: TenantRequest, akte_id: uuid.UUID, payload: WiedervorlageIn
) -> Status:
    access.require(request.access, Perm.RECORDS_EDIT)
    akte = _visible_akte(request, akte_id, edit=True)
    viewer = selectors.Viewer.of(request)
    vorgang = dokument = None
    if payload.vorgang_id is not None:
        vorgang = selectors.vorgang(viewer, payload.vorgang_id)
        if vorgang is None or vorgang.akte_id != akte.pk:
            raise not_found("Dieser Vorgang (in dieser Akte)")
    if payload.dokument_id is not None:
        dokument = selectors.dokument(viewer, payload.dokument_id)
        if dokument is None or dokument.akte_id != akte.pk:
            raise not_found("Dieses Dokument (in dieser Akte)")
    wv = services.set_wiedervorlage(
        actor=request.user,
        akte=akte,
        due_date=payload.due_date,
        assignee=None if payload.fuer_team else request.user,
        unit=akte.unit if payload.fuer_team else None,
        vorgang=vorgang or (dokument.vorgang if dokument else None),
        dokument=dokument,
        note=payload.note,
    )
    return Status(201, api_queues.wiedervorlage_item(wv))


@akten.post(
    "/vorgaenge/{vorgang_id}/status",
    response=VorgangOut,
    summary="Status eines Vorgangs ändern (in Bearbeitung, wartet, erledigt), mit Vermerk",
)
def change_vorgang_status(
    request: TenantRequest, vorgang_id: uuid.UUID, payload: VorgangStatusIn
) -> VorgangOut:
    access.require(request.access, Perm.RECORDS_EDIT)
    vorgang = selectors.vorgang(selectors.Viewer.of(request), vorgang_id)
    if vorgang is None or not access.can_edit(request.access, request.user.id, vorgang.akte):
        raise not_found("Dieser Vorgang")
    vorgang = services.change_vorgang_status(
        actor=request.user,
        vorgang=vorgang,
        status=payload.status,
        note=payload.note,
        ergebnis=payload.ergebnis,
        bescheid_am=payload.bescheid_am,
    )
    return _vorgang_out(vorgang)


def _person_out(person: Person) -> PersonOut:
    return PersonOut(
        id=person.pk,
        **{name: getattr(person, name) for name in PersonOut.model_fields if name != "id"},
    )


@akten.get(
    "/akten/{akte_id}/personen",
    response=list[PersonOut],
    summary="Personen der Akte mit allen Angaben (der Zugriff wird protokolliert)",
    description="Die betroffenen Personen der Akte, dann die übrigen Mitglieder ihrer "
    "Bedarfsgemeinschaft: Name, Geburt, Anschrift, Kontakt und Bankverbindung.",
)
def list_personen(request: TenantRequest, akte_id: uuid.UUID) -> list[PersonOut]:
    access.require(request.access, Perm.RECORDS_VIEW)
    akte = _visible_akte(request, akte_id)
    people = selectors.akte_personen(akte)
    for person in people:
        services.record_person_read(
            actor=request.user, akte=akte, person=person, purpose="Personen über die API abgerufen"
        )
    return [_person_out(p) for p in people]


@akten.patch(
    "/akten/{akte_id}/personen/{person_id}",
    response=PersonOut,
    summary="Angaben einer Person der Akte ändern",
    description="Geändert wird nur, was gesendet wird; ein leerer Text löscht die Angabe. "
    "IBAN (Prüfziffer), BIC, E-Mail, Telefon und Kundennummer werden geprüft (422 "
    "iban_invalid, bic_invalid, email_invalid, telefon_invalid, kundennummer_invalid). "
    "Jede Änderung steht mit altem und neuem Wert im Audit-Protokoll.",
)
def change_person(
    request: TenantRequest, akte_id: uuid.UUID, person_id: uuid.UUID, payload: PersonChangeIn
) -> PersonOut:
    access.require(request.access, Perm.RECORDS_EDIT)
    akte = _visible_akte(request, akte_id, edit=True)
    person = selectors.akte_person(akte, person_id)
    if person is None:
        raise not_found("Diese Person (in dieser Akte)")
    person = services.change_person(
        actor=request.user, person=person, **payload.model_dump(exclude_unset=True)
    )
    return _person_out(person)


def _bg_out(akte: Akte) -> BgOut:
    return BgOut(
        bg_nummer=akte.bg.bg_nummer if akte.bg else None,
        mitglieder=[
            BgMitgliedOut(
                id=m.id,
                person_id=m.person_id,
                family_name=m.person.family_name,
                given_names=m.person.given_names,
                birth_date=m.person.birth_date,
                kundennummer=m.person.kundennummer,
                rolle=m.rolle,
            )
            for m in selectors.bg_mitglieder(akte.bg_id, akte.tenant_id)
        ],
    )


@akten.get(
    "/akten/{akte_id}/bedarfsgemeinschaft",
    response=BgOut,
    summary="Bedarfsgemeinschaft der Akte mit Mitgliedern (der Zugriff wird protokolliert)",
)
def get_bedarfsgemeinschaft(request: TenantRequest, akte_id: uuid.UUID) -> BgOut:
    access.require(request.access, Perm.RECORDS_VIEW)
    akte = _visible_akte(request, akte_id)
    if akte.bg is not None:
        services.record_bg_read(
            actor=request.user, akte=akte, purpose="Bedarfsgemeinschaft über die API abgerufen"
        )
    return _bg_out(akte)


@akten.post(
    "/akten/{akte_id}/bedarfsgemeinschaft",
    response={201: BgOut},
    summary="Akte ohne Bedarfsgemeinschaft einer neuen oder vorhandenen BG zuordnen (mit Grund)",
    description="Ohne BG-Nummer entsteht eine neue Bedarfsgemeinschaft mit der nächsten "
    "BG-Nummer; mit der Nummer einer vorhandenen BG des Mandanten tritt die Akte ihr bei. "
    "Die betroffenen Personen der Akte werden Mitglieder. Gehört die Akte schon zu einer BG, "
    "ist die Antwort 422 akte_has_bg; eine unbekannte BG-Nummer ist 404.",
)
def attach_bedarfsgemeinschaft(
    request: TenantRequest, akte_id: uuid.UUID, payload: BgZuordnenIn
) -> Status:
    access.require(request.access, Perm.RECORDS_EDIT)
    akte = _visible_akte(request, akte_id, edit=True)
    services.attach_bedarfsgemeinschaft(
        actor=request.user,
        akte=akte,
        bg_nummer=payload.bg_nummer,
        reason=payload.reason,
        rolle=payload.rolle,
    )
    return Status(201, _bg_out(akte))


def _bg_of(request: TenantRequest, akte_id: uuid.UUID) -> Akte:
    access.require(request.access, Perm.RECORDS_EDIT)
    akte = _visible_akte(request, akte_id, edit=True)
    if akte.bg is None:
        raise ApiProblem(
            422,
            "akte_without_bg",
            "Keine Bedarfsgemeinschaft",
            "Diese Akte gehört zu keiner Bedarfsgemeinschaft.",
        )
    return akte


@akten.post(
    "/akten/{akte_id}/bedarfsgemeinschaft/mitglieder",
    response={201: BgOut},
    summary="Mitglied in die Bedarfsgemeinschaft aufnehmen (neue oder bekannte Person)",
)
def add_bg_mitglied(request: TenantRequest, akte_id: uuid.UUID, payload: BgMitgliedIn) -> Status:
    akte = _bg_of(request, akte_id)
    assert akte.bg is not None
    if (payload.person is None) == (payload.person_id is None):
        raise ApiProblem(
            422,
            "person_required",
            "Person fehlt",
            "Bitte geben Sie entweder eine neue Person (person) oder person_id an.",
        )
    if payload.person is not None:
        services.add_new_person_to_bg(
            actor=request.user,
            bg=akte.bg,
            rolle=payload.rolle,
            family_name=payload.person.family_name,
            given_names=payload.person.given_names,
            birth_date=payload.person.birth_date,
            kundennummer=payload.person.kundennummer,
            details=payload.person.details(),
        )
    else:
        subjekt = (
            AkteSubjekt.objects.for_tenant(akte.tenant_id)
            .filter(
                person_id=payload.person_id,
                akte__in=selectors.visible_akten(selectors.Viewer.of(request)),
            )
            .select_related("person")
            .first()
        )
        if subjekt is None:
            raise not_found("Diese Person")
        services.add_bg_mitglied(
            actor=request.user, bg=akte.bg, person=subjekt.person, rolle=payload.rolle
        )
    return Status(201, _bg_out(akte))


@akten.post(
    "/akten/{akte_id}/bedarfsgemeinschaft/mitglieder/{mitglied_id}/entfernen",
    response=BgOut,
    summary="Mitglied aus der Bedarfsgemeinschaft entfernen (mit Grund)",
)
def remove_bg_mitglied(
    request: TenantRequest, akte_id: uuid.UUID, mitglied_id: uuid.UUID, payload: BgEntfernenIn
) -> BgOut:
    akte = _bg_of(request, akte_id)
    mitglied = selectors.bg_mitglieder(akte.bg_id, akte.tenant_id).filter(pk=mitglied_id).first()
    if mitglied is None:
        raise not_found("Dieses Mitglied")
    services.remove_bg_mitglied(actor=request.user, mitglied=mitglied, reason=payload.reason)
    return _bg_out(akte)


# The E-Akte's one router, mounted by koffer.urls. Search first: its /akten/finden must win
# over /akten/{akte_id}.
router = Router()
router.add_router("", suche_api.router)
router.add_router("", akten)
router.add_router("", dokumente_api.router)
router.add_router("", auszug_api.router)
router.add_router("", konfiguration_api.router)
