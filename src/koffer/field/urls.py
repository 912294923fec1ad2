"""URLs of the Koffer: each feature's pages."""

from __future__ import annotations

from django.urls import URLPattern

from koffer.field.besuche import urls as besuche_urls

app_name = "field"

urlpatterns: list[URLPattern] = [
    *besuche_urls.urlpatterns,
]
