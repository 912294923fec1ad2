from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "koffer.portal"
    label = "portal"
    verbose_name = "Online-Dienste"
