"""Pages of the § 47 reports."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.placements.meldungen import views

urlpatterns: list[URLPattern] = [
    path("plaetze/meldungen/", views.meldungen_list, name="meldungen_list"),
    path("plaetze/meldungen/neu/", views.meldungen_neu, name="meldungen_neu"),
    path("plaetze/meldungen/posteingang/", views.meldungen_inbox, name="meldungen_inbox"),
    path("plaetze/meldungen/<uuid:meldung_id>/", views.meldungen_detail, name="meldungen_detail"),
    path(
        "plaetze/meldungen/<uuid:meldung_id>/eingangsbestaetigung/",
        views.meldungen_quittung,
        name="meldungen_quittung",
    ),
    path(
        "plaetze/meldungen/<uuid:meldung_id>/bestaetigen/",
        views.meldungen_bestaetigen,
        name="meldungen_bestaetigen",
    ),
    path(
        "plaetze/meldungen/<uuid:meldung_id>/rueckfrage/",
        views.meldungen_rueckfrage,
        name="meldungen_rueckfrage",
    ),
    path(
        "plaetze/meldungen/<uuid:meldung_id>/abschliessen/",
        views.meldungen_abschliessen,
        name="meldungen_abschliessen",
    ),
]
