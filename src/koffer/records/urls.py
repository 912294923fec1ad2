from django.urls import path

from koffer.records import views
from koffer.records.auszug.urls import urlpatterns as extract_patterns
from koffer.records.dokumente.urls import urlpatterns as document_patterns
from koffer.records.konfiguration.urls import urlpatterns as configuration_patterns
from koffer.records.suche.urls import urlpatterns as search_patterns

app_name = "records"
urlpatterns = [
    path("akten/", views.akten_list, name="akten"),
    path("akten/neu/", views.akte_create, name="akte_create"),
    path("akten/<uuid:akte_id>/", views.akte_detail, name="akte_detail"),
    path("akten/<uuid:akte_id>/aendern/", views.akte_change, name="akte_change"),
    path(
        "akten/<uuid:akte_id>/personen/<uuid:person_id>/aendern/",
        views.person_change,
        name="person_change",
    ),
    path(
        "akten/<uuid:akte_id>/bedarfsgemeinschaft/",
        views.bedarfsgemeinschaft,
        name="bedarfsgemeinschaft",
    ),
    path("akten/<uuid:akte_id>/vorgaenge/neu/", views.vorgang_create, name="vorgang_create"),
    path(
        "akten/<uuid:akte_id>/wiedervorlage/",
        views.wiedervorlage_create,
        name="wiedervorlage_create",
    ),
    path("vorgaenge/<uuid:vorgang_id>/", views.vorgang_detail, name="vorgang_detail"),
    path("wiedervorlagen/", views.wiedervorlagen, name="wiedervorlagen"),
    path(
        "wiedervorlagen/<uuid:wiedervorlage_id>/erledigt/",
        views.wiedervorlage_done,
        name="wiedervorlage_done",
    ),
    path("fristen/", views.fristen_kalender, name="fristen"),
    path("fristen/<uuid:frist_id>/erledigt/", views.frist_done, name="frist_done"),
    *configuration_patterns,
    *document_patterns,
    *extract_patterns,
    *search_patterns,
]
