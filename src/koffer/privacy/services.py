"""Writes of the privacy app: logging that someone looked at the audit log."""

from __future__ import annotations

from typing import Literal

from django.db import transaction

from koffer.audit import services as audit
from koffer.audit.models import AuditEvent
from koffer.audit.services import Actor
from koffer.privacy.labels import AUDIT_QUERY_ACTION
from koffer.privacy.selectors import AuditFilter
from koffer.tenancy.models import Mandant

Output = Literal["html", "csv", "api"]


def record_audit_query(
    *, actor: Actor, tenant: Mandant, audit_filter: AuditFilter, output: Output
) -> AuditEvent:
    """Append exactly one ``privacy.audit.query`` event for one look at the log (a page,
    an export, an API page), with the filter as ``changes``. A look at one person's or
    one object's trail names them as subject/object, so it shows up in that very trail."""
    f = audit_filter
    subject = (f.subject_type, f.subject_id) if f.subject_type and f.subject_id else None
    obj = (f.object_type, f.object_id) if f.object_type and f.object_id else None
    with transaction.atomic():
        return audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action=AUDIT_QUERY_ACTION,
            obj=obj,
            subject=subject,
            changes={**f.as_dict(), "format": output},
        )
