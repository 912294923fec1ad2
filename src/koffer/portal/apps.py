from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "koffer.portal"
    label = "portal"
    verbose_name = "Online-Dienste"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.shell.navigation import NavEntry, register

        register(
            NavEntry(
                key="portal_vertretungen",
                label="Portal: Vertretungen",
                url_name="portal:vertretungen_verwaltung",
                description="Anträge von Betreuer:innen und Bevollmächtigten aus den "
                "Online-Diensten: mit der Person der Akte bestätigen oder ablehnen.",
                permission=Perm.RECORDS_EDIT,
                order=49,
            )
        )
