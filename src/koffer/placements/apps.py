from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "koffer.placements"
    label = "placements"
    verbose_name = "Platzbörse"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.placements import access, aufgaben
        from koffer.placements.abrechnung import monatsabrechnung as month_end
        from koffer.shell import tasks_registry
        from koffer.shell.navigation import NavEntry, register

        month_end.register_job_kind()
        tasks_registry.register(aufgaben.open_tasks)

        register(
            NavEntry(
                key="placements_einrichtungen",
                label="Einrichtungen und Plätze",
                url_name="placements:einrichtungen",
                description="Einrichtungen, Angebote, Entgelte und freie Plätze pflegen.",
                permission=Perm.PLACEMENTS_MANAGE,
                shown_in=access.runs_places,
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
                shown_in=access.runs_places,
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
                shown_in=access.places_people,
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
                shown_in=access.runs_places,
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
        for key, permission, shown_in in (
            ("placements_statistik", Perm.STATISTICS_VIEW, access.has_statistics),
            ("placements_statistik_traeger", Perm.PLACEMENTS_MANAGE, access.runs_places),
        ):
            register(
                NavEntry(
                    key=key,
                    label="Statistik Platzbörse",
                    url_name="placements:statistik",
                    description="Begonnene und beendete Belegungen, Auslastung und Kosten.",
                    permission=permission,
                    order=48,
                    shown_in=shown_in,
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
                shown_in=access.runs_places,
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
                shown_in=access.places_people,
                order=46,
            )
        )
