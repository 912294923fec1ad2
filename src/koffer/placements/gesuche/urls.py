"""Youth-office pages: needs, matches, Kostenzusage, sending requests."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.placements.gesuche import views

urlpatterns: list[URLPattern] = [
    path("plaetze/gesuche/", views.gesuche, name="gesuche"),
    path("plaetze/gesuche/neu/", views.gesuch_neu, name="gesuch_neu"),
    path("plaetze/gesuche/<uuid:gesuch_id>/", views.gesuch, name="gesuch"),
    path("plaetze/gesuche/<uuid:gesuch_id>/treffer/", views.gesuch_treffer, name="gesuch_treffer"),
    path(
        "plaetze/gesuche/<uuid:gesuch_id>/kostenzusage/",
        views.gesuch_kostenzusage,
        name="gesuch_kostenzusage",
    ),
    path(
        "plaetze/gesuche/<uuid:gesuch_id>/anfragen/", views.gesuch_anfragen, name="gesuch_anfragen"
    ),
]
