from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "koffer.jobs"
    label = "jobs"
    verbose_name = "Hintergrundaufträge"

    def ready(self) -> None:
        # The blob check is registered here, not by koffer.blobs: blobs sit below the API
        # layer and must not import it.
        from koffer.accounts.roles import Perm
        from koffer.api.probes import register_check
        from koffer.jobs import kinds, readiness, start_page
        from koffer.shell import navigation, tasks_registry

        kinds.register_all()
        register_check("blobs", readiness.blob_store)
        register_check("worker", readiness.worker)
        register_check("processes", readiness.serve_parts)
        register_check("schluessel", readiness.schluessel)
        navigation.register(
            navigation.NavEntry(
                key="jobs",
                label="Aufträge",
                url_name="jobs:list",
                description="Hintergrundaufträge starten und verfolgen, z. B. Prüfungen der "
                "Audit-Kette und des Dokumentenspeichers.",
                permission=Perm.JOBS_RUN,
                order=800,
            )
        )
        tasks_registry.register(start_page.open_jobs)
