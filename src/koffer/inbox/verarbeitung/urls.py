"""Pages of the pipeline."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.inbox.verarbeitung import views

urlpatterns: list[URLPattern] = [
    path("posteingang/regeln/", views.regeln_page, name="regeln"),
]
