"""The job ``portal.postfach.benachrichtigung``: the e-mail notice of one letter made
available in the mailbox; a failed send fails the job, which can be retried."""

from __future__ import annotations

import uuid
from functools import partial

from koffer.jobs import registry
from koffer.jobs.runner import JobError, JobRun, Outcome
from koffer.portal.postfach import services
from koffer.portal.postfach.empfang import JOB_KIND


def _job(run: JobRun) -> Outcome:
    try:
        brief_id = uuid.UUID(str(run.params.get("brief", "")))
    except ValueError as exc:
        raise JobError("Diesen Brief gibt es nicht.") from exc
    done = run.step(
        "senden", partial(services.benachrichtigen, run.tenant_id, brief_id), atomic=False
    )
    return Outcome(f"{done['gesendet']} Benachrichtigung(en) gesendet.")


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=JOB_KIND,
            label="Bürgerpostfach: Benachrichtigung",
            description="Sagt den Empfänger:innen eines Briefs im Bürgerpostfach per E-Mail, "
            "dass dort eine neue Nachricht liegt (ohne Namen und Inhalt).",
            handler=_job,
            offered=False,
        )
    )
