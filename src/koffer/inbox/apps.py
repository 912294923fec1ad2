from django.apps import AppConfig
from django.conf import settings


class InboxConfig(AppConfig):
    name = "koffer.inbox"
    label = "inbox"
    verbose_name = "Posteingang"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.audit import geheimnisse
        from koffer.inbox import access, aufgaben

        # Key files of earlier versions move into the database at the first start.
        from koffer.inbox.fitconnect import schluessel as fitconnect_schluessel
        from koffer.inbox.fitconnect import services as fitconnect
        from koffer.inbox.klaerung import tasks as klaerung_tasks
        from koffer.inbox.lieferung import ordner, services, tasks
        from koffer.inbox.migration import tasks as migration_tasks
        from koffer.inbox.online import tasks as online_tasks
        from koffer.inbox.originale import services as originale
        from koffer.inbox.verarbeitung import services as pipeline
        from koffer.inbox.verarbeitung import tasks as pipeline_tasks
        from koffer.jobs import periodic
        from koffer.records.dokumente import services as documents
        from koffer.shell import tasks_registry
        from koffer.shell.navigation import NavEntry, register

        geheimnisse.bei_start(fitconnect_schluessel.uebernehmen)

        tasks.register_job_kind()
        pipeline_tasks.register_job_kind()
        klaerung_tasks.register_job_kind()
        migration_tasks.register_job_kind()
        online_tasks.register_job_kind()
        # The worker looks into the drop folders; `manage.py inbox_watch` does the same by hand.
        periodic.register(
            "inbox.uebergabeordner",
            every=lambda: float(settings.KOFFER_INBOX_WATCH_SECONDS),
            run=ordner.pick_up,
        )
        # The worker fetches what other OZG portals sent through FIT-Connect.
        periodic.register(
            "inbox.fitconnect",
            every=lambda: float(settings.KOFFER_FITCONNECT_POLL_SECONDS),
            run=fitconnect.abholen_alle,
        )
        documents.register_blob_reference(services.blob_referenced)
        documents.register_blob_reference(pipeline.blob_referenced)
        documents.register_blob_reference(originale.blob_referenced)
        tasks_registry.register(aufgaben.open_tasks)
        # Two sides of a delivery: who delivers scans sees its own batches, the mail room
        # every batch arriving in its units.
        register(
            NavEntry(
                key="inbox_einlieferungen",
                label="Scan-Einlieferungen",
                url_name="inbox:einlieferungen",
                description="Eigene Scan-Stapel mit Status und Problemen verfolgen.",
                permission=Perm.INBOX_UPLOAD,
                shown_in=access.has_inbox,
                order=31,
            )
        )
        register(
            NavEntry(
                key="inbox_zuordnung",
                label="Zuordnung",
                url_name="inbox:klaerung",
                description="Gescannte Post, die keiner Akte sicher zugeordnet werden konnte.",
                permission=Perm.INBOX_PROCESS,
                shown_in=access.has_inbox,
                order=32,
            )
        )
        register(
            NavEntry(
                key="inbox_vernichtungslisten",
                label="Vernichtungslisten",
                url_name="inbox:vernichtungslisten",
                description="Papieroriginale, die vernichtet werden dürfen, und die "
                "Bestätigung ihrer Vernichtung.",
                permission=Perm.INBOX_UPLOAD,
                shown_in=access.has_inbox,
                order=33,
            )
        )
        register(
            NavEntry(
                key="inbox_regeln",
                label="Posteingang: Regeln",
                url_name="inbox:regeln",
                description="Ab welcher Sicherheit Post ohne Prüfung abgelegt wird, und was "
                "ein Widerspruch eröffnet.",
                permission=Perm.TENANCY_MANAGE,
                shown_in=access.has_inbox,
                order=90,
            )
        )
        register(
            NavEntry(
                key="inbox_rueckscan",
                label="Rückscan",
                url_name="inbox:rueckscan",
                description="Papierakten je Standort scannen lassen: Deckblätter drucken, "
                "den Stand verfolgen.",
                permission=Perm.INBOX_PROCESS,
                shown_in=access.has_inbox,
                order=33,
            )
        )
        register(
            NavEntry(
                key="inbox_fitconnect",
                label="Posteingang: FIT-Connect",
                url_name="inbox:fitconnect",
                description="Zustellpunkte für Anträge anderer Onlinedienste (OZG) und was "
                "über sie einging.",
                permission=Perm.TENANCY_MANAGE,
                shown_in=access.has_inbox,
                order=92,
            )
        )
        register(
            NavEntry(
                key="inbox_migration",
                label="Posteingang: Migration",
                url_name="inbox:migration",
                description="Personen, Bedarfsgemeinschaften und Akten aus dem CSV-Export "
                "des bisherigen Fachverfahrens übernehmen.",
                permission=Perm.TENANCY_MANAGE,
                shown_in=access.has_inbox,
                order=91,
            )
        )
        register(
            NavEntry(
                key="inbox_stapel",
                label="Posteingang",
                url_name="inbox:stapel_list",
                description="Eingehende Scan-Stapel, ihre Dateien und Probleme prüfen.",
                permission=Perm.INBOX_PROCESS,
                shown_in=access.has_inbox,
                order=30,
            )
        )
