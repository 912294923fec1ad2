from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "koffer.field"
    label = "field"
    verbose_name = "Verwaltung aus dem Koffer"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.field.abgleich import selectors as abgleich
        from koffer.field.besuche import links as besuche_links
        from koffer.field.geraete import hinweis
        from koffer.records import erweiterungen
        from koffer.shell.navigation import NavEntry, register

        # „Im Koffer bei … seit …“ on the Akte's page and API detail.
        erweiterungen.register_hinweis(
            erweiterungen.Hinweis(key="field_im_koffer", text=hinweis.im_koffer)
        )
        erweiterungen.register_hinweis(
            erweiterungen.Hinweis(key="field_konflikte", text=abgleich.hinweis)
        )
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
        register(
            NavEntry(
                key="field_mein_koffer",
                label="Mein Koffer",
                url_name="field:mein_koffer",
                description="Den Laptop für Hausbesuche anmelden und koppeln, Akten "
                "mitnehmen und zurückgeben.",
                permission=Perm.FIELD_CHECKOUT,
                order=47,
            )
        )
        register(
            NavEntry(
                key="field_konflikte",
                label="Koffer: Konflikte",
                url_name="field:konflikte",
                description="Änderungen aus einem Koffer, die im Büro inzwischen anders "
                "geändert wurden: Wert aus dem Büro behalten oder aus dem Koffer übernehmen.",
                permission=(Perm.RECORDS_EDIT, Perm.FIELD_CHECKOUT),
                order=48,
            )
        )
        register(
            NavEntry(
                key="field_experte",
                label="Expertensitzungen",
                url_name="field:experte",
                description="Eine Expertin oder einen Experten aus dem Büro zu einem Formular "
                "zuschalten (mit Einwilligung) und gemeinsam ausfüllen; Einladungen annehmen.",
                permission=Perm.RECORDS_EDIT,
                order=49,
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
