from django.urls import path

from koffer.outbox.serienbriefe import views

urlpatterns = [
    path("postausgang/serienbriefe/", views.liste, name="serienbriefe"),
    path("postausgang/serienbriefe/neu/", views.neu, name="serienbrief_neu"),
    path("postausgang/serienbriefe/<uuid:serie_id>/", views.detail, name="serienbrief"),
]
