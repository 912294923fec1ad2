from django.apps import AppConfig


class ShellConfig(AppConfig):
    name = "koffer.shell"
    label = "shell"
    verbose_name = "Oberfläche"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.shell.navigation import NavEntry, register

        register(
            NavEntry(
                key="accounts",
                label="Verwaltung",
                url_name="accounts:users",
                description="Benutzer, Rollen und Maschinenkonten des Mandanten verwalten.",
                permission=Perm.ACCOUNTS_MANAGE,
                order=900,
            )
        )
