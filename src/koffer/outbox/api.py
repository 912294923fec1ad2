"""API of the Postausgang: the routers of its features, mounted once in ``koffer/urls.py``."""

from __future__ import annotations

from ninja import Router

from koffer.outbox.briefe import api as briefe_api
from koffer.outbox.lokaldruck import api as lokaldruck_api
from koffer.outbox.versand import api as versand_api
from koffer.outbox.vorlagen import api as vorlagen_api

router = Router()
router.add_router("", vorlagen_api.router)
router.add_router("", briefe_api.router)
router.add_router("", versand_api.router)
router.add_router("", lokaldruck_api.router)
