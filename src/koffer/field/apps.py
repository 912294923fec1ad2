from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "koffer.field"
    label = "field"
    verbose_name = "Verwaltung aus dem Koffer"
