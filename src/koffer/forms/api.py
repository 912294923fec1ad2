"""API of the Formulare: the routers of its features, mounted once in ``koffer/urls.py``.
Drafts first: their fixed paths (``/formulare/entwuerfe``) must match before the
catalogue's ``/formulare/{schluessel}``."""

from __future__ import annotations

from ninja import Router

from koffer.forms.ausfuellen import api as ausfuellen_api
from koffer.forms.katalog import api as katalog_api

router = Router()
router.add_router("", ausfuellen_api.router)
router.add_router("", katalog_api.router)
