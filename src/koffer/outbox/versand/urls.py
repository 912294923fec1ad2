"""Pages of the dispatch."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.outbox.versand import views

urlpatterns: list[URLPattern] = [
    path("postausgang/versand/", views.versand, name="versand"),
    path("postausgang/versand/einstellungen/", views.regeln, name="versand_regeln"),
    path("postausgang/versand/stapel/<uuid:versandstapel_id>/", views.stapel, name="versandstapel"),
    path(
        "postausgang/versand/ablage/<uuid:ablagefehler_id>/erneut/",
        views.ablage_erneut,
        name="ablage_erneut",
    ),
    path("postausgang/briefe/<uuid:brief_id>/versand/", views.brief, name="brief_versand"),
]
