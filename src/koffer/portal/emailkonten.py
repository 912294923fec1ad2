"""E-mail accounts, the fallback where a Mandant allows them (PortalEinstellung)."""

from __future__ import annotations

from koffer.portal.models import PortalEinstellung
from koffer.tenancy.models import Mandant


def erlaubt(mandant: Mandant) -> bool:
    """Whether the Mandant's portal offers e-mail accounts (default: no)."""
    return PortalEinstellung.objects.for_tenant(mandant).filter(email_konten_erlaubt=True).exists()
