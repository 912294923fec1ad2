"""Pages of the Rückscan."""

from __future__ import annotations

from django.urls import URLPattern, path

from koffer.inbox.rueckscan import views

urlpatterns: list[URLPattern] = [
    path("posteingang/rueckscan/", views.stand, name="rueckscan"),
    path("posteingang/rueckscan/deckblaetter/", views.deckblaetter, name="rueckscan_deckblaetter"),
]
