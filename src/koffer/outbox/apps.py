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
        from koffer.outbox.briefe import links
        from koffer.outbox.lokaldruck import tasks as lokaldruck
        from koffer.outbox.serienbriefe import tasks as serienbriefe
        from koffer.outbox.versand import ablage
        from koffer.outbox.versand import services as versand
        from koffer.outbox.versand import tasks as versand_tasks
        from koffer.records import erweiterungen, rueckpost
        from koffer.records.dokumente import services as documents
        from koffer.shell.navigation import NavEntry, register

        serienbriefe.register_job_kind()
        lokaldruck.register_job_kind()
        # Batches at the cut-off times, packing, takeover: every worker's heartbeat.
        periodic.register(
            "outbox.versand",
            every=lambda: float(settings.KOFFER_OUTBOX_DISPATCH_SECONDS),
            run=versand_tasks.runde,
        )
        # The providers' drop folders: their receipts and reports, read by every worker.
        periodic.register(
            "outbox.ablage",
            every=lambda: float(settings.KOFFER_OUTBOX_ABLAGE_SECONDS),
            run=ablage.runde,
        )
        documents.register_blob_reference(versand.blob_referenced)
        # Returned mail scanned in the Posteingang marks its letter „unzustellbar“.
        rueckpost.register(
            rueckpost.Empfang(pruefen=versand.ruecklaeufer_pruefen, melden=versand.ruecklaeufer)
        )
        erweiterungen.register(
            erweiterungen.Aktion(key="outbox_briefe", label="Briefe", url=links.briefe)
        )
        erweiterungen.register(
            erweiterungen.Aktion(
                key="outbox_brief_schreiben", label="Brief schreiben", url=links.schreiben
            )
        )
        erweiterungen.register_dokument(
            erweiterungen.DokumentAktion(
                key="outbox_im_koffer_drucken",
                label="Im Koffer drucken",
                url=links.im_koffer_drucken,
            )
        )
        entries = [
            NavEntry(
                key="outbox_freigaben",
                label="Briefe zur Freigabe",
                url_name="outbox:freigaben",
                description="Briefe und Bescheide, die eine zweite Person freigeben muss.",
                permission=Perm.OUTBOX_SEND,
                shown_in=access.has_outbox,
                order=40,
            ),
            NavEntry(
                key="outbox_serienbriefe",
                label="Serienbriefe",
                url_name="outbox:serienbriefe",
                description="Einen Brief aus einer Vorlage an viele Akten schreiben.",
                permission=Perm.OUTBOX_SEND,
                shown_in=access.has_outbox,
                order=41,
            ),
            NavEntry(
                key="outbox_vorlagen",
                label="Postausgang: Vorlagen",
                url_name="outbox:vorlagen",
                description="Briefvorlagen und Bescheide mit ihren Versionen, Textbausteine "
                "und Briefköpfe pflegen.",
                permission=Perm.TENANCY_MANAGE,
                shown_in=access.has_outbox,
                order=92,
            ),
            NavEntry(
                key="outbox_zu_drucken",
                label="Selbst zu drucken",
                url_name="outbox:zu_drucken",
                description="Ihre freigegebenen Briefe zum Selbstdrucken, einzeln oder als "
                "ein PDF für den mobilen Drucker.",
                permission=Perm.OUTBOX_SEND,
                shown_in=access.has_outbox,
                order=42,
            ),
            NavEntry(
                key="outbox_drucker",
                label="Postausgang: Drucker",
                url_name="outbox:drucker",
                description="Drucker der Behörde, auf denen koffer Briefe druckt (IPP).",
                permission=Perm.TENANCY_MANAGE,
                shown_in=access.has_outbox,
                order=94,
            ),
            NavEntry(
                key="outbox_versand_regeln",
                label="Postausgang: Druckdienste",
                url_name="outbox:versand_regeln",
                description="Druckdienste, Annahmeschluss der Hybridpost und Alarme.",
                permission=Perm.TENANCY_MANAGE,
                shown_in=access.has_outbox,
                order=93,
            ),
        ]
        # The mail room and those who send letters watch the dispatch (access.py).
        entries.append(
            NavEntry(
                key="outbox_versand",
                label="Postausgang: Versand",
                url_name="outbox:versand",
                description="Versandstapel an die Druckdienste, ihr Stand und Briefe, "
                "die zu lange in einem Status stehen.",
                permission=(Perm.OUTBOX_SEND, Perm.INBOX_PROCESS),
                shown_in=access.has_outbox,
                order=35,
            )
        )
        for entry in entries:
            register(entry)
