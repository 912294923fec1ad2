"""URLs of the Postausgang: each feature's pages."""

from __future__ import annotations

from django.urls import URLPattern

from koffer.outbox.versand import urls as versand_urls

app_name = "outbox"

urlpatterns: list[URLPattern] = [
    *versand_urls.urlpatterns,
]
