from django.urls import path

from koffer.portal.nachrichten import views

urlpatterns = [
    # The caseworker's side (a staff page: not under /portal/).
    path(
        "verwaltung/portal/vorgaenge/<uuid:vorgang_id>/nachrichten/",
        views.verwaltung,
        name="nachrichten_verwaltung",
    ),
    path(
        "portal/<slug:mandant>/nachrichten/<uuid:vorgang_id>/",
        views.verlauf,
        name="nachrichten",
    ),
    path(
        "portal/<slug:mandant>/nachrichten/<uuid:vorgang_id>/anlagen/<uuid:anlage_id>/",
        views.anlage,
        name="nachricht_anlage",
    ),
]
