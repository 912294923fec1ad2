from typing import Any

from django.apps import AppConfig


def _register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    from django.conf import settings

    connection.connection.create_function(
        "koffer_audit_maintenance",
        0,
        lambda: 1 if getattr(settings, "KOFFER_AUDIT_MAINTENANCE", False) else 0,
    )


class AuditConfig(AppConfig):
    name = "koffer.audit"
    label = "audit"
    verbose_name = "Protokoll"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        connection_created.connect(
            _register_sqlite_functions, dispatch_uid="koffer_audit_sqlite_functions"
        )
