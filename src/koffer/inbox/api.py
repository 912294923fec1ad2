"""API of the Posteingang: the routers of its features, mounted once in ``koffer/urls.py``."""

from __future__ import annotations

from ninja import Router

from koffer.inbox.lieferung import api as lieferung_api

router = Router()
router.add_router("", lieferung_api.router)
