from django.urls import path

from koffer.field.besuche import views

urlpatterns = [
    path("akten/<uuid:akte_id>/hausbesuch/", views.planen, name="besuch_planen"),
    path("koffer/hausbesuche/", views.meine, name="hausbesuche"),
    path("koffer/hausbesuche/tourenplan.pdf", views.tourenplan, name="tourenplan"),
    path("koffer/hausbesuche/<uuid:besuch_id>/erledigt/", views.erledigt, name="besuch_erledigt"),
    path("koffer/hausbesuche/<uuid:besuch_id>/absagen/", views.absagen, name="besuch_absagen"),
    path("koffer/hausbesuche/<uuid:besuch_id>/verlegen/", views.verlegen, name="besuch_verlegen"),
]
