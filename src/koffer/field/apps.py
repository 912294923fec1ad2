from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "koffer.field"
    label = "field"
    verbose_name = "Verwaltung aus dem Koffer"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.field.geraete import hinweis
        from koffer.records import erweiterungen
        from koffer.shell.navigation import NavEntry, register

        # „Im Koffer bei … seit …“ on the Akte's page and API detail.
        erweiterungen.register_hinweis(
            erweiterungen.Hinweis(key="field_im_koffer", text=hinweis.im_koffer)
        )
        register(
            NavEntry(
                key="field_mein_koffer",
                label="Mein Koffer",
                url_name="field:mein_koffer",
                description="Den Laptop für Hausbesuche anmelden und koppeln, Akten "
                "mitnehmen und zurückgeben.",
                permission=Perm.FIELD_CHECKOUT,
                order=46,
            )
        )
        register(
            NavEntry(
                key="field_geraete",
                label="Koffer: Geräte",
                url_name="field:geraete",
                description="Alle Koffer des Mandanten: letzte Verbindung, Akten im Koffer, "
                "einen verlorenen Koffer sperren.",
                permission=Perm.TENANCY_MANAGE,
                order=96,
            )
        )
