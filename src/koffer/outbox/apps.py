from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "koffer.outbox"
    label = "outbox"
    verbose_name = "Postausgang"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.outbox import access
        from koffer.outbox.briefe import links
        from koffer.outbox.serienbriefe import tasks as serienbriefe
        from koffer.records import erweiterungen
        from koffer.shell.navigation import NavEntry, register

        serienbriefe.register_job_kind()
        erweiterungen.register(
            erweiterungen.Aktion(key="outbox_briefe", label="Briefe", url=links.briefe)
        )
        erweiterungen.register(
            erweiterungen.Aktion(
                key="outbox_brief_schreiben", label="Brief schreiben", url=links.schreiben
            )
        )
        register(
            NavEntry(
                key="outbox_freigaben",
                label="Briefe zur Freigabe",
                url_name="outbox:freigaben",
                description="Briefe und Bescheide, die eine zweite Person freigeben muss.",
                permission=Perm.OUTBOX_SEND,
                shown_in=access.has_outbox,
                order=40,
            )
        )
        register(
            NavEntry(
                key="outbox_serienbriefe",
                label="Serienbriefe",
                url_name="outbox:serienbriefe",
                description="Einen Brief aus einer Vorlage an viele Akten schreiben.",
                permission=Perm.OUTBOX_SEND,
                shown_in=access.has_outbox,
                order=41,
            )
        )
        register(
            NavEntry(
                key="outbox_vorlagen",
                label="Postausgang: Vorlagen",
                url_name="outbox:vorlagen",
                description="Briefvorlagen und Bescheide mit ihren Versionen, Textbausteine "
                "und Briefköpfe pflegen.",
                permission=Perm.TENANCY_MANAGE,
                shown_in=access.has_outbox,
                order=92,
            )
        )
