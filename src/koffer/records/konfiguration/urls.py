from django.urls import path

from koffer.records.konfiguration import views

urlpatterns = [
    path("aktenplan/", views.aktenplan_page, name="aktenplan"),
    path("aktenplan/export.csv", views.aktenplan_export, name="aktenplan_export"),
    path("konfiguration/", views.konfiguration, name="konfiguration"),
    path("konfiguration/vorgangstypen/neu/", views.vorgang_typ_create, name="vorgang_typ_create"),
    path(
        "konfiguration/vorgangstypen/<uuid:typ_id>/",
        views.vorgang_typ_change,
        name="vorgang_typ_change",
    ),
    path("konfiguration/fristregeln/neu/", views.frist_regel_create, name="frist_regel_create"),
    path(
        "konfiguration/fristregeln/<uuid:regel_id>/",
        views.frist_regel_change,
        name="frist_regel_change",
    ),
]
