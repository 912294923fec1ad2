"""URLs of the search pages (search page, header quick search)."""

from django.urls import URLPattern, path

from koffer.records.suche import views as search_views

urlpatterns: list[URLPattern] = [
    path("suche/", search_views.suche, name="suche"),
    path("suche/akten/", search_views.suche_akten, name="suche_akten"),
]
