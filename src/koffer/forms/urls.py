"""URLs of the Formulare: each feature's pages."""

from __future__ import annotations

from django.urls import URLPattern

from koffer.forms.ausfuellen import urls as ausfuellen_urls
from koffer.forms.katalog import urls as katalog_urls

app_name = "forms"

urlpatterns: list[URLPattern] = [
    *ausfuellen_urls.urlpatterns,
    *katalog_urls.urlpatterns,
]
