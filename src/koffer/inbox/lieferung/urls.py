"""Pages of deliveries."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.inbox.lieferung import views

urlpatterns: list[URLPattern] = [
    path("posteingang/", views.stapel_list, name="stapel_list"),
    path("posteingang/einlieferungen/", views.einlieferungen, name="einlieferungen"),
    path("posteingang/stapel/<uuid:stapel_id>/", views.stapel_detail, name="stapel_detail"),
]
