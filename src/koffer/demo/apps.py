from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "koffer.demo"
    label = "demo"
    verbose_name = "Demo"
