"""API of the Postausgang: the routers of its features, mounted once in ``koffer/urls.py``."""

from __future__ import annotations

from ninja import Router

from koffer.outbox.versand import api as versand_api

router = Router()
router.add_router("", versand_api.router)
