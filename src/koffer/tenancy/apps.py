from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.apps import AppConfig


def _mandanten() -> Iterable[uuid.UUID]:
    from koffer.tenancy.models import Mandant

    return Mandant.objects.values_list("id", flat=True)


class TenancyConfig(AppConfig):
    name = "koffer.tenancy"
    label = "tenancy"
    verbose_name = "Mandanten"

    def ready(self) -> None:
        from koffer.audit.verification import register_tenant_source
        from koffer.tenancy import lookups  # noqa: F401 - registers path__under

        # Every Mandant's creation is audited: audit_verify checks each one's chain,
        # also when its events were deleted together with the chain's head.
        register_tenant_source(_mandanten)
