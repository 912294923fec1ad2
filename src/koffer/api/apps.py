from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "koffer.api"
    label = "api"
    verbose_name = "API"
