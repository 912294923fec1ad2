"""Pages of billing: the provider's month, invoices, and the youth office's inbox."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.placements.abrechnung import views

urlpatterns: list[URLPattern] = [
    path("plaetze/abrechnung/", views.abrechnung, name="abrechnung"),
    path("plaetze/abrechnung/berechnen/", views.berechnen, name="abrechnung_berechnen"),
    path(
        "plaetze/abrechnung/monatsabrechnung/",
        views.monatsabrechnung,
        name="abrechnung_monatsabrechnung",
    ),
    path("plaetze/abrechnung/versenden/", views.alle_versenden, name="abrechnung_alle_versenden"),
    path("plaetze/abrechnung/rechnungen/", views.rechnungen, name="abrechnung_rechnungen"),
    path(
        "plaetze/abrechnung/nachweise/<uuid:nachweis_id>/",
        views.nachweis,
        name="abrechnung_nachweis",
    ),
    path(
        "plaetze/abrechnung/nachweise/<uuid:nachweis_id>/bestaetigen/",
        views.nachweis_bestaetigen,
        name="abrechnung_nachweis_bestaetigen",
    ),
    path(
        "plaetze/abrechnung/nachweise/<uuid:nachweis_id>/rechnung/",
        views.nachweis_rechnung,
        name="abrechnung_nachweis_rechnung",
    ),
    path(
        "plaetze/abrechnung/nachweise/<uuid:nachweis_id>/korrigieren/",
        views.nachweis_korrigieren,
        name="abrechnung_nachweis_korrigieren",
    ),
    path("plaetze/rechnungen/<uuid:rechnung_id>/", views.rechnung, name="abrechnung_rechnung"),
    path(
        "plaetze/rechnungen/<uuid:rechnung_id>/xml/",
        views.rechnung_xml,
        name="abrechnung_rechnung_xml",
    ),
    path(
        "plaetze/rechnungen/<uuid:rechnung_id>/pdf/",
        views.rechnung_pdf,
        name="abrechnung_rechnung_pdf",
    ),
    path(
        "plaetze/rechnungen/<uuid:rechnung_id>/versenden/",
        views.rechnung_versenden,
        name="abrechnung_rechnung_versenden",
    ),
    path(
        "plaetze/rechnungen/<uuid:rechnung_id>/neu-erstellen/",
        views.rechnung_neu,
        name="abrechnung_rechnung_neu",
    ),
    path(
        "plaetze/rechnungen/<uuid:rechnung_id>/freigeben/",
        views.rechnung_freigeben,
        name="abrechnung_rechnung_freigeben",
    ),
    path(
        "plaetze/rechnungen/<uuid:rechnung_id>/ablehnen/",
        views.rechnung_ablehnen,
        name="abrechnung_rechnung_ablehnen",
    ),
    path("plaetze/rechnungseingang/", views.eingang, name="abrechnung_eingang"),
    path("plaetze/rechnungseingang/anschrift/", views.anschrift, name="abrechnung_anschrift"),
]
