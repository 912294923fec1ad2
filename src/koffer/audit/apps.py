from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "koffer.audit"
    label = "audit"
    verbose_name = "Protokoll"
