"""Provider pages: facilities, offers, day rates, places."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.placements.angebote import views

urlpatterns: list[URLPattern] = [
    path("plaetze/einrichtungen/", views.einrichtungen, name="einrichtungen"),
    path("plaetze/einrichtungen/neu/", views.einrichtung_neu, name="einrichtung_neu"),
    path("plaetze/einrichtungen/<uuid:einrichtung_id>/", views.einrichtung, name="einrichtung"),
    path(
        "plaetze/einrichtungen/<uuid:einrichtung_id>/bearbeiten/",
        views.einrichtung_bearbeiten,
        name="einrichtung_bearbeiten",
    ),
    path(
        "plaetze/einrichtungen/<uuid:einrichtung_id>/angebot/",
        views.angebot_neu,
        name="angebot_neu",
    ),
    path(
        "plaetze/angebote/<uuid:angebot_id>/rundung/", views.angebot_rundung, name="angebot_rundung"
    ),
    path("plaetze/angebote/<uuid:angebot_id>/entgelt/", views.entgelt_neu, name="entgelt_neu"),
    path(
        "plaetze/angebote/<uuid:angebot_id>/entgelt/wechsel/",
        views.entgelt_wechsel,
        name="entgelt_wechsel",
    ),
    path("plaetze/angebote/<uuid:angebot_id>/plaetze/", views.plaetze_neu, name="plaetze_neu"),
    path("plaetze/angebote/<uuid:angebot_id>/frei/", views.plaetze_frei, name="plaetze_frei"),
    path("plaetze/platz/<uuid:platz_id>/frei/", views.platz_frei, name="platz_frei"),
]
