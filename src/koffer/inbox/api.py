"""API of the Posteingang: the routers of its features, mounted once in ``koffer/urls.py``."""

from __future__ import annotations

from ninja import Router

from koffer.inbox.fitconnect import api as fitconnect_api
from koffer.inbox.klaerung import api as klaerung_api
from koffer.inbox.lieferung import api as lieferung_api
from koffer.inbox.migration import api as migration_api
from koffer.inbox.originale import api as originale_api
from koffer.inbox.rueckscan import api as rueckscan_api
from koffer.inbox.verarbeitung import api as verarbeitung_api

router = Router()
router.add_router("", lieferung_api.router)
router.add_router("", verarbeitung_api.router)
router.add_router("", klaerung_api.router)
router.add_router("", rueckscan_api.router)
router.add_router("", migration_api.router)
router.add_router("", originale_api.router)
router.add_router("", fitconnect_api.router)
