from django.urls import path

from koffer.privacy import views

app_name = "privacy"
urlpatterns = [
    path("datenschutz/protokoll/", views.audit_log, name="audit_log"),
    path("datenschutz/protokoll/export.csv", views.audit_export, name="audit_export"),
]
