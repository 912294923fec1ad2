from typing import Any

from django.apps import AppConfig


def _register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``koffer_fold(text)`` for the search's name index (``suche.backends.folding``):
    deterministic, so SQLite may use it in an expression index. Every connection needs it,
    also for writing persons (the index is kept on insert and update)."""
    if connection.vendor != "sqlite":
        return
    from koffer.records.suche.backends.folding import fold

    connection.connection.create_function(
        "koffer_fold", 1, lambda text: None if text is None else fold(text), deterministic=True
    )


class RecordsConfig(AppConfig):
    name = "koffer.records"
    label = "records"
    verbose_name = "E-Akte"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from koffer.accounts.roles import Perm
        from koffer.records import aufgaben, defaults
        from koffer.records.auszug import services as extract
        from koffer.shell import tasks_registry
        from koffer.shell.navigation import NavEntry, register, register_header_search
        from koffer.tenancy import ausstattung

        extract.register_job_kind()
        ausstattung.register("records", defaults.ausstattung)
        tasks_registry.register(aufgaben.open_tasks)
        connection_created.connect(
            _register_sqlite_functions, dispatch_uid="koffer_records_sqlite_functions"
        )

        register(
            NavEntry(
                key="records",
                label="Meine Akten",
                url_name="records:akten",
                description="Akten, Vorgänge und Dokumente, für die Sie zuständig sind.",
                permission=Perm.RECORDS_VIEW,
                order=10,
            )
        )
        register(
            NavEntry(
                key="wiedervorlagen",
                label="Wiedervorlagen",
                url_name="records:wiedervorlagen",
                description="Fällige und überfällige Wiedervorlagen, eigene und die des Teams.",
                permission=Perm.RECORDS_VIEW,
                order=20,
            )
        )
        register(
            NavEntry(
                key="fristen",
                label="Fristen",
                url_name="records:fristen",
                description="Kalender der laufenden Fristen Ihrer Akten.",
                permission=Perm.RECORDS_VIEW,
                order=30,
            )
        )
        register(
            NavEntry(
                key="aktenplan",
                label="Aktenplan",
                url_name="records:aktenplan",
                description="Der Aktenplan des Mandanten mit Aufbewahrungsfristen.",
                permission=Perm.RECORDS_VIEW,
                order=80,
            )
        )
        register(
            NavEntry(
                key="records_konfiguration",
                label="Vorgangstypen und Fristen",
                url_name="records:konfiguration",
                description="Vorgangstypen je Fachverfahren und Fristregeln des Mandanten.",
                permission=Perm.TENANCY_MANAGE,
                order=85,
            )
        )
        register_header_search(
            url_name="records:suche",
            suggest_url_name="records:suche_akten",
            label="Akte finden",
            permission=Perm.RECORDS_VIEW,
            placeholder="Aktenzeichen, BG-Nummer oder Name",
        )
