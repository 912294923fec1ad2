"""URLs of document pages (upload, viewer, page images, download, changes)."""

from django.urls import URLPattern, path

from koffer.records.dokumente import views

urlpatterns: list[URLPattern] = [
    path(
        "akten/<uuid:akte_id>/dokumente/hochladen/",
        views.dokument_upload,
        name="dokument_upload",
    ),
    path("akten/<uuid:akte_id>/dokumente/liste/", views.dokumente_liste, name="dokumente_liste"),
    path("dokumente/<uuid:dokument_id>/", views.dokument_detail, name="dokument"),
    path(
        "dokumente/<uuid:dokument_id>/versionen/<int:number>/seiten/<int:page>/",
        views.dokument_page_zoom,
        name="dokument_page_zoom",
    ),
    path(
        "dokumente/<uuid:dokument_id>/versionen/<int:number>/seiten/<int:page>/<int:width>/",
        views.dokument_page,
        name="dokument_page",
    ),
    path(
        "dokumente/<uuid:dokument_id>/herunterladen/",
        views.dokument_download,
        name="dokument_download",
    ),
    path(
        "dokumente/<uuid:dokument_id>/neue-version/",
        views.dokument_version_add,
        name="dokument_version_add",
    ),
    path("dokumente/<uuid:dokument_id>/verschieben/", views.dokument_move, name="dokument_move"),
    path("dokumente/<uuid:dokument_id>/stornieren/", views.dokument_cancel, name="dokument_cancel"),
    path("dokumente/<uuid:dokument_id>/angaben/", views.dokument_edit, name="dokument_edit"),
]
