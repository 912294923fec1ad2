"""Pages of the statistics: the page and its two exports."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.placements.statistik import views

urlpatterns: list[URLPattern] = [
    path("plaetze/statistik/", views.statistik, name="statistik"),
    path("plaetze/statistik/export.csv", views.statistik_csv, name="statistik_csv"),
    path("plaetze/statistik/export.xlsx", views.statistik_xlsx, name="statistik_xlsx"),
]
