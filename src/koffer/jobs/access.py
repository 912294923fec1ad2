"""Who may see, start and retry jobs.

Holders of ``jobs.run`` see all jobs of their Mandant; everyone else who may start some
kind of job sees the jobs they started themselves (later modules start jobs on behalf of
caseworkers); whoever may start none (an upload-only API token) sees no job list at all.
Starting and retrying need the kind's own permission.
"""

from __future__ import annotations

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.jobs import registry
from koffer.jobs.models import Job


def sees_all_jobs(access: Access) -> bool:
    return access.can(Perm.JOBS_RUN)


def sees_jobs(access: Access) -> bool:
    return sees_all_jobs(access) or any(access.can(k.permission) for k in registry.kinds())


def may_start(access: Access, kind: str) -> bool:
    found = registry.get(kind)
    return found is not None and access.can(found.permission)


def may_retry(access: Access, job: Job) -> bool:
    found = registry.get(job.kind)
    return found is not None and access.can(found.permission)


def startable_kinds(access: Access) -> list[registry.JobKind]:
    return [k for k in registry.offered() if access.can(k.permission)]
