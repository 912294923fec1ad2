from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "koffer.forms"
    label = "forms"
    verbose_name = "Formulare"

    def ready(self) -> None:
        from koffer.accounts.roles import Perm
        from koffer.forms.ausfuellen import ablage, links
        from koffer.records import erweiterungen
        from koffer.records.dokumente import services as documents
        from koffer.shell.navigation import NavEntry, register

        documents.register_blob_reference(ablage.blob_referenced)
        erweiterungen.register(
            erweiterungen.Aktion(
                key="forms_ausfuellen", label="Formular ausfüllen", url=links.ausfuellen
            )
        )
        register(
            NavEntry(
                key="forms_entwuerfe",
                label="Meine Formularentwürfe",
                url_name="forms:meine_entwuerfe",
                description="Formulare, die Sie für eine Akte begonnen haben: weiter "
                "ausfüllen oder verwerfen.",
                permission=Perm.RECORDS_EDIT,
                order=45,
            )
        )
        # forms.access.verwaltet_katalog: the administration (tenancy.manage).
        register(
            NavEntry(
                key="forms_katalog",
                label="Formulare: Katalog",
                url_name="forms:katalog",
                description="Formulardefinitionen importieren, ihre Versionen ansehen und "
                "prüfen, leere Formulare drucken, Formulare deaktivieren.",
                permission=Perm.TENANCY_MANAGE,
                order=95,
            )
        )
