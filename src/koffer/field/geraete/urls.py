"""Pages of the device registry."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.field.geraete import views

urlpatterns: list[URLPattern] = [
    path("koffer/", views.mein_koffer, name="mein_koffer"),
    path("koffer/akten/", views.mitnehmen, name="mitnehmen"),
    path("koffer/geraete/", views.geraete, name="geraete"),
    path(
        "koffer/geraete/<uuid:geraet_id>/kopplungscode/",
        views.kopplungscode,
        name="kopplungscode",
    ),
    path("koffer/geraete/<uuid:geraet_id>/sperren/", views.sperren, name="sperren"),
    path(
        "koffer/ausleihen/<uuid:ausleihe_id>/zurueckgeben/",
        views.zurueckgeben,
        name="zurueckgeben",
    ),
]
