from django.urls import path

from koffer.forms.ausfuellen import views

urlpatterns = [
    path("akten/<uuid:akte_id>/formulare/", views.akte_formulare, name="akte_formulare"),
    path("akten/<uuid:akte_id>/formulare/beginnen/", views.beginnen, name="entwurf_beginnen"),
    path(
        "akten/<uuid:akte_id>/formulare/<uuid:formular_id>/leer.pdf",
        views.leer_pdf,
        name="leer_pdf",
    ),
    path("formulare/entwuerfe/", views.meine_entwuerfe, name="meine_entwuerfe"),
    path(
        "formulare/entwuerfe/<uuid:entwurf_id>/schritte/<slug:schritt_id>/",
        views.schritt,
        name="entwurf_schritt",
    ),
    path("formulare/entwuerfe/<uuid:entwurf_id>/pruefen/", views.pruefen, name="entwurf_pruefen"),
    path(
        "formulare/entwuerfe/<uuid:entwurf_id>/verwerfen/",
        views.verwerfen,
        name="entwurf_verwerfen",
    ),
    path("formulare/einreichungen/<uuid:einreichung_id>/", views.einreichung, name="einreichung"),
]
