from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "koffer.tenancy"
    label = "tenancy"
    verbose_name = "Mandanten"
