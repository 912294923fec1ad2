"""Pages of FIT-Connect."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.inbox.fitconnect import views

urlpatterns: list[URLPattern] = [
    path("posteingang/fitconnect/", views.fitconnect_page, name="fitconnect"),
]
