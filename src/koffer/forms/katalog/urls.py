"""Pages of the catalogue (the administration's)."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.forms.katalog import views

urlpatterns: list[URLPattern] = [
    path("formulare/katalog/", views.katalog, name="katalog"),
    path("formulare/katalog/export.json", views.katalog_export, name="katalog_export"),
    path("formulare/katalog/schema.json", views.schema_datei, name="schema"),
    path("formulare/katalog/import/", views.importieren, name="import"),
    path("formulare/katalog/<slug:schluessel>/", views.formular, name="formular"),
    path(
        "formulare/katalog/<slug:schluessel>/export.json",
        views.formular_export,
        name="formular_export",
    ),
    path("formulare/katalog/<slug:schluessel>/status/", views.status, name="status"),
    path(
        "formulare/katalog/<slug:schluessel>/versionen/<int:nummer>/",
        views.vorschau,
        name="vorschau_anfang",
    ),
    path(
        "formulare/katalog/<slug:schluessel>/versionen/<int:nummer>/schritte/<str:schritt>/",
        views.vorschau,
        name="vorschau",
    ),
    path(
        "formulare/katalog/<slug:schluessel>/versionen/<int:nummer>/leer.pdf",
        views.leer_pdf,
        name="leer_pdf",
    ),
]
