"""Remember each session for revocation and record sign-ins in the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from koffer.accounts import services
from koffer.accounts.models import Membership, User
from koffer.audit import services as audit


@receiver(user_logged_in)
def on_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if request.session.session_key is None:
        request.session.save()
    services.remember_session(
        user=user,
        session_key=request.session.session_key or "",
        client_ip=request.META.get("REMOTE_ADDR", ""),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    tenant_ids = (
        Membership.objects.unscoped()
        .filter(user=user)
        .values_list("tenant_id", flat=True)
        .distinct()
    )
    for tenant_id in tenant_ids:
        audit.record(
            actor=user, tenant_id=tenant_id, action="accounts.login", obj=user, subject=user
        )
