from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "koffer.forms"
    label = "forms"
    verbose_name = "Formulare"
