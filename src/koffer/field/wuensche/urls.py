from django.urls import path

from koffer.field.wuensche import views

urlpatterns = [
    path("koffer/hausbesuche/anfragen/", views.liste, name="besuchswuensche"),
    path("koffer/hausbesuche/anfragen/<uuid:wunsch_id>/", views.anfrage, name="besuchswunsch"),
    path(
        "koffer/hausbesuche/anfragen/<uuid:wunsch_id>/ablehnen/",
        views.ablehnen,
        name="besuchswunsch_ablehnen",
    ),
]
