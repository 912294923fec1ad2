"""Pages of the Koffer's audit segment."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.field.segment import views

urlpatterns: list[URLPattern] = [
    path("koffer/quarantaene/", views.quarantaene, name="quarantaene"),
    path(
        "koffer/geraete/<uuid:geraet_id>/segment-neu/",
        views.segment_neu,
        name="segment_neu",
    ),
]
