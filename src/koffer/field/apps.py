from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "koffer.field"
    label = "field"
    verbose_name = "Verwaltung aus dem Koffer"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.field.besuche import links as besuche_links
        from koffer.records import erweiterungen
        from koffer.shell.navigation import NavEntry, register

        erweiterungen.register(
            erweiterungen.Aktion(
                key="field_besuch_planen", label="Hausbesuch planen", url=besuche_links.planen
            )
        )
        register(
            NavEntry(
                key="field_hausbesuche",
                label="Meine Hausbesuche",
                url_name="field:hausbesuche",
                description="Die Hausbesuche des Tages mit Anschrift, Anlass und den "
                "Formularen zum Mitnehmen; der Tourenplan zum Ausdrucken.",
                permission=Perm.FIELD_CHECKOUT,
                order=46,
            )
        )
