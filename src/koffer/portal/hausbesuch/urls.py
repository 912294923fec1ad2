from django.urls import path

from koffer.portal.hausbesuch import views

urlpatterns = [
    # The administration's page (a staff page: not under /portal/).
    path(
        "verwaltung/portal/hausbesuche/",
        views.angebot_verwaltung,
        name="hausbesuche_verwaltung",
    ),
    path("portal/<slug:mandant>/hausbesuch/", views.anfragen, name="hausbesuch_anfragen"),
    path(
        "portal/<slug:mandant>/hausbesuch/<uuid:wunsch_id>/zurueckziehen/",
        views.zurueckziehen,
        name="hausbesuch_zurueckziehen",
    ),
]
