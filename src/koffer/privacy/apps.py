from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "koffer.privacy"
    label = "privacy"
    verbose_name = "Datenschutz"
