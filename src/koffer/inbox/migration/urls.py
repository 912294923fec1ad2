"""Pages of the migration from the previous specialist software."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.inbox.migration import views

urlpatterns: list[URLPattern] = [
    path("posteingang/migration/", views.migration_page, name="migration"),
    path("posteingang/migration/format/", views.format_page, name="migration_format"),
    path("posteingang/migration/<uuid:lauf_id>/", views.lauf_page, name="migration_lauf"),
    path("posteingang/migration/<uuid:lauf_id>/start/", views.lauf_start, name="migration_start"),
    path(
        "posteingang/migration/<uuid:lauf_id>/fortschritt/",
        views.lauf_fortschritt,
        name="migration_fortschritt",
    ),
    path(
        "posteingang/migration/<uuid:lauf_id>/abgelehnt.csv",
        views.ablehnungen_csv,
        name="migration_ablehnungen",
    ),
]
