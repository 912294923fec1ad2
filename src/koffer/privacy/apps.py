from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "koffer.privacy"
    label = "privacy"
    verbose_name = "Datenschutz"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.shell.navigation import NavEntry, register

        register(
            NavEntry(
                key="privacy.audit",
                label="Protokoll",
                url_name="privacy:audit_log",
                description=(
                    "Wer hat wann was über eine Person oder ein Objekt gesehen oder geändert – "
                    "mit Filtern und CSV-Export."
                ),
                permission=Perm.AUDIT_VIEW,
                order=800,
            )
        )
