"""The job ``portal.postfach.benachrichtigung``: the e-mail notice of one letter made
available in the mailbox, or of one answer of the office; a failed send fails the job,
which can be retried."""

from __future__ import annotations

import uuid
from functools import partial

from koffer.jobs import registry
from koffer.jobs.runner import JobError, JobRun, Outcome
from koffer.portal.nachrichten import services as nachrichten
from koffer.portal.postfach import services
from koffer.portal.postfach.empfang import JOB_KIND


def _job(run: JobRun) -> Outcome:
    """The notice of a letter (``brief``) or of the office's answer (``nachricht``)."""
    key = "nachricht" if "nachricht" in run.params else "brief"
    try:
        object_id = uuid.UUID(str(run.params.get(key, "")))
    except ValueError as exc:
        raise JobError("Diese Nachricht gibt es nicht.") from exc
    if key == "nachricht":
        work = partial(nachrichten.benachrichtigen, object_id, run.tenant_id)
        done = run.step("senden", lambda: {"gesendet": work()}, atomic=False)
    else:
        work_brief = partial(services.benachrichtigen, run.tenant_id, object_id)
        done = run.step("senden", work_brief, atomic=False)
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
