"""API of the Koffer: the routers of its features, mounted once in ``koffer/urls.py``."""

from __future__ import annotations

from ninja import Router

from koffer.field.abgleich import api as abgleich_api
from koffer.field.besuche import api as besuche_api
from koffer.field.experte import api as experte_api
from koffer.field.geraete import api as geraete_api
from koffer.field.paket import api as paket_api

router = Router()
router.add_router("", geraete_api.router)
router.add_router("", besuche_api.router)
router.add_router("", paket_api.router)
router.add_router("", abgleich_api.router)
router.add_router("", experte_api.router)
router.add_router("", experte_api.geraet_router)
