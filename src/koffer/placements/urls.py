"""URLs of the Platzbörse; each part of the module keeps its own list."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from koffer.placements import views_abrechnung, views_meldungen, views_statistik
from koffer.placements.views import urlpatterns as page_patterns

app_name = "placements"

urlpatterns: list[URLPattern | URLResolver] = [
    *page_patterns,
    *views_meldungen.urlpatterns,
    *views_statistik.urlpatterns,
    *views_abrechnung.urlpatterns,
]
