from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "koffer.placements"
    label = "placements"
    verbose_name = "Platzbörse"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.placements import aufgaben, billing
        from koffer.shell import tasks_registry
        from koffer.shell.navigation import NavEntry, register

        billing.register_job_kind()
        tasks_registry.register(aufgaben.open_tasks)

        register(
            NavEntry(
                key="placements_einrichtungen",
                label="Einrichtungen und Plätze",
                url_name="placements:einrichtungen",
                description="Einrichtungen, Angebote, Entgelte und freie Plätze pflegen.",
                permission=Perm.PLACEMENTS_MANAGE,
                order=40,
            )
        )
        register(
            NavEntry(
                key="placements_anfragen",
                label="Anfragen und Belegungen",
                url_name="placements:anfragen",
                description="Anfragen der Jugendämter beantworten, Belegungen beenden.",
                permission=Perm.PLACEMENTS_MANAGE,
                order=41,
            )
        )
        register(
            NavEntry(
                key="placements_gesuche",
                label="Platzbörse",
                url_name="placements:gesuche",
                description="Freie Plätze finden, reservieren und anfragen.",
                permission=Perm.PLACEMENTS_SEARCH,
                order=45,
            )
        )
        # § 47 SGB VIII: the same label for both sides, each to its own list.
        register(
            NavEntry(
                key="placements_meldungen",
                label="Meldungen § 47",
                url_name="placements:meldungen_list",
                description="Meldungen nach § 47 SGB VIII an das Landesjugendamt einreichen.",
                permission=Perm.PLACEMENTS_MANAGE,
                order=42,
            )
        )
        register(
            NavEntry(
                key="placements_meldungen_posteingang",
                label="Meldungen § 47",
                url_name="placements:meldungen_inbox",
                description="Eingegangene Meldungen nach § 47 SGB VIII nach Frist bearbeiten.",
                permission=Perm.MELDUNGEN_REVIEW,
                order=42,
            )
        )
        # Two entries, one page: providers manage places without STATISTICS_VIEW.
        for key, permission in (
            ("placements_statistik", Perm.STATISTICS_VIEW),
            ("placements_statistik_traeger", Perm.PLACEMENTS_MANAGE),
        ):
            register(
                NavEntry(
                    key=key,
                    label="Statistik Platzbörse",
                    url_name="placements:statistik",
                    description="Begonnene und beendete Belegungen, Auslastung und Kosten.",
                    permission=permission,
                    order=48,
                )
            )
        # Billing: the provider bills its month, the youth office checks what arrives.
        register(
            NavEntry(
                key="placements_abrechnung",
                label="Abrechnung",
                url_name="placements:abrechnung",
                description="Leistungsnachweise berechnen, XRechnungen erstellen und versenden.",
                permission=Perm.PLACEMENTS_MANAGE,
                order=43,
            )
        )
        register(
            NavEntry(
                key="placements_rechnungseingang",
                label="Rechnungseingang",
                url_name="placements:abrechnung_eingang",
                description="Rechnungen der Träger mit den eigenen Belegungen abgleichen, "
                "freigeben oder ablehnen.",
                permission=Perm.PLACEMENTS_SEARCH,
                order=46,
            )
        )
