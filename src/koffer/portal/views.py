"""Portal pages: thin; checks in saml.py and services.py, sessions in sitzung.py."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.portal import access, drossel, emailkonten, forms, saml, services, sitzung
from koffer.portal import vertretungen as vertretungen_
from koffer.portal.antrag import selectors as antraege
from koffer.portal.errors import AnmeldungAbgelehnt, PortalError, ZuVieleVersuche
from koffer.portal.hausbesuch import selectors as hausbesuche
from koffer.portal.models import Vertrauensniveau
from koffer.shell.breadcrumbs import trail
from koffer.tenancy.models import Mandant


def seite(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a portal page with the Mandant and the citizen the frame shows."""
    values = {
        "portal_mandant": getattr(request, "portal_mandant", None),
        "buerger": getattr(request, "buerger", None),
        **(context or {}),
    }
    return render(request, template, values, status=status)


def _weiter(request: HttpRequest, mandant: Mandant, wanted: str) -> str:
    """``wanted`` if it is a page of this Mandant's portal, else its start page."""
    start = reverse("portal:start", kwargs={"mandant": mandant.slug})
    if (
        wanted
        and url_has_allowed_host_and_scheme(wanted, allowed_hosts=None)
        and wanted.startswith(start)
    ):
        return wanted
    return start


@sitzung.buerger_erforderlich
def start(request: HttpRequest, mandant: str) -> HttpResponse:
    konto = request.buerger  # type: ignore[attr-defined]
    personen = access.personen_des_kontos(konto)
    # For whom an application is begun: the citizen, or a person it represents.
    fuer_wen = [("", "mich selbst")] + [
        (str(p.pk), f"{p.given_names} {p.family_name}") for p in personen if p.pk != konto.person_id
    ]
    return seite(
        request,
        "portal/start.html",
        {
            "page_title": "Mein Bereich",
            "personen": personen,
            "fuer_wen": fuer_wen if len(fuer_wen) > 1 else [],
            "angebote": list(antraege.angebote(konto.tenant_id)),
            "antraege": list(antraege.antraege(konto)),
            "hausbesuche": hausbesuche.anfragen_lesen(
                konto, "Mein Bereich im Portal", nur_wenn_welche=True
            ),
            "hausbesuche_angeboten": hausbesuche.angebot(konto.tenant_id) is not None,
        },
    )


@require_GET
def anmelden(request: HttpRequest, mandant: str) -> HttpResponse:
    portal_mandant = sitzung.mandant_des_portals(mandant)
    request.portal_mandant = portal_mandant  # type: ignore[attr-defined]
    return seite(
        request,
        "portal/anmelden.html",
        {
            "page_title": "Anmelden",
            "next": _weiter(request, portal_mandant, request.GET.get("next", "")),
            "bundid": saml.verfuegbar(),
            "demo_idp": settings.DEMO_MODE and not settings.KOFFER_PORTAL_SAML_IDP_METADATA,
            "email": emailkonten.erlaubt(portal_mandant),
        },
    )


@require_POST
def abmelden(request: HttpRequest, mandant: str) -> HttpResponse:
    portal_mandant = sitzung.mandant_des_portals(mandant)
    konto = sitzung.konto(request)
    if konto is not None and konto.tenant_id == portal_mandant.pk:
        services.abmelden(konto=konto)
    sitzung.abmelden(request)
    return HttpResponseRedirect(
        reverse("portal:anmelden", kwargs={"mandant": portal_mandant.slug}) + "?abgemeldet=1"
    )


# --- BundID (SAML) -----------------------------------------------------------------------


@require_POST
def bundid_starten(request: HttpRequest, mandant: str) -> HttpResponse:
    """Send the browser to the IdP with an AuthnRequest for the chosen level."""
    saml.basis_aus(request)
    portal_mandant = sitzung.mandant_des_portals(mandant)
    request.portal_mandant = portal_mandant  # type: ignore[attr-defined]
    niveau = request.POST.get("niveau", Vertrauensniveau.SUBSTANTIELL)
    if niveau not in (Vertrauensniveau.SUBSTANTIELL, Vertrauensniveau.HOCH):
        niveau = Vertrauensniveau.SUBSTANTIELL
    if not saml.verfuegbar():
        return _fehler(request, "Die Anmeldung mit BundID ist hier nicht eingerichtet.", 404)
    anfrage, location = saml.anfrage(
        tenant_id=portal_mandant.pk,
        niveau=niveau,
        weiter=_weiter(request, portal_mandant, request.POST.get("next", "")),
    )
    response = HttpResponseRedirect(location)
    # SameSite=None so that the IdP's cross-site POST brings it back; browsers accept that
    # only with Secure, so without HTTPS it stays Lax (the demo IdP is same-site anyway).
    response.set_signed_cookie(
        saml.COOKIE,
        signing.dumps(anfrage.wert(), compress=True),
        salt=saml.COOKIE_SALT,
        max_age=settings.KOFFER_PORTAL_SAML_REQUEST_SECONDS,
        path=reverse("portal:saml_acs"),
        secure=settings.HTTPS,
        httponly=True,
        samesite="None" if settings.HTTPS else "Lax",
    )
    return response


def _anfrage_aus_cookie(request: HttpRequest) -> saml.Anfrage | None:
    try:
        raw = request.get_signed_cookie(
            saml.COOKIE,
            salt=saml.COOKIE_SALT,
            max_age=settings.KOFFER_PORTAL_SAML_REQUEST_SECONDS,
        )
        return saml.Anfrage.aus(signing.loads(raw or ""))
    except (KeyError, ValueError, signing.BadSignature):
        return None


def _fehler(
    request: HttpRequest, message: str, status: int = 400, retry_after: int | None = None
) -> HttpResponse:
    response = seite(
        request,
        "portal/anmeldung_fehler.html",
        {"page_title": "Anmeldung nicht möglich", "error": message},
        status=status,
    )
    return mit_retry_after(response, retry_after)


def mit_retry_after(response: HttpResponse, retry_after: int | None) -> HttpResponse:
    """A rate limit's answer (429) tells the browser when to try again."""
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def client_ip(request: HttpRequest) -> str:
    """The direct peer, as the staff sign-in's lock-out counts it."""
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


def _mandant_aus(request: HttpRequest, anfrage: saml.Anfrage | None) -> Mandant | None:
    """The Mandant of the sign-in: the cookie's, else the RelayState's (for the audit)."""
    if anfrage is not None:
        return Mandant.objects.filter(pk=anfrage.tenant_id, is_active=True).first()
    try:
        relay = uuid.UUID(request.POST.get("RelayState", ""))
    except ValueError:
        return None
    return Mandant.objects.filter(pk=relay, is_active=True).first()


@csrf_exempt  # the IdP posts cross-site; the signed cookie and the SAML checks guard it
@require_POST
def saml_acs(request: HttpRequest) -> HttpResponse:
    """The assertion consumer service: check the IdP's answer, sign the citizen in."""
    saml.basis_aus(request)
    anfrage = _anfrage_aus_cookie(request)
    portal_mandant = _mandant_aus(request, anfrage)
    request.portal_mandant = portal_mandant  # type: ignore[attr-defined]
    try:
        if anfrage is None or portal_mandant is None:
            raise AnmeldungAbgelehnt("abgelaufen", saml.ABGELAUFEN)
        # Before the signature checks, the costly part a flood would aim at.
        drossel.zaehlen(tenant_id=portal_mandant.pk, grenzen=[("acs_client", client_ip(request))])
        identitaet = saml.pruefen(request.POST.get("SAMLResponse", ""), anfrage)
        konto = services.bundid_anmelden(tenant=portal_mandant, identitaet=identitaet)
    except (AnmeldungAbgelehnt, ZuVieleVersuche) as exc:
        if portal_mandant is not None:
            services.anmeldung_fehlgeschlagen(
                tenant=portal_mandant, art="bundid", code=exc.code, detail=str(exc.__cause__ or "")
            )
        response = _fehler(request, exc.message, exc.status, getattr(exc, "retry_after", None))
        response.delete_cookie(saml.COOKIE, path=reverse("portal:saml_acs"))
        return response
    sitzung.anmelden(request, konto, identitaet.niveau)
    response = HttpResponseRedirect(_weiter(request, portal_mandant, anfrage.weiter))
    response.delete_cookie(saml.COOKIE, path=reverse("portal:saml_acs"))
    return response


@require_GET
def saml_metadaten(request: HttpRequest) -> HttpResponse:
    saml.basis_aus(request)
    return HttpResponse(saml.metadaten(), content_type="application/samlmetadata+xml")


# --- Demo identity provider (demo mode only) ---------------------------------------------

_SAML_PARAMS = ("SAMLRequest", "RelayState", "SigAlg", "Signature")


def demo_idp(request: HttpRequest) -> HttpResponse:
    """Pick a fictional citizen and a level; the answer is a real signed SAML Response."""
    saml.basis_aus(request)
    if not settings.DEMO_MODE or settings.KOFFER_PORTAL_SAML_IDP_METADATA:
        raise Http404("Kein Demo-Identitätsanbieter.")
    from koffer.portal import demo_idp as idp

    source = request.POST if request.method == "POST" else request.GET
    query = {k: str(source[k]) for k in _SAML_PARAMS if k in source}
    try:
        authn_request = idp.anfrage_lesen(query)
    except Exception:  # any unreadable or unsigned request is refused alike
        return _fehler(request, "Die Anmeldeanfrage ist ungültig. Bitte beginnen Sie erneut.")
    niveau = idp.erbetenes_niveau(authn_request)
    if request.method == "POST":
        buerger = next((b for b in idp.BUERGER if b.key == request.POST.get("buerger")), None)
        gewaehlt = request.POST.get("niveau", niveau)
        if buerger is not None and gewaehlt in idp.NIVEAUS:
            fields = idp.antwort(authn_request, buerger, gewaehlt, query.get("RelayState", ""))
            return seite(
                request,
                "portal/demo_idp_weiter.html",
                {
                    "page_title": "Demo-Anmeldung",
                    "acs": reverse("portal:saml_acs"),
                    "fields": fields,
                    "buerger_gewaehlt": buerger,
                },
            )
    return seite(
        request,
        "portal/demo_idp.html",
        {
            "page_title": "Demo-Identitätsanbieter",
            "saml": query,
            "buerger_liste": idp.BUERGER,
            "niveau": niveau,
            "niveaus": [(n, Vertrauensniveau(n).label) for n in idp.NIVEAUS],
            "error": "Bitte wählen Sie eine Person." if request.method == "POST" else "",
        },
    )


# --- E-mail accounts -----------------------------------------------------------------------


def _email_mandant(request: HttpRequest, mandant: str) -> Mandant:
    portal_mandant = sitzung.mandant_des_portals(mandant)
    if not emailkonten.erlaubt(portal_mandant):
        raise Http404("Konten mit E-Mail-Adresse gibt es hier nicht.")
    request.portal_mandant = portal_mandant  # type: ignore[attr-defined]
    return portal_mandant


def email_registrieren(request: HttpRequest, mandant: str) -> HttpResponse:
    saml.basis_aus(request)
    portal_mandant = _email_mandant(request, mandant)
    form = forms.RegistrierenForm(request.POST or None)
    status, retry_after = 200, None
    if request.method == "POST" and form.is_valid():
        try:
            emailkonten.registrieren(
                mandant=portal_mandant,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                client_ip=client_ip(request),
            )
        except ZuVieleVersuche as exc:
            form.add_error(None, exc.message)
            status, retry_after = exc.status, exc.retry_after
        except PortalError as exc:
            form.add_error("password", exc.message)
        else:
            return seite(request, "portal/email_gesendet.html", {"page_title": "E-Mail gesendet"})
    response = seite(
        request,
        "portal/email_registrieren.html",
        {"page_title": "Registrieren", "form": form},
        status=400 if form.errors and status == 200 else status,
    )
    return mit_retry_after(response, retry_after)


def email_erneut_senden(request: HttpRequest, mandant: str) -> HttpResponse:
    """„Bestätigungslink erneut senden“: one answer for every address (no enumeration)."""
    saml.basis_aus(request)
    portal_mandant = _email_mandant(request, mandant)
    form = forms.ErneutSendenForm(request.POST or None)
    status, retry_after = 200, None
    if request.method == "POST" and form.is_valid():
        try:
            emailkonten.link_erneut_senden(
                mandant=portal_mandant,
                email=form.cleaned_data["email"],
                client_ip=client_ip(request),
            )
        except PortalError as exc:
            form.add_error(None, exc.message)
            status, retry_after = exc.status, getattr(exc, "retry_after", None)
        else:
            return seite(
                request,
                "portal/email_gesendet.html",
                {"page_title": "E-Mail gesendet", "erneut": True},
            )
    response = seite(
        request,
        "portal/email_erneut_senden.html",
        {"page_title": "Bestätigungslink erneut senden", "form": form},
        status=400 if form.errors and status == 200 else status,
    )
    return mit_retry_after(response, retry_after)


def email_bestaetigen(request: HttpRequest, mandant: str, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links), POST confirms."""
    portal_mandant = _email_mandant(request, mandant)
    if request.method == "POST":
        try:
            emailkonten.bestaetigen(mandant=portal_mandant, token=token)
        except PortalError as exc:
            return _fehler(request, exc.message)
        return HttpResponseRedirect(
            reverse("portal:email_anmelden", kwargs={"mandant": portal_mandant.slug})
            + "?bestaetigt=1"
        )
    return seite(request, "portal/email_bestaetigen.html", {"page_title": "E-Mail bestätigen"})


def email_anmelden(request: HttpRequest, mandant: str) -> HttpResponse:
    portal_mandant = _email_mandant(request, mandant)
    form = forms.EmailAnmeldenForm(request.POST or None)
    weiter = _weiter(
        request, portal_mandant, request.POST.get("next") or request.GET.get("next", "")
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            konto = emailkonten.anmelden(
                mandant=portal_mandant,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                client_ip=client_ip(request),
            )
        except PortalError as exc:
            form.add_error(None, exc.message)
            status = exc.status if exc.status != 422 else 400
        else:
            sitzung.anmelden(request, konto, Vertrauensniveau.NIEDRIG)
            return HttpResponseRedirect(weiter)
    return seite(
        request,
        "portal/email_anmelden.html",
        {"page_title": "Mit E-Mail-Adresse anmelden", "form": form, "next": weiter},
        status=status,
    )


# --- Vertretungen --------------------------------------------------------------------------


@sitzung.buerger_erforderlich
def vertretungen(request: HttpRequest, mandant: str) -> HttpResponse:
    """The citizen's Vertretungen and the form to ask for one."""
    konto = request.buerger  # type: ignore[attr-defined]
    form = forms.VertretungForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            vertretungen_.beantragen(actor=konto, **form.cleaned_data)
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, "Ihr Antrag auf Vertretung ist eingegangen. Die Verwaltung prüft ihn."
            )
            return HttpResponseRedirect(request.path)
    return seite(
        request,
        "portal/vertretungen.html",
        {
            "page_title": "Vertretungen",
            "form": form,
            "vertretungen": vertretungen_.des_kontos(konto),
            "heute": timezone.localdate(),
        },
        status=400 if form.errors else 200,
    )


VERTRETUNGEN_STAFF = "Portal: Vertretungen"


@requires(lambda access, tenant: vertretungen_.darf_bearbeiten(access))
def vertretungen_verwaltung(request: TenantRequest) -> HttpResponse:
    """„Portal: Vertretungen“: open requests, confirm with the person or refuse."""
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("entscheidung") == "ablehnen":
                vertretungen_.ablehnen(
                    actor=request.user,
                    access=request.access,
                    vertretung_id=request.POST.get("vertretung", ""),
                    grund=request.POST.get("grund", ""),
                )
                messages.success(request, "Die Vertretung ist abgelehnt.")
            else:
                vertretungen_.bestaetigen(
                    actor=request.user,
                    access=request.access,
                    vertretung_id=request.POST.get("vertretung", ""),
                    person_id=request.POST.get("person", ""),
                )
                messages.success(request, "Die Vertretung ist bestätigt.")
        except DomainError as exc:
            error = exc.message
        else:
            return HttpResponseRedirect(request.path)
    return render(
        request,
        "portal/vertretungen_verwaltung.html",
        {
            "page_title": VERTRETUNGEN_STAFF,
            "breadcrumbs": trail((VERTRETUNGEN_STAFF, None)),
            "offene": vertretungen_.offene(actor=request.user, access=request.access),
            "error": error,
        },
        status=400 if error else 200,
    )
