"""Pages of letters: writing one from a template (with a live preview of its first page),
releasing it (alone or as the second person), handing it over, its timeline; the queue
of letters waiting for a second person; an Akte's letters. Thin: selectors read,
services write, access from ``outbox.access`` and ``records.access``."""

from __future__ import annotations

import base64
import uuid
from copy import copy

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.outbox import access
from koffer.outbox.briefe import selectors, services, setzen
from koffer.outbox.briefe.forms import AushaendigenForm, BriefForm, NeuerBriefForm, ZurueckForm
from koffer.outbox.errors import Invalid
from koffer.outbox.lokaldruck import views as lokaldruck
from koffer.outbox.models import Brief, Vorlage
from koffer.outbox.postfach import services as postfach
from koffer.outbox.versand import selectors as versand
from koffer.records import selectors as records
from koffer.records.models import Akte, Vorgang
from koffer.shell.breadcrumbs import Crumb, trail

PREVIEW_SCALE = 1.1  # 79 dpi: an A4 page 655 px wide, readable beside the form


def _akte(request: TenantRequest, akte_id: uuid.UUID) -> Akte:
    akte = records.akte(records.Viewer.of(request), akte_id)
    if akte is None:
        raise Http404
    return akte


def _brief(request: TenantRequest, brief_id: uuid.UUID) -> Brief:
    brief = selectors.brief(request.access, request.user.pk, brief_id)
    if brief is None:
        raise Http404
    return brief


def _akte_crumbs(akte: Akte, title: str) -> list[Crumb]:
    return trail(
        ("Meine Akten", reverse("records:akten")),
        (akte.aktenzeichen, reverse("records:akte_detail", args=[akte.pk])),
        (title, None),
    )


@require_http_methods(["GET", "POST"])
@requires(access.writes)
def neu(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    akte = _akte(request, akte_id)
    if not access.can_write_in(request.access, request.user.pk, akte):
        raise Http404
    vorlagen = list(selectors.vorlagen_zum_schreiben(akte.tenant_id))
    vorgaenge = list(records.akte_vorgaenge(akte).filter(status="open"))
    personen = [s.person for s in records.akte_subjekte(akte)]
    form = NeuerBriefForm(
        request.POST or None,
        initial={"vorgang": request.GET.get("vorgang", ""), "kanal": Brief.Kanal.HYBRID},
    )
    form.set_choices(
        [(str(v.pk), v.titel) for v in vorlagen],
        [(str(v.pk), v.title) for v in vorgaenge],
        [(str(p.pk), str(p)) for p in personen],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        vorlage = next(v for v in vorlagen if str(v.pk) == data["vorlage"])
        vorgang = next((v for v in vorgaenge if str(v.pk) == data["vorgang"]), None)
        person = next((p for p in personen if str(p.pk) == data["empfaenger"]), None)
        if (
            vorgang is None
            and vorlage.aktuelle_version
            and "vorgang." in vorlage.aktuelle_version.text_satz
        ):
            form.add_error(
                "vorgang", "Diese Vorlage nennt den Vorgang; bitte einen Vorgang wählen."
            )
            return _neu_page(request, akte, form, vorlagen)
        try:
            brief = services.entwerfen(
                actor=request.user,
                access=request.access,
                akte=akte,
                vorlage=vorlage,
                vorgang=vorgang,
                empfaenger=person,
                kanal=data["kanal"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("outbox:brief", brief_id=brief.pk)
    return _neu_page(request, akte, form, vorlagen)


def _neu_page(
    request: TenantRequest, akte: Akte, form: NeuerBriefForm, vorlagen: list[Vorlage]
) -> HttpResponse:
    return render(
        request,
        "outbox/brief_neu.html",
        {
            "akte": akte,
            "form": form,
            "keine_vorlagen": not vorlagen,
            "page_title": "Brief schreiben",
            "breadcrumbs": _akte_crumbs(akte, "Brief schreiben"),
        },
    )


def _preview(brief: Brief) -> tuple[str, list[setzen.Befund], int]:
    done = setzen.setze(brief, briefdatum=timezone.localdate(), mit_text=False)
    if not done.pdf:
        return "", list(done.befunde), 0
    png = setzen.vorschau_png(done.pdf, scale=PREVIEW_SCALE)
    return base64.b64encode(png).decode(), list(done.befunde), done.seiten


def _draft_form(brief: Brief, data: QueryDict | None = None) -> BriefForm:
    return BriefForm(data, felder=brief.version.felder, initial=BriefForm.initial_of(brief))


@require_http_methods(["GET", "POST"])
@requires(access.writes)
def brief(request: TenantRequest, brief_id: uuid.UUID) -> HttpResponse:
    brief = _brief(request, brief_id)
    akte = brief.akte
    can_write = access.can_write_in(request.access, request.user.pk, akte)
    form = _draft_form(brief, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        action = request.POST.get("aktion", "")
        try:
            done = _act(request, brief, action, form)
        except DomainError as exc:
            messages.error(request, exc.message)
            done = None
        if done is not None:
            messages.success(request, done)
            return redirect("outbox:brief", brief_id=brief.pk)
        brief = _brief(request, brief_id)
    else:
        services.record_read(actor=request.user, brief=brief, purpose="Brief geöffnet")
    preview, befunde, seiten = "", list[setzen.Befund](), 0
    if brief.is_draft:
        preview, befunde, seiten = _preview(brief)
    context = {
        "brief": brief,
        "akte": akte,
        "form": form,
        "can_write": can_write and brief.status == Brief.Status.ENTWURF,
        "can_release": brief.status == Brief.Status.ZUR_FREIGABE
        and access.can_release(
            request.access, request.user.pk, akte, author_id=brief.created_by_id
        ),
        "vier_augen": services.needs_second_person(brief),
        "preview": preview,
        "befunde": befunde,
        "seiten": seiten,
        "verlauf": list(selectors.verlauf(brief)),
        "ruecklaeufer": versand.ruecklaeufer(request.access, request.user.pk, brief),
        "zurueck_form": ZurueckForm(),
        "aushaendigen_form": AushaendigenForm(
            initial={"am": timezone.localdate()}, lokal=brief.kanal == Brief.Kanal.LOKAL
        ),
        "can_hand_over": can_write and _may_hand_over(brief),
        "can_write_released": can_write,
        "druck": lokaldruck.abschnitt(request, brief, can_write=can_write),
        "postfach_abruf_bis": postfach.abruf_bis(brief),
        "postfach_abgelaufen": brief.status == Brief.Status.BEREITGESTELLT
        and not postfach.abrufbar(brief),
        "page_title": brief.betreff,
        "breadcrumbs": _akte_crumbs(akte, f"Brief: {brief.betreff}"),
    }
    return render(request, "outbox/brief.html", context)


def _may_hand_over(brief: Brief) -> bool:
    """Handed over in person once it is released; posted after it is printed (locally:
    also a correction of the posting date)."""
    if brief.kanal == Brief.Kanal.PERSOENLICH:
        return brief.status == Brief.Status.FREIGEGEBEN
    lokal = (Brief.Status.FREIGEGEBEN, Brief.Status.GEDRUCKT, Brief.Status.VERSENDET)
    return brief.kanal == Brief.Kanal.LOKAL and brief.status in lokal


def _act(request: TenantRequest, brief: Brief, action: str, form: BriefForm) -> str | None:
    """Carry out one button of the letter page; the message to show, or None when the form
    has errors."""
    actor, grants = request.user, request.access
    if action in ("speichern", "freigeben"):
        if not form.is_valid():
            return None
        services.aendern(
            actor=actor,
            access=grants,
            brief=brief,
            eingaben=form.eingaben(),
            anschrift=form.anschrift(),
            kanal=form.cleaned_data["kanal"],
            einschreiben=form.cleaned_data.get("einschreiben") or "",
        )
        if action == "speichern":
            return "Entwurf gespeichert."
        released = services.freigeben(actor=actor, access=grants, brief=brief)
        if released.status == Brief.Status.ZUR_FREIGABE:
            return "Der Brief liegt einer zweiten Person zur Freigabe vor."
        return "Der Brief ist freigegeben und in der Akte abgelegt."
    if action == "zweitfreigabe":
        services.zweitfreigabe(actor=actor, access=grants, brief=brief)
        return "Der Brief ist freigegeben und in der Akte abgelegt."
    if action == "zurueckgeben":
        reason = ZurueckForm(request.POST)
        if not reason.is_valid():
            raise Invalid("reason_missing", "Bitte sagen Sie, was am Brief zu ändern ist.")
        services.zurueckgeben(
            actor=actor, access=grants, brief=brief, grund=reason.cleaned_data["grund"]
        )
        return "Der Brief ist an die Verfasserin oder den Verfasser zurückgegeben."
    if action == "verwerfen":
        services.verwerfen(actor=actor, access=grants, brief=brief)
        return "Der Entwurf ist verworfen."
    if action == "auf_papier":
        postfach.auf_papier(actor=actor, access=grants, brief=brief)
        return "Die Bereitstellung im Postfach ist beendet; der Brief geht per Hybridpost."
    if action == "aushaendigen":
        handed = AushaendigenForm(request.POST)
        if not handed.is_valid():
            raise Invalid("date_missing", "Bitte das Datum angeben.")
        done = services.aushaendigen(
            actor=actor, access=grants, brief=brief, am=handed.cleaned_data["am"]
        )
        if done.status == Brief.Status.VERSENDET and done.bekanntgabe_am:
            return f"Vermerkt. Bekanntgabe am {done.bekanntgabe_am:%d.%m.%Y}."
        return "Vermerkt."
    raise Http404


@require_POST
@requires(access.writes)
def vorschau(request: TenantRequest, brief_id: uuid.UUID) -> HttpResponse:
    """The live preview (htmx): the draft with the form's values as they are typed, not
    saved; page 1 as an image and the check's findings."""
    brief = _brief(request, brief_id)
    if not brief.is_draft:
        raise Http404
    form = _draft_form(brief, request.POST)
    draft = copy(brief)
    if form.is_valid():
        draft.eingaben = {**brief.eingaben, **form.eingaben()}
        draft.anschrift = services.clean_address(form.anschrift())
        draft.einschreiben = form.cleaned_data.get("einschreiben") or ""
    preview, befunde, seiten = _preview(draft)
    return render(
        request,
        "outbox/_brief_vorschau.html",
        {"brief": draft, "preview": preview, "befunde": befunde, "seiten": seiten},
    )


@require_GET
@requires(access.writes)
def freigaben(request: TenantRequest) -> HttpResponse:
    rows = list(selectors.freigaben(request.access, request.user.pk)[:200])
    return render(
        request,
        "outbox/freigaben.html",
        {
            "briefe": rows,
            "page_title": "Briefe zur Freigabe",
            "breadcrumbs": trail(("Briefe zur Freigabe", None)),
        },
    )


def _vorgang_of(akte: Akte, raw: str) -> Vorgang | None:
    try:
        key = uuid.UUID(raw)
    except ValueError:
        return None
    return records.akte_vorgaenge(akte).filter(pk=key).first()


@require_GET
@requires(access.writes)
def akte_briefe(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    akte = _akte(request, akte_id)
    vorgang = _vorgang_of(akte, request.GET.get("vorgang", ""))
    rows = list(selectors.akte_briefe(akte, vorgang)[:500])
    return render(
        request,
        "outbox/akte_briefe.html",
        {
            "akte": akte,
            "vorgang": vorgang,
            "briefe": rows,
            "can_write": access.can_write_in(request.access, request.user.pk, akte),
            "page_title": f"Briefe der Akte {akte.aktenzeichen}",
            "breadcrumbs": _akte_crumbs(akte, "Briefe"),
        },
    )
