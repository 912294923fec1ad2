"""The filing of a digital delivery as the job kind ``inbox.online``."""

from __future__ import annotations

import uuid

from koffer.accounts.roles import Perm
from koffer.inbox.models import Eingangsdokument
from koffer.inbox.online import services
from koffer.jobs import registry
from koffer.jobs.runner import JobError, JobRun, Outcome


def _job(run: JobRun) -> Outcome:
    doc = (
        Eingangsdokument.objects.for_tenant(run.tenant_id)
        .filter(pk=uuid.UUID(str(run.params.get("dokument", uuid.UUID(int=0)))))
        .first()
    )
    if doc is None:
        raise JobError("Dieses Eingangsdokument gibt es nicht mehr.")
    doc = services.ablegen(doc=doc)
    return Outcome(
        f"Online-Eingang: {doc.get_state_display()}.",
        needs_attention=doc.state == Eingangsdokument.State.ZU_PRUEFEN,
    )


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=services.JOB_KIND,
            label="Ablage eines Online-Eingangs",
            description="Legt einen in den Online-Diensten eingereichten Antrag in die Akte "
            "der Person ab oder gibt ihn mit dem Grund in die Zuordnung.",
            handler=_job,
            permission=Perm.INBOX_PROCESS,
            offered=False,
        )
    )
