"""API of the Koffer: the routers of its features, mounted once in ``koffer/urls.py``."""

from __future__ import annotations

from ninja import Router

router = Router()
