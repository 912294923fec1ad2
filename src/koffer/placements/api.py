"""API of the Platzbörse for providers' systems (availability) and youth offices'
specialist software (search, needs, holds). Here the installation-wide catalogue; each
feature's endpoints come from its own ``api`` module and are gathered in ``router``.
Errors are problem+json; "vergeben" is 409, a busy lock 503 with ``code: busy`` ("bitte
erneut versuchen")."""

from __future__ import annotations

import uuid

from ninja import Router, Schema

from koffer.accounts.http import TenantRequest
from koffer.api.problems import Problem
from koffer.errors import Forbidden
from koffer.placements import access
from koffer.placements.abrechnung import api as abrechnung_api
from koffer.placements.angebote import api as angebote_api
from koffer.placements.belegung import api as belegung_api
from koffer.placements.gesuche import api as gesuche_api
from koffer.placements.meldungen import api as meldungen_api
from koffer.placements.models import Fachbereich
from koffer.placements.statistik import api as statistik_api

exchange = Router(tags=["Platzbörse"])


class FormOut(Schema):
    id: uuid.UUID
    code: str
    label: str
    rechtsgrundlage: str


class MerkmalOut(Schema):
    id: uuid.UUID
    code: str
    label: str
    group: str


class FachbereichOut(Schema):
    id: uuid.UUID
    code: str
    label: str
    place_label: str
    reservation_hours: int
    formen: list[FormOut]
    merkmale: list[MerkmalOut]


@exchange.get("/platzboerse/fachbereiche", response={200: list[FachbereichOut], 403: Problem})
def fachbereiche(request: TenantRequest) -> list[FachbereichOut]:
    """The configured fields with their forms of care and criteria."""
    if not access.sees_catalogue(request.access):
        raise Forbidden("forbidden", "Dafür fehlt Ihnen die Berechtigung.")
    out = []
    for fb in Fachbereich.objects.prefetch_related("formen", "merkmale"):
        out.append(
            FachbereichOut(
                id=fb.pk,
                code=fb.code,
                label=fb.label,
                place_label=fb.place_label,
                reservation_hours=fb.reservation_hours,
                formen=[
                    FormOut(id=f.pk, code=f.code, label=f.label, rechtsgrundlage=f.rechtsgrundlage)
                    for f in fb.formen.all()
                ],
                merkmale=[
                    MerkmalOut(id=m.pk, code=m.code, label=m.label, group=m.group)
                    for m in fb.merkmale.all()
                ],
            )
        )
    return out


# One router per app for koffer.urls: the catalogue, then each feature's endpoints.
# The gathering router has no tags, so each feature keeps its own tag in the schema.
router = Router()
router.add_router("", exchange)
router.add_router("", gesuche_api.router)
router.add_router("", belegung_api.router)
router.add_router("", angebote_api.router)
router.add_router("", meldungen_api.router)
router.add_router("", statistik_api.router)
router.add_router("", abrechnung_api.router)
