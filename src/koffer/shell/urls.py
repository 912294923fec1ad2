from django.urls import path

from koffer.shell import views

app_name = "shell"
urlpatterns = [
    path("", views.start, name="start"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("barrierefreiheit/", views.accessibility, name="accessibility"),
]
