"""The demo print provider's API token for ``make run``'s simulator: made on first use
and kept in the installation's var folder (readable by its owner only), never in the
repository; a token revoked or expired is replaced."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from koffer.accounts import services as accounts
from koffer.accounts.models import Membership, User
from koffer.accounts.roles import Perm
from koffer.demo.briefe import ADMIN, KREIS, PROVIDER

FILE_NAME = "demo-druckdienst.token"


def token() -> str:
    path = Path(settings.VAR_DIR) / FILE_NAME
    if path.exists():
        secret = path.read_text(encoding="utf-8").strip()
        try:
            if accounts.authenticate_token(secret) is not None:
                return secret
        except accounts.TokenRefused:
            pass
    user = User.objects.get(username=PROVIDER)
    membership = (
        Membership.objects.unscoped()
        .select_related("tenant", "unit")
        .get(user=user, tenant__slug=KREIS)
    )
    _, secret = accounts.create_api_token(
        actor=User.objects.get(username=ADMIN),
        tenant=membership.tenant,
        user=user,
        name="Druckdienst-Simulator (Demo)",
        permissions=[Perm.OUTBOX_FETCH],
        units=[membership.unit],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret)
    return secret
