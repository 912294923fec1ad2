from django.apps import AppConfig
from django.conf import settings


class OutboxConfig(AppConfig):
    name = "koffer.outbox"
    label = "outbox"
    verbose_name = "Postausgang"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.jobs import periodic
        from koffer.outbox import access
        from koffer.outbox.versand import services as versand
        from koffer.outbox.versand import tasks as versand_tasks
        from koffer.records.dokumente import services as documents
        from koffer.shell.navigation import NavEntry, register

        # Batches at the cut-off times, packing, takeover: every worker's heartbeat.
        periodic.register(
            "outbox.versand",
            every=lambda: float(settings.KOFFER_OUTBOX_DISPATCH_SECONDS),
            run=versand_tasks.runde,
        )
        documents.register_blob_reference(versand.blob_referenced)
        # The mail room and those who send letters watch the dispatch (access.py); a nav
        # entry names one permission, so there is one entry for each.
        for key, permission in (
            ("outbox_versand", Perm.OUTBOX_SEND),
            ("outbox_versand_poststelle", Perm.INBOX_PROCESS),
        ):
            register(
                NavEntry(
                    key=key,
                    label="Postausgang: Versand",
                    url_name="outbox:versand",
                    description="Versandstapel an die Druckdienste, ihr Stand und Briefe, "
                    "die zu lange in einem Status stehen.",
                    permission=permission,
                    shown_in=access.has_outbox,
                    order=35,
                )
            )
        register(
            NavEntry(
                key="outbox_versand_regeln",
                label="Postausgang: Druckdienste",
                url_name="outbox:versand_regeln",
                description="Druckdienste, Annahmeschluss der Hybridpost und Alarme.",
                permission=Perm.TENANCY_MANAGE,
                shown_in=access.has_outbox,
                order=92,
            )
        )
