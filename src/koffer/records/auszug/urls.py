"""URLs of the Aktenauszug (caseworkers) and the Akteneinsicht (recipients, no account:
``/einsicht/`` is an open prefix of the sign-in middleware)."""

from django.urls import URLPattern, path

from koffer.records.auszug import views

urlpatterns: list[URLPattern] = [
    path("akten/<uuid:akte_id>/auszuege/", views.auszug_list, name="auszuege"),
    path("akten/<uuid:akte_id>/auszuege/neu/", views.auszug_create, name="auszug_create"),
    path("auszuege/<uuid:auszug_id>/", views.auszug_detail, name="auszug"),
    path("auszuege/<uuid:auszug_id>/stand/", views.auszug_progress, name="auszug_progress"),
    path("auszuege/<uuid:auszug_id>/pdf/", views.auszug_pdf, name="auszug_pdf"),
    path("auszuege/<uuid:auszug_id>/wiederholen/", views.auszug_retry, name="auszug_retry"),
    path("auszuege/<uuid:auszug_id>/einsicht/", views.einsicht_create, name="einsicht_create"),
    path(
        "akteneinsichten/<uuid:einsicht_id>/widerrufen/",
        views.einsicht_revoke,
        name="einsicht_revoke",
    ),
    path("einsicht/<str:token>/", views.einsicht_page, name="einsicht"),
    path("einsicht/<str:token>/pdf/", views.einsicht_pdf, name="einsicht_pdf"),
    path("einsicht/<str:token>/ansicht/", views.einsicht_view, name="einsicht_view"),
    path(
        "einsicht/<str:token>/seiten/<int:page>/",
        views.einsicht_page_image,
        name="einsicht_page_image",
    ),
]
