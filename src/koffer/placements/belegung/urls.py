"""Pages of holds and occupancy: requests, Belegungen, absences, withdrawing a request."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.placements.belegung import views

urlpatterns: list[URLPattern] = [
    path("plaetze/anfragen/", views.anfragen, name="anfragen"),
    path(
        "plaetze/anfragen/<uuid:reservierung_id>/zusagen/",
        views.anfrage_zusagen,
        name="anfrage_zusagen",
    ),
    path(
        "plaetze/anfragen/<uuid:reservierung_id>/absagen/",
        views.anfrage_absagen,
        name="anfrage_absagen",
    ),
    path(
        "plaetze/belegungen/<uuid:belegung_id>/beenden/",
        views.belegung_beenden,
        name="belegung_beenden",
    ),
    path(
        "plaetze/belegungen/<uuid:belegung_id>/abwesenheiten/",
        views.belegung_abwesenheiten,
        name="belegung_abwesenheiten",
    ),
    path(
        "plaetze/abwesenheiten/<uuid:abwesenheit_id>/",
        views.abwesenheit_bearbeiten,
        name="abwesenheit_bearbeiten",
    ),
    path(
        "plaetze/abwesenheiten/<uuid:abwesenheit_id>/loeschen/",
        views.abwesenheit_loeschen,
        name="abwesenheit_loeschen",
    ),
    path(
        "plaetze/reservierungen/<uuid:reservierung_id>/zurueckziehen/",
        views.anfrage_zurueckziehen,
        name="anfrage_zurueckziehen",
    ),
]
