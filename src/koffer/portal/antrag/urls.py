from django.urls import path

from koffer.portal.antrag import verwaltung, views

urlpatterns = [
    # The administration's page (a staff page: not under /portal/).
    path(
        "verwaltung/portal/online-antraege/",
        verwaltung.angebote_verwaltung,
        name="angebote_verwaltung",
    ),
    path(
        "portal/<slug:mandant>/antraege/neu/",
        views.beginnen,
        name="antrag_beginnen",
    ),
    path(
        "portal/<slug:mandant>/antraege/<uuid:antrag_id>/pruefen/",
        views.pruefen,
        name="antrag_pruefen",
    ),
    path(
        "portal/<slug:mandant>/antraege/<uuid:antrag_id>/eingereicht/",
        views.eingereicht,
        name="antrag_eingereicht",
    ),
    path(
        "portal/<slug:mandant>/antraege/<uuid:antrag_id>/eingangsbestaetigung.pdf",
        views.quittung,
        name="antrag_quittung",
    ),
    path(
        "portal/<slug:mandant>/antraege/<uuid:antrag_id>/schritt/<slug:schritt_id>/",
        views.schritt,
        name="antrag_schritt",
    ),
]
