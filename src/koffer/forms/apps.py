from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "koffer.forms"
    label = "forms"
    verbose_name = "Formulare"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.shell.navigation import NavEntry, register

        # forms.access.verwaltet_katalog: the administration (tenancy.manage).
        register(
            NavEntry(
                key="forms_katalog",
                label="Formulare: Katalog",
                url_name="forms:katalog",
                description="Formulardefinitionen importieren, ihre Versionen ansehen und "
                "prüfen, leere Formulare drucken, Formulare deaktivieren.",
                permission=Perm.TENANCY_MANAGE,
                order=95,
            )
        )
