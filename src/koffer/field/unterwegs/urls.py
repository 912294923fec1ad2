"""Pages of the Koffer on the laptop (Koffer mode only)."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.field.unterwegs import views

urlpatterns: list[URLPattern] = [
    path("unterwegs/", views.koffer, name="unterwegs"),
    path("unterwegs/koppeln/", views.koppeln, name="unterwegs_koppeln"),
    path("unterwegs/abholen/", views.abholen, name="unterwegs_abholen"),
    path("unterwegs/abgleichen/", views.abgleichen, name="unterwegs_abgleichen"),
    path("unterwegs/buero/", views.buero, name="unterwegs_buero"),
    path("unterwegs/auftrag/", views.fortschritt, name="unterwegs_fortschritt"),
    path("unterwegs/auftrag/wiederholen/", views.wiederholen, name="unterwegs_wiederholen"),
    path("unterwegs/einrichten/", views.einrichten, name="einrichten"),
    path("unterwegs/einrichten/stand/", views.einrichten_stand, name="einrichten_stand"),
]
