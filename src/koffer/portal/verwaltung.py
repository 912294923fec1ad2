"""The office's portal pages beside „Portal: Vertretungen“: „Portal: Bürgerkonten“ (link
an account to a person, unlink with a reason) and „Portal: Einstellungen“ (the Mandant's
portal settings). Staff pages, not under /portal/; thin: ``konten`` and
``einstellungen`` write and ask ``portal.access``."""

from __future__ import annotations

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import urlencode

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.portal import access, einstellungen, konten
from koffer.portal.models import PortalEinstellung
from koffer.shell.breadcrumbs import trail

KONTEN = "Portal: Bürgerkonten"
EINSTELLUNGEN = "Portal: Einstellungen"


@requires(lambda grants, tenant: access.verknuepft_konten(grants))
def konten_verwaltung(request: TenantRequest) -> HttpResponse:
    """Search accounts (``q``; ``aktenzeichen`` adds that Akte's persons as
    candidates), link one to a person or unlink it with a reason."""
    suche = (request.POST.get("q") or request.GET.get("q", ""))[:200]
    aktenzeichen = (request.POST.get("aktenzeichen") or request.GET.get("aktenzeichen", ""))[:80]
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("aktion") == "trennen":
                konten.trennen(
                    actor=request.user,
                    access=request.access,
                    konto_id=request.POST.get("konto", ""),
                    grund=request.POST.get("grund", ""),
                )
                messages.success(request, "Die Zuordnung ist aufgehoben.")
            else:
                konten.verknuepfen(
                    actor=request.user,
                    access=request.access,
                    konto_id=request.POST.get("konto", ""),
                    person_id=request.POST.get("person", ""),
                )
                messages.success(request, "Das Bürgerkonto ist der Person zugeordnet.")
        except DomainError as exc:
            error = exc.message
        else:
            query = urlencode(
                {k: v for k, v in (("q", suche), ("aktenzeichen", aktenzeichen)) if v}
            )
            return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))
    return render(
        request,
        "portal/konten_verwaltung.html",
        {
            "page_title": KONTEN,
            "breadcrumbs": trail((KONTEN, None)),
            "suche": suche,
            "aktenzeichen": aktenzeichen,
            "treffer": konten.suchen(
                actor=request.user, access=request.access, suche=suche, aktenzeichen=aktenzeichen
            ),
            "error": error,
        },
        status=400 if error else 200,
    )


def _einstellungen_form(
    data: object = None, instance: PortalEinstellung | None = None
) -> django_forms.ModelForm:
    """Every setting of ``PortalEinstellung`` (a field added later shows up here)."""
    klasse = django_forms.modelform_factory(PortalEinstellung, fields=einstellungen.felder())
    form = klasse(data, instance=instance)  # type: ignore[arg-type]
    for field in form.fields.values():
        if not isinstance(field.widget, django_forms.CheckboxInput):
            field.widget.attrs.setdefault("class", "kern-form-input__input")
    return form


@requires(lambda grants, tenant: access.verwaltet_portal(grants))
def einstellungen_verwaltung(request: TenantRequest) -> HttpResponse:
    """„Portal: Einstellungen“: the Mandant's portal settings."""
    aktuell = einstellungen.einstellung(request.tenant.pk)
    # An empty POST (every box unticked) is still a POST.
    form = _einstellungen_form(request.POST if request.method == "POST" else None, instance=aktuell)
    if request.method == "POST" and form.is_valid():
        try:
            einstellungen.speichern(
                actor=request.user, access=request.access, werte=dict(form.cleaned_data)
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Die Portal-Einstellungen sind gespeichert.")
            return HttpResponseRedirect(request.path)
    return render(
        request,
        "portal/einstellungen_verwaltung.html",
        {
            "page_title": EINSTELLUNGEN,
            "breadcrumbs": trail((EINSTELLUNGEN, None)),
            "form": form,
            "portal_url": f"/portal/{request.tenant.slug}/",
        },
        status=400 if form.errors else 200,
    )
