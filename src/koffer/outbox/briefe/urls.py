from django.urls import path

from koffer.outbox.briefe import views

urlpatterns = [
    path("akten/<uuid:akte_id>/briefe/", views.akte_briefe, name="akte_briefe"),
    path("akten/<uuid:akte_id>/briefe/neu/", views.neu, name="brief_neu"),
    path("postausgang/briefe/<uuid:brief_id>/", views.brief, name="brief"),
    path("postausgang/briefe/<uuid:brief_id>/vorschau/", views.vorschau, name="brief_vorschau"),
    path("postausgang/freigaben/", views.freigaben, name="freigaben"),
]
