"""Pages of the E-Akte: my Akten, one Akte, Vorgänge, Fristen and Wiedervorlagen. Thin: parse, call one
service or selector, render."""

from __future__ import annotations

import calendar
import uuid
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from koffer import formats
from koffer.accounts.access import require_perm
from koffer.accounts.http import TenantRequest
from koffer.accounts.models import User
from koffer.accounts.roles import Perm
from koffer.errors import DomainError
from koffer.records import access, erweiterungen, queues, selectors, services
from koffer.records.breadcrumbs import akte_trail
from koffer.records.errors import RecordsError
from koffer.records.forms import (
    AkteChangeForm,
    AkteCreateForm,
    BgEntfernenForm,
    BgMitgliedForm,
    BgZuordnenForm,
    FristForm,
    PersonChangeForm,
    VorgangCreateForm,
    VorgangStatusForm,
    WiedervorlageForm,
)
from koffer.records.models import AccessLevel, Akte, Frist, VorgangSchritt
from koffer.shell.breadcrumbs import Crumb, trail
from koffer.tenancy.models import Organisationseinheit


def _form_page(
    request: TenantRequest, form: BaseForm, title: str, submit: str, breadcrumbs: list[Crumb]
) -> HttpResponse:
    """A form page of its own (records/form.html); 400 when the form has errors."""
    return render(
        request,
        "records/form.html",
        {"form": form, "page_title": title, "submit_label": submit, "breadcrumbs": breadcrumbs},
        status=400 if form.errors else 200,
    )


def _units(request: TenantRequest, perm: str) -> list[tuple[str, str]]:
    """Units the actor holds ``perm`` in (and below)."""
    paths = request.access.unit_paths_with(perm)
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__under=path)
    units = (
        Organisationseinheit.objects.for_tenant(request.tenant).filter(condition).order_by("path")
    )
    return [(str(u.pk), ("– " * u.depth) + u.name) for u in units]


def _caseworkers(akte: Akte) -> list[tuple[str, str]]:
    """Who the form offers as caseworker: the rule of records.access (the same the service
    enforces), plus the present one, so that a form saved for another reason stays valid
    after that person lost the role."""
    users = list(access.akte_caseworkers(akte))
    if akte.caseworker is not None and akte.caseworker not in users:
        users.append(akte.caseworker)
    return [("", "– niemand –")] + [(str(u.pk), str(u)) for u in users]


def _assign_units(request: TenantRequest) -> list[tuple[str, str]]:
    """Units an Akte may be handed to: where the actor holds records.assign."""
    units = (
        Organisationseinheit.objects.for_tenant(request.tenant)
        .filter(access.assign_units_q(request.access))
        .order_by("path")
    )
    return [(str(u.pk), ("– " * u.depth) + u.name) for u in units]


def _akte_or_404(request: TenantRequest, akte_id: uuid.UUID) -> Akte:
    found = selectors.akte(selectors.Viewer.of(request), akte_id)
    if found is None:
        raise Http404
    return found


@require_perm(Perm.RECORDS_VIEW)
def akten_list(request: TenantRequest) -> HttpResponse:
    """Meine Akten: open Akten the user is responsible for, newest activity first."""
    status = request.GET.get("status", "open")
    qs = selectors.my_akten(
        selectors.Viewer.of(request), status=None if status == "alle" else status
    )
    page = Paginator(qs, 50).get_page(request.GET.get("seite"))
    return render(
        request,
        "records/akten_list.html",
        {
            "page": page,
            "status": status,
            "query": urlencode({"status": status}),
            "can_create": request.access.can(Perm.RECORDS_EDIT),
            "page_title": "Meine Akten",
            "breadcrumbs": trail(("Meine Akten", None)),
        },
    )


def _restricted_mark(level: str) -> str:
    return " (eingeschränkter Zugriff)" if level == AccessLevel.RESTRICTED else ""


@require_perm(Perm.RECORDS_EDIT)
def akte_create(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    form = AkteCreateForm(request.POST or None)
    form.set_choices(
        "aktenplaneinheit",
        [
            (str(n.pk), f"{n.kennzeichen} {n.title}" + _restricted_mark(n.default_access))
            for n in selectors.aktenplan(tenant.pk)
        ],
    )
    form.set_choices("unit", _units(request, Perm.RECORDS_EDIT))
    # A new Akte has the plan unit's access. Choosing another decides who sees it, which
    # only those who may assign Akten do (the service checks it for the chosen unit);
    # the others do not get the field.
    if not request.access.unit_paths_with(Perm.RECORDS_ASSIGN):
        del form.fields["access_level"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            akte = services.open_akte_for_person(
                actor=request.user,
                tenant=tenant,
                aktenplaneinheit=selectors.aktenplan(tenant.pk).get(pk=data["aktenplaneinheit"]),
                unit=Organisationseinheit.objects.for_tenant(tenant).get(pk=data["unit"]),
                title=data["title"],
                family_name=data["family_name"],
                given_names=data["given_names"],
                birth_date=data["birth_date"],
                kundennummer=data["kundennummer"],
                details=form.details(),
                bg_nummer=data["bg_nummer"],
                access_level=data.get("access_level") or None,
                caseworker=request.user,
                bg_rolle=data["bg_rolle"],
                access=request.access,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Akte {akte.aktenzeichen} wurde angelegt.")
            return redirect("records:akte_detail", akte_id=akte.pk)
    return _form_page(
        request,
        form,
        "Akte anlegen",
        "Akte anlegen",
        trail(("Meine Akten", reverse("records:akten")), ("Akte anlegen", None)),
    )


@require_perm(Perm.RECORDS_VIEW)
def akte_detail(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    akte = _akte_or_404(request, akte_id)
    subjekte = selectors.akte_subjekte(akte)
    services.record_read(
        actor=request.user,
        akte=akte,
        subject=subjekte[0].person if subjekte else None,
        purpose="Akte geöffnet",
    )
    bg_members = list(selectors.bg_mitglieder(akte.bg_id, akte.tenant_id)) if akte.bg_id else []
    vorgaenge = list(selectors.akte_vorgaenge(akte))
    context = {
        "akte": akte,
        "subjekte": subjekte,
        "bg_members": bg_members,
        "vorgaenge": vorgaenge,
        "dokumente": selectors.akte_document_rows(akte),
        "fristen": list(selectors.akte_open_fristen(akte)),
        "wiedervorlagen": list(selectors.akte_open_wiedervorlagen(akte)),
        "named_users": (
            list(selectors.named_users(akte)) if akte.access_level == AccessLevel.RESTRICTED else []
        ),
        "can_edit": access.can_edit(request.access, request.user.id, akte),
        "links": erweiterungen.links(request.access, request.user.id, akte),
        "hinweise": erweiterungen.hinweise(request.access, request.user.id, akte),
        "wv_form": WiedervorlageForm(),
        "page_title": f"Akte {akte.aktenzeichen}",
        "breadcrumbs": trail(("Meine Akten", reverse("records:akten")), (akte.aktenzeichen, None)),
    }
    return render(request, "records/akte_detail.html", context)


@require_perm(Perm.RECORDS_EDIT)
def akte_change(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    akte = _akte_or_404(request, akte_id)
    if not access.can_edit(request.access, request.user.id, akte):
        raise Http404
    people = list(selectors.records_users(akte.tenant_id))
    named = [str(u.pk) for u in selectors.named_users(akte)] or [str(request.user.pk)]
    initial = {
        "unit": str(akte.unit_id),
        "caseworker": str(akte.caseworker_id or ""),
        "status": akte.status,
        "access_level": akte.access_level,
        "named_users": named,
    }
    form = AkteChangeForm(request.POST or None, initial=initial)
    # Who sees the Akte is changed only by those who may assign it; the others do not get
    # the fields (the service would refuse them anyway).
    assigns = access.can_assign(request.access, request.user.id, akte)
    if assigns:
        form.set_choices("unit", _assign_units(request))
        form.set_choices("named_users", [(str(u.pk), str(u)) for u in people])
    else:
        for name in ("unit", "access_level", "named_users"):
            del form.fields[name]
    form.set_choices("caseworker", _caseworkers(akte))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        caseworker = (
            User.objects.filter(pk=data["caseworker"]).first() if data["caseworker"] else None
        )
        level = data.get("access_level")
        try:
            services.change_akte(
                actor=request.user,
                access=request.access,
                akte=akte,
                reason=data["reason"],
                unit=(
                    Organisationseinheit.objects.for_tenant(request.tenant).get(pk=data["unit"])
                    if assigns
                    else None
                ),
                caseworker=caseworker,
                status=data["status"],
                access_level=level,
                # Named people matter only for a restricted Akte; the form pre-selects the
                # editor for the moment an Akte is restricted, not to name them otherwise.
                named_users=(
                    [u for u in people if str(u.pk) in data["named_users"]]
                    if level == AccessLevel.RESTRICTED
                    else None
                ),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Die Akte wurde geändert.")
            return redirect("records:akte_detail", akte_id=akte.pk)
    return _form_page(
        request,
        form,
        f"Akte {akte.aktenzeichen} ändern",
        "Änderung speichern",
        akte_trail(akte, ("Ändern", None)),
    )


@require_perm(Perm.RECORDS_EDIT)
def person_change(request: TenantRequest, akte_id: uuid.UUID, person_id: uuid.UUID) -> HttpResponse:
    """Change the master data of one of the Akte's persons (its subjects and BG members):
    name, birth, address, contact and bank details; audited by the service."""
    akte = _akte_or_404(request, akte_id)
    if not access.can_edit(request.access, request.user.id, akte):
        raise Http404
    person = selectors.akte_person(akte, person_id)
    if person is None:
        raise Http404
    fields = PersonChangeForm.base_fields
    form = PersonChangeForm(
        request.POST or None, initial={name: getattr(person, name) for name in fields}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.change_person(
                actor=request.user,
                person=person,
                **{name: form.cleaned_data[name] for name in fields},
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Die Angaben zu {person} wurden gespeichert.")
            return redirect("records:akte_detail", akte_id=akte.pk)
    elif request.method == "GET":
        services.record_person_read(
            actor=request.user,
            akte=akte,
            person=person,
            purpose="Personendaten zum Ändern geöffnet",
        )
    return _form_page(
        request,
        form,
        f"Angaben zu {person} ändern",
        "Angaben speichern",
        akte_trail(akte, (f"Person {person}", None)),
    )


@require_perm(Perm.RECORDS_VIEW)
def bedarfsgemeinschaft(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    """The Akte's Bedarfsgemeinschaft: members with roles; add and remove (with a reason)."""
    akte = _akte_or_404(request, akte_id)
    can_edit = access.can_edit(request.access, request.user.id, akte)
    action = request.POST.get("action")
    if request.method == "POST" and (not can_edit or (akte.bg is None and action != "attach")):
        raise Http404
    attach_form = BgZuordnenForm(request.POST if action == "attach" else None)
    if attach_form.is_bound and attach_form.is_valid():
        data = attach_form.cleaned_data
        try:
            bg = services.attach_bedarfsgemeinschaft(
                actor=request.user,
                akte=akte,
                bg_nummer=data["bg_nummer"],
                reason=data["reason"],
                rolle=data["rolle"],
            )
        except DomainError as exc:
            attach_form.add_error("bg_nummer" if exc.code == "bg_unknown" else None, exc.message)
            if akte.bg is not None:  # the form is not shown then; say it above the page
                messages.error(request, exc.message)
        else:
            messages.success(
                request, f"Die Akte gehört jetzt zur Bedarfsgemeinschaft {bg.bg_nummer}."
            )
            return redirect("records:bedarfsgemeinschaft", akte_id=akte.pk)
    add_form = BgMitgliedForm(request.POST if request.POST.get("action") == "add" else None)
    remove_form = BgEntfernenForm(request.POST if request.POST.get("action") == "remove" else None)
    try:
        if add_form.is_bound and add_form.is_valid():
            data = add_form.cleaned_data
            assert akte.bg is not None
            added = services.add_new_person_to_bg(
                actor=request.user,
                bg=akte.bg,
                rolle=data["rolle"],
                family_name=data["family_name"],
                given_names=data["given_names"],
                birth_date=data["birth_date"],
                kundennummer=data["kundennummer"],
                details=add_form.details(),
            )
            messages.success(request, f"{added.person} gehört jetzt zur Bedarfsgemeinschaft.")
            return redirect("records:bedarfsgemeinschaft", akte_id=akte.pk)
        if remove_form.is_bound and remove_form.is_valid():
            mitglied = (
                selectors.bg_mitglieder(akte.bg_id, akte.tenant_id)
                .filter(pk=remove_form.cleaned_data["mitglied"])
                .first()
            )
            if mitglied is None:
                raise Http404
            services.remove_bg_mitglied(
                actor=request.user, mitglied=mitglied, reason=remove_form.cleaned_data["reason"]
            )
            messages.success(request, f"{mitglied.person} wurde aus der BG entfernt.")
            return redirect("records:bedarfsgemeinschaft", akte_id=akte.pk)
        if remove_form.is_bound:
            messages.error(request, "Bitte geben Sie einen Grund für das Entfernen an.")
    except DomainError as exc:
        (add_form if add_form.is_bound else remove_form).add_error(None, exc.message)
        if remove_form.is_bound:
            messages.error(request, exc.message)
    if akte.bg is not None and request.method == "GET":
        services.record_bg_read(
            actor=request.user, akte=akte, purpose="Bedarfsgemeinschaft angesehen"
        )
    title = f"Bedarfsgemeinschaft {akte.bg.bg_nummer}" if akte.bg else "Bedarfsgemeinschaft"
    return render(
        request,
        "records/bedarfsgemeinschaft.html",
        {
            "akte": akte,
            "mitglieder": list(selectors.bg_mitglieder(akte.bg_id, akte.tenant_id)),
            "can_edit": can_edit,
            "add_form": add_form,
            "attach_form": attach_form,
            "page_title": title,
            "breadcrumbs": akte_trail(akte, ("Bedarfsgemeinschaft", None)),
        },
        status=400 if add_form.errors or remove_form.errors or attach_form.errors else 200,
    )


@require_perm(Perm.RECORDS_EDIT)
def vorgang_create(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    akte = _akte_or_404(request, akte_id)
    if not access.can_edit(request.access, request.user.id, akte):
        raise Http404
    form = VorgangCreateForm(request.POST or None)
    typen = list(selectors.vorgang_typen(akte.tenant_id, akte.aktenplaneinheit.module)) or list(
        selectors.vorgang_typen(akte.tenant_id)
    )
    form.set_choices("typ", [(str(t.pk), t.label) for t in typen])
    if request.method == "POST" and form.is_valid():
        typ = next(t for t in typen if str(t.pk) == form.cleaned_data["typ"])
        try:
            vorgang = services.create_vorgang(
                actor=request.user, akte=akte, typ=typ, title=form.cleaned_data["title"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Vorgang „{vorgang.title}“ wurde angelegt.")
            return redirect("records:vorgang_detail", vorgang_id=vorgang.pk)
    return _form_page(
        request,
        form,
        "Vorgang anlegen",
        "Vorgang anlegen",
        akte_trail(akte, ("Vorgang anlegen", None)),
    )


@require_perm(Perm.RECORDS_VIEW)
def vorgang_detail(request: TenantRequest, vorgang_id: uuid.UUID) -> HttpResponse:
    vorgang = selectors.vorgang(selectors.Viewer.of(request), vorgang_id)
    if vorgang is None:
        raise Http404
    akte = vorgang.akte
    can_edit = access.can_edit(request.access, request.user.id, akte)
    status_form = VorgangStatusForm(
        initial={
            "status": vorgang.status,
            "ergebnis": vorgang.ergebnis,
            "bescheid_am": vorgang.bescheid_am,
        }
    )
    frist_form = FristForm(initial={"base_date": timezone.localdate()})
    frist_form.set_choices(
        "regel", [(str(r.pk), r.label) for r in selectors.frist_regeln(akte.tenant_id)]
    )
    if request.method == "POST" and can_edit:
        action = request.POST.get("action")
        if action == "status":
            status_form = VorgangStatusForm(request.POST)
            if status_form.is_valid():
                try:
                    services.change_vorgang_status(
                        actor=request.user,
                        vorgang=vorgang,
                        status=status_form.cleaned_data["status"],
                        note=status_form.cleaned_data["note"],
                        ergebnis=status_form.cleaned_data["ergebnis"],
                        bescheid_am=status_form.cleaned_data["bescheid_am"],
                    )
                except RecordsError as exc:
                    status_form.add_error(None, exc.message)
                else:
                    messages.success(request, "Status geändert.")
                    return redirect("records:vorgang_detail", vorgang_id=vorgang.pk)
        elif action == "frist":
            frist_form = FristForm(request.POST)
            frist_form.set_choices(
                "regel", [(str(r.pk), r.label) for r in selectors.frist_regeln(akte.tenant_id)]
            )
            if frist_form.is_valid():
                regel = selectors.frist_regeln(akte.tenant_id).get(
                    pk=frist_form.cleaned_data["regel"]
                )
                frist = services.add_frist(
                    actor=request.user,
                    vorgang=vorgang,
                    base_date=frist_form.cleaned_data["base_date"],
                    regel=regel,
                )
                messages.success(
                    request, f"Frist „{frist.label}“ endet am {frist.due_date:%d.%m.%Y}."
                )
                return redirect("records:vorgang_detail", vorgang_id=vorgang.pk)
    elif request.method == "POST":
        raise Http404
    services.record_vorgang_read(actor=request.user, vorgang=vorgang, purpose="Vorgang geöffnet")
    context = {
        "vorgang": vorgang,
        "akte": akte,
        "schritte": list(
            VorgangSchritt.objects.for_tenant(akte.tenant_id)
            .filter(vorgang=vorgang)
            .select_related("actor")
            .order_by("at")
        ),
        "fristen": list(
            Frist.objects.for_tenant(akte.tenant_id).filter(vorgang=vorgang).order_by("due_date")
        ),
        "dokumente": list(selectors.akte_documents(akte).filter(vorgang=vorgang)),
        "can_edit": can_edit,
        "links": erweiterungen.links(request.access, request.user.id, akte, vorgang),
        "wv_form": WiedervorlageForm(),
        "status_form": status_form,
        "frist_form": frist_form,
        "page_title": vorgang.title,
        "breadcrumbs": akte_trail(akte, (vorgang.title, None)),
    }
    has_errors = bool(status_form.errors or frist_form.errors)
    return render(
        request, "records/vorgang_detail.html", context, status=400 if has_errors else 200
    )


@require_perm(Perm.RECORDS_EDIT)
@require_POST
def wiedervorlage_create(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    akte = _akte_or_404(request, akte_id)
    form = WiedervorlageForm(request.POST)
    viewer = selectors.Viewer.of(request)
    # Set from a Vorgang or a Dokument of this Akte: both must be visible and belong to it.
    vorgang = _of_akte(selectors.vorgang(viewer, _uuid(request.POST.get("vorgang"))), akte)
    dokument = _of_akte(selectors.dokument(viewer, _uuid(request.POST.get("dokument"))), akte)
    back = _local_next(request)
    if form.is_valid():
        try:
            services.set_wiedervorlage(
                actor=request.user,
                akte=akte,
                vorgang=vorgang,
                dokument=dokument,
                due_date=form.cleaned_data["due_date"],
                assignee=request.user,
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"Wiedervorlage am {form.cleaned_data['due_date']:%d.%m.%Y} gesetzt."
            )
    else:
        messages.error(request, "Bitte geben Sie ein gültiges Datum für die Wiedervorlage an.")
    return redirect(back or reverse("records:akte_detail", args=[akte.pk]))


def _local_next(request: TenantRequest) -> str:
    """The ``next`` address the form posted, if it is a path on this site (never another
    host, also not by ``//host`` or ``/\\host``); otherwise ''."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return ""


def _uuid(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return uuid.UUID(int=0)


def _of_akte(obj: Any, akte: Akte) -> Any:
    return obj if obj is not None and obj.akte_id == akte.pk else None


WEEKDAYS = [
    ("Mo", "Montag"),
    ("Di", "Dienstag"),
    ("Mi", "Mittwoch"),
    ("Do", "Donnerstag"),
    ("Fr", "Freitag"),
    ("Sa", "Samstag"),
    ("So", "Sonntag"),
]


QUEUE_KINDS = {
    "alle": "Fristen und Wiedervorlagen",
    "fristen": "Nur Fristen",
    "wiedervorlagen": "Nur Wiedervorlagen",
}


@require_perm(Perm.RECORDS_VIEW)
def wiedervorlagen(request: TenantRequest) -> HttpResponse:
    """Meine Arbeit: Fristen (the overdue, today's, the next two weeks) and Wiedervorlagen;
    with ?team=1 those of all Akten of my teams, with ?art=fristen|wiedervorlagen only one."""
    team = request.GET.get("team") == "1"
    kind = request.GET.get("art", "alle")
    kind = kind if kind in QUEUE_KINDS else "alle"
    viewer = selectors.Viewer.of(request)
    today = timezone.localdate()
    items = queues.team_wiedervorlagen(viewer) if team else queues.my_wiedervorlagen(viewer)
    fristen = queues.team_fristen(viewer) if team else queues.my_fristen(viewer)
    title = "Wiedervorlagen des Teams" if team else "Meine Wiedervorlagen"
    return render(
        request,
        "records/wiedervorlagen.html",
        {
            "buckets": queues.bucket(items, today) if kind != "fristen" else None,
            "frist_buckets": (
                queues.bucket(queues.within_horizon(fristen, today), today)
                if kind != "wiedervorlagen"
                else None
            ),
            "horizon": queues.FRIST_HORIZON_DAYS,
            "team": team,
            "kind": kind,
            "kinds": QUEUE_KINDS,
            "page_title": title,
            "breadcrumbs": trail((title, None)),
        },
    )


@require_perm(Perm.RECORDS_EDIT)
@require_POST
def frist_done(request: TenantRequest, frist_id: uuid.UUID) -> HttpResponse:
    frist = queues.team_fristen(selectors.Viewer.of(request)).filter(pk=frist_id).first()
    if frist is None or not access.can_edit(request.access, request.user.id, frist.vorgang.akte):
        raise Http404
    services.complete_frist(actor=request.user, frist=frist)
    messages.success(request, f"Frist „{frist.label}“ erledigt.")
    return redirect(_local_next(request) or "records:wiedervorlagen")


@require_perm(Perm.RECORDS_EDIT)
@require_POST
def wiedervorlage_done(request: TenantRequest, wiedervorlage_id: uuid.UUID) -> HttpResponse:
    wv = (
        queues.team_wiedervorlagen(selectors.Viewer.of(request)).filter(pk=wiedervorlage_id).first()
    )
    if wv is None:
        raise Http404
    services.complete_wiedervorlage(actor=request.user, wiedervorlage=wv)
    messages.success(request, "Wiedervorlage erledigt.")
    return redirect(_local_next(request) or "records:wiedervorlagen")


@require_perm(Perm.RECORDS_VIEW)
def fristen_kalender(request: TenantRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("jahr", today.year))
        month = int(request.GET.get("monat", today.month))
        first = date(year, month, 1)
    except ValueError:
        year, month, first = today.year, today.month, today.replace(day=1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    fristen = list(queues.open_fristen(selectors.Viewer.of(request), first, last))
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return render(
        request,
        "records/fristen_kalender.html",
        {
            "weeks": queues.month_grid(year, month, fristen),
            "fristen": fristen,
            "month_label": formats.month_label(date(year, month, 1)),
            "weekdays": WEEKDAYS,
            "previous": previous,
            "following": following,
            "today": today,
            "page_title": "Fristenkalender",
            "breadcrumbs": trail(("Fristenkalender", None)),
        },
    )
