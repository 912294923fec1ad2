from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "koffer.accounts"
    label = "accounts"
    verbose_name = "Benutzerkonten"

    def ready(self) -> None:
        from koffer.accounts import signals  # noqa: F401
