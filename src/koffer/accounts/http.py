"""The request as koffer's middleware leaves it: with the active Mandant and its access."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from koffer.accounts.access import Access
    from koffer.accounts.models import User
    from koffer.tenancy.models import Mandant


class KofferRequest(HttpRequest):
    user: User
    tenant: Mandant | None
    tenants: list[Mandant]
    access: Access


class TenantRequest(KofferRequest):
    """Behind ``require_perm``: a Mandant is always chosen."""

    tenant: Mandant
