"""Pages of the sync back."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.field.abgleich import views

urlpatterns: list[URLPattern] = [
    path("koffer/konflikte/", views.konflikte, name="konflikte"),
    path(
        "koffer/konflikte/<uuid:konflikt_id>/entscheiden/",
        views.entscheiden,
        name="konflikt_entscheiden",
    ),
]
