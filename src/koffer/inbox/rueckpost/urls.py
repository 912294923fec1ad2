"""Pages of returned mail (Rückläufer)."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.inbox.rueckpost import views

urlpatterns: list[URLPattern] = [
    path(
        "posteingang/zuordnung/<uuid:eingang_id>/ruecklaeufer/",
        views.markieren,
        name="rueckpost_markieren",
    ),
]
