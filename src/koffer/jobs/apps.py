from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "koffer.jobs"
    label = "jobs"
    verbose_name = "Hintergrundaufträge"
