"""Pages of local printing."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.outbox.lokaldruck import views

urlpatterns: list[URLPattern] = [
    path("postausgang/drucker/", views.drucker_liste, name="drucker"),
    path("postausgang/drucker/<uuid:drucker_id>/", views.drucker_aendern, name="drucker_aendern"),
    path("postausgang/briefe/<uuid:brief_id>/drucken/", views.drucken, name="brief_drucken"),
    path("postausgang/briefe/<uuid:brief_id>/pdf/", views.pdf, name="brief_pdf"),
    path(
        "postausgang/druckauftraege/<uuid:auftrag_id>/wiederholen/",
        views.wiederholen,
        name="druck_wiederholen",
    ),
    path(
        "postausgang/dokumente/<uuid:dokument_id>/drucken/",
        views.dokument_drucken,
        name="dokument_drucken",
    ),
    path("postausgang/selbst-drucken/", views.zu_drucken, name="zu_drucken"),
    path("postausgang/selbst-drucken/sammel.pdf", views.sammel_pdf, name="sammel_pdf"),
]
