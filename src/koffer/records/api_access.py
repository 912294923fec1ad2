"""Who is asking the E-Akte API, and whether they may: shared by its routers."""

from __future__ import annotations

from koffer.accounts.http import TenantRequest
from koffer.api.problems import ApiProblem
from koffer.records import selectors


def viewer(request: TenantRequest) -> selectors.Viewer:
    """The caller as the selectors see them (their grants and user id)."""
    return selectors.Viewer(access=request.access, user_id=request.user.id)


def require(request: TenantRequest, perm: str) -> None:
    """403 problem ``forbidden`` unless the caller holds ``perm``."""
    if not request.access.can(perm):
        raise ApiProblem(
            403, "forbidden", "Keine Berechtigung", "Dafür fehlt Ihnen die Berechtigung."
        )
