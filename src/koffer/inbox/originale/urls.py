"""Pages of the paper originals."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.inbox.originale import views

urlpatterns: list[URLPattern] = [
    path("posteingang/stapel/<uuid:stapel_id>/originale/", views.register, name="originale"),
    path(
        "posteingang/stapel/<uuid:stapel_id>/originale/freigeben/",
        views.freigeben,
        name="originale_freigeben",
    ),
    path("posteingang/originale/<uuid:eingang_id>/", views.original, name="original"),
    path("posteingang/vernichtungslisten/", views.listen, name="vernichtungslisten"),
    path(
        "posteingang/vernichtungslisten/<uuid:liste_id>/",
        views.liste,
        name="vernichtungsliste",
    ),
    path(
        "posteingang/vernichtungslisten/<uuid:liste_id>/protokoll.pdf",
        views.protokoll,
        name="vernichtungsprotokoll",
    ),
]
