from django.urls import path

from koffer.portal.postfach import views

urlpatterns = [
    path("portal/<slug:mandant>/postfach/", views.postfach, name="postfach"),
    path(
        "portal/<slug:mandant>/postfach/<uuid:brief_id>/brief.pdf",
        views.brief_pdf,
        name="postfach_brief",
    ),
]
