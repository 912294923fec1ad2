from django.urls import path

from koffer.field.experte import views

urlpatterns = [
    path("koffer/experte/", views.liste, name="experte"),
    path("koffer/experte/einladen/<uuid:entwurf_id>/", views.einladen, name="experte_einladen"),
    path("koffer/experte/im-buero/<uuid:entwurf_id>/", views.im_buero, name="experte_im_buero"),
    path("koffer/experte/<uuid:sitzung_id>/", views.sitzung, name="experte_sitzung"),
    path("koffer/experte/<uuid:sitzung_id>/beitreten/", views.beitreten, name="experte_beitreten"),
    path("koffer/experte/<uuid:sitzung_id>/verlassen/", views.verlassen, name="experte_verlassen"),
    path("koffer/experte/<uuid:sitzung_id>/beenden/", views.beenden, name="experte_beenden"),
    path("koffer/experte/<uuid:sitzung_id>/feld/", views.feld, name="experte_feld"),
    path("koffer/experte/<uuid:sitzung_id>/feld/<slug:feld>/", views.feld_box, name="experte_box"),
    path("koffer/experte/<uuid:sitzung_id>/hinweis/", views.hinweis, name="experte_hinweis"),
    path("koffer/experte/<uuid:sitzung_id>/live/", views.live, name="experte_live"),
]
