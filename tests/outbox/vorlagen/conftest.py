from __future__ import annotations

from typing import Any

import pytest

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.outbox.models import Vorlage
from koffer.outbox.vorlagen import services
from koffer.outbox.vorlagen.services import Einstellungen, Entwurf, Feld
from koffer.tenancy.models import Mandant

EINSTELLUNGEN = Einstellungen("Anhörung", "brief", "sgb2", "B", services.VierAugen.NIE)
ENTWURF = Entwurf(
    betreff="Anhörung nach § 24 SGB X",
    text="Sehr geehrte Damen und Herren,\n\nbis zum {{ eingabe.frist }} *bitte* melden.",
    anlagen=["Merkblatt"],
    felder=[Feld("frist", "Frist", "datum")],
)


@pytest.fixture
def admin_access(tenant: Mandant, admin_user: User) -> Access:
    return Access.for_user(admin_user.pk, tenant.pk)


@pytest.fixture
def as_admin(tenant: Mandant, admin_user: User, admin_access: Access) -> dict[str, Any]:
    """The acting administrator, as every service takes it."""
    return {"actor": admin_user, "access": admin_access, "tenant": tenant}


@pytest.fixture
def vorlage(tenant: Mandant, admin_user: User, admin_access: Access) -> Vorlage:
    return services.create_vorlage(
        actor=admin_user,
        access=admin_access,
        tenant=tenant,
        code="anhoerung",
        einstellungen=EINSTELLUNGEN,
    )
