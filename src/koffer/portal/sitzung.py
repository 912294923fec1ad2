"""The citizen's session: separate keys in Django's session, never a staff user.

Signing in flushes the whole session (a new key against fixation, and any staff sign-in in
the same browser ends), so a session holds either a staff user or a citizen, never both.
Staff pages read ``request.user`` and so never see a citizen; portal pages read only the
keys below and so never accept a staff session. A citizen session belongs to one
Mandant's portal: another Mandant's portal treats it as not signed in.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone

from koffer.portal.models import Buergerkonto
from koffer.tenancy.models import Mandant

SESSION_KONTO = "portal_konto"
SESSION_TENANT = "portal_tenant"
SESSION_NIVEAU = "portal_niveau"


def anmelden(request: HttpRequest, konto: Buergerkonto, niveau: str) -> None:
    """Sign ``konto`` in at ``niveau`` (the level of this sign-in, which may be below the
    account's highest). Records the time on the account; the caller audits."""
    request.session.flush()
    request.session[SESSION_KONTO] = str(konto.pk)
    request.session[SESSION_TENANT] = str(konto.tenant_id)
    request.session[SESSION_NIVEAU] = niveau
    konto.letzte_anmeldung = timezone.now()
    Buergerkonto.objects.for_tenant(konto.tenant_id).filter(pk=konto.pk).update(
        letzte_anmeldung=konto.letzte_anmeldung
    )
    request.buerger = konto  # type: ignore[attr-defined]


def abmelden(request: HttpRequest) -> None:
    """End the citizen's session (all of it)."""
    request.session.flush()
    request.buerger = None  # type: ignore[attr-defined]


def niveau(request: HttpRequest) -> str:
    """The level of assurance of the current sign-in, "" when none."""
    return str(request.session.get(SESSION_NIVEAU, ""))


def konto(request: HttpRequest) -> Buergerkonto | None:
    """The signed-in citizen's account, or None (no citizen session, or a gone account)."""
    cached = getattr(request, "buerger", None)
    if cached is not None:
        return cached if isinstance(cached, Buergerkonto) else None
    raw_konto = request.session.get(SESSION_KONTO)
    raw_tenant = request.session.get(SESSION_TENANT)
    if not raw_konto or not raw_tenant:
        return None
    try:
        tenant_id = uuid.UUID(str(raw_tenant))
        konto_id = uuid.UUID(str(raw_konto))
    except ValueError:
        return None
    found = (
        Buergerkonto.objects.for_tenant(tenant_id)
        .select_related("tenant")
        .filter(pk=konto_id)
        .first()
    )
    request.buerger = found  # type: ignore[attr-defined]
    return found


def mandant_des_portals(slug: str) -> Mandant:
    """The active Mandant whose portal ``slug`` names; 404 otherwise."""
    found = Mandant.objects.filter(slug=slug, is_active=True).first()
    if found is None:
        raise Http404("Dieses Portal gibt es nicht.")
    return found


def anmelde_url(mandant: Mandant, next_url: str = "") -> str:
    url = reverse("portal:anmelden", kwargs={"mandant": mandant.slug})
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def buerger_erforderlich(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Portal pages for signed-in citizens. The URL names the Mandant (``<mandant>``);
    without a citizen session of that Mandant, the page sends to its sign-in page.
    Sets ``request.buerger`` and ``request.portal_mandant``."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, mandant: str, **kwargs: Any) -> HttpResponseBase:
        portal_mandant = mandant_des_portals(mandant)
        request.portal_mandant = portal_mandant  # type: ignore[attr-defined]
        found = konto(request)
        if found is None or found.tenant_id != portal_mandant.pk:
            request.buerger = None  # type: ignore[attr-defined]
            return HttpResponseRedirect(anmelde_url(portal_mandant, request.get_full_path()))
        return view(request, *args, mandant=mandant, **kwargs)

    return wrapped
