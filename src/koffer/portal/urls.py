from django.urls import path

from koffer.portal import views

app_name = "portal"

urlpatterns = [
    path("portal/<slug:mandant>/", views.start, name="start"),
    path("portal/<slug:mandant>/anmelden/", views.anmelden, name="anmelden"),
    path("portal/<slug:mandant>/abmelden/", views.abmelden, name="abmelden"),
]
