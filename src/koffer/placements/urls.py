"""URLs of the Platzbörse: the exchange's own pages, then each feature's list."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.placements import views
from koffer.placements.abrechnung import urls as abrechnung_urls
from koffer.placements.meldungen import urls as meldungen_urls
from koffer.placements.statistik import urls as statistik_urls

app_name = "placements"

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
    path("plaetze/angebote/<uuid:angebot_id>/entgelt/", views.entgelt_neu, name="entgelt_neu"),
    path(
        "plaetze/angebote/<uuid:angebot_id>/entgelt/wechsel/",
        views.entgelt_wechsel,
        name="entgelt_wechsel",
    ),
    path("plaetze/angebote/<uuid:angebot_id>/plaetze/", views.plaetze_neu, name="plaetze_neu"),
    path("plaetze/angebote/<uuid:angebot_id>/frei/", views.plaetze_frei, name="plaetze_frei"),
    path("plaetze/platz/<uuid:platz_id>/frei/", views.platz_frei, name="platz_frei"),
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
    path("plaetze/gesuche/", views.gesuche, name="gesuche"),
    path("plaetze/gesuche/neu/", views.gesuch_neu, name="gesuch_neu"),
    path("plaetze/gesuche/<uuid:gesuch_id>/", views.gesuch, name="gesuch"),
    path("plaetze/gesuche/<uuid:gesuch_id>/treffer/", views.gesuch_treffer, name="gesuch_treffer"),
    path(
        "plaetze/gesuche/<uuid:gesuch_id>/kostenzusage/",
        views.gesuch_kostenzusage,
        name="gesuch_kostenzusage",
    ),
    path(
        "plaetze/gesuche/<uuid:gesuch_id>/anfragen/", views.gesuch_anfragen, name="gesuch_anfragen"
    ),
    path(
        "plaetze/reservierungen/<uuid:reservierung_id>/zurueckziehen/",
        views.anfrage_zurueckziehen,
        name="anfrage_zurueckziehen",
    ),
    path("plaetze/live/", views.live, name="live"),
    *meldungen_urls.urlpatterns,
    *statistik_urls.urlpatterns,
    *abrechnung_urls.urlpatterns,
]
