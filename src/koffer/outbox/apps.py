from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "koffer.outbox"
    label = "outbox"
    verbose_name = "Postausgang"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.outbox import access
        from koffer.shell.navigation import NavEntry, register

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
