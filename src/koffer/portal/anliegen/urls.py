from django.urls import path

from koffer.portal.anliegen import verwaltung, views

urlpatterns = [
    # The caseworker's page (a staff page: not under /portal/).
    path(
        "verwaltung/portal/vorgaenge/<uuid:vorgang_id>/unterlagen-anfordern/",
        verwaltung.nachforderung_verwaltung,
        name="nachforderung_verwaltung",
    ),
    path("portal/<slug:mandant>/antraege/", views.meine_antraege, name="antraege"),
    path("portal/<slug:mandant>/antraege/<uuid:antrag_id>/", views.antrag, name="anliegen"),
    path(
        "portal/<slug:mandant>/antraege/<uuid:antrag_id>/anlagen/<str:blob>/",
        views.anlage,
        name="antrag_anlage",
    ),
    path(
        "portal/<slug:mandant>/unterlagen/<uuid:nachforderung_id>/",
        views.nachforderung,
        name="nachforderung",
    ),
    path(
        "portal/<slug:mandant>/unterlagen/dateien/<uuid:datei_id>/",
        views.nachforderung_datei,
        name="nachforderung_datei",
    ),
]
