"""URLs of the Formulare: each feature's pages."""

from __future__ import annotations

from django.urls import URLPattern

from koffer.forms.katalog import urls as katalog_urls

app_name = "forms"

urlpatterns: list[URLPattern] = [
    *katalog_urls.urlpatterns,
]
