"""Pages of triage (die Zuordnung)."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.inbox.klaerung import views

urlpatterns: list[URLPattern] = [
    path("posteingang/zuordnung/", views.liste, name="klaerung"),
    path("posteingang/zuordnung/naechstes/", views.naechstes, name="klaerung_naechstes"),
    path("posteingang/zuordnung/<uuid:eingang_id>/", views.dokument, name="klaerung_dokument"),
    path(
        "posteingang/zuordnung/<uuid:eingang_id>/seite/<int:page>.png",
        views.seite,
        name="klaerung_seite",
    ),
    path(
        "posteingang/zuordnung/<uuid:eingang_id>/ablegen/",
        views.ablegen,
        name="klaerung_ablegen",
    ),
    path(
        "posteingang/zuordnung/<uuid:eingang_id>/nicht-zuordenbar/",
        views.nicht_zuordenbar,
        name="klaerung_nicht_zuordenbar",
    ),
    path(
        "posteingang/zuordnung/<uuid:eingang_id>/weitergeben/",
        views.weitergeben,
        name="klaerung_weitergeben",
    ),
    path(
        "posteingang/zuordnung/<uuid:eingang_id>/teilen/",
        views.teilen,
        name="klaerung_teilen",
    ),
    path(
        "posteingang/zuordnung/<uuid:eingang_id>/zusammenfuehren/",
        views.zusammenfuehren,
        name="klaerung_zusammenfuehren",
    ),
    path(
        "posteingang/zuordnung/<uuid:eingang_id>/drehen/",
        views.drehen,
        name="klaerung_drehen",
    ),
]
