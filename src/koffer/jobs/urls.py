from django.urls import path

from koffer.jobs import views

app_name = "jobs"
urlpatterns = [
    path("auftraege/", views.job_list, name="list"),
    path("auftraege/starten/", views.job_start, name="start"),
    path("auftraege/<uuid:job_id>/", views.job_detail, name="detail"),
    path("auftraege/<uuid:job_id>/fortschritt/", views.job_progress, name="progress"),
    path("auftraege/<uuid:job_id>/wiederholen/", views.job_retry, name="retry"),
]
