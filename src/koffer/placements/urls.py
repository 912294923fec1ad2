"""URLs of the Platzbörse: the live feed, then each feature's list."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.placements import views
from koffer.placements.abrechnung import urls as abrechnung_urls
from koffer.placements.angebote import urls as angebote_urls
from koffer.placements.belegung import urls as belegung_urls
from koffer.placements.gesuche import urls as gesuche_urls
from koffer.placements.meldungen import urls as meldungen_urls
from koffer.placements.statistik import urls as statistik_urls

app_name = "placements"

urlpatterns: list[URLPattern] = [
    *angebote_urls.urlpatterns,
    *belegung_urls.urlpatterns,
    *gesuche_urls.urlpatterns,
    path("plaetze/live/", views.live, name="live"),
    *meldungen_urls.urlpatterns,
    *statistik_urls.urlpatterns,
    *abrechnung_urls.urlpatterns,
]
