from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "koffer.outbox"
    label = "outbox"
    verbose_name = "Postausgang"
