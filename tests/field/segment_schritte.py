"""Steps of the two-process segment tests (tests/field/test_segment_prozesse.py), run in
the office's or the Koffer's process with ``manage.py shell -c``; each prints one line of
JSON."""

from __future__ import annotations

import json

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.audit.verification import verify_tenant
from koffer.field.models import Geraet, SegmentQuarantaene
from koffer.records import selectors as records
from koffer.records import services as records_services
from koffer.records.models import Akte


def akte_lesen(akte_id: str, username: str) -> None:
    """The field worker opens the Akte on the Koffer (offline): an audited read."""
    akte = Akte.objects.unscoped().get(pk=akte_id)
    worker = User.objects.get(username=username)
    records_services.record_read(
        actor=worker, akte=akte, subject=records.first_subject(akte), purpose="Hausbesuch"
    )
    print(json.dumps({"akte": akte_id}))


def im_buero(geraet_id: str) -> None:
    """The office's chain of the Koffer's Mandant: whether it verifies, the events that
    came from this Koffer, and its quarantined segments."""
    geraet = Geraet.objects.unscoped().get(pk=geraet_id)
    bericht = verify_tenant(geraet.tenant_id)
    aus_koffer = [
        {
            "action": e.action,
            "object_id": e.object_id,
            "actor_id": str(e.actor_id) if e.actor_id else None,
            "seq": e.changes["koffer_ereignis"]["seq"],
        }
        for e in AuditEvent.objects.filter(tenant_id=geraet.tenant_id).order_by("seq")
        if isinstance(e.changes, dict)
        and e.changes.get("koffer_ereignis", {}).get("geraet") == geraet_id
    ]
    quarantaene = [
        q.grund for q in SegmentQuarantaene.objects.unscoped().filter(geraet_id=geraet_id)
    ]
    print(
        json.dumps(
            {
                "ok": bericht.ok,
                "problem": bericht.problem,
                "aus_koffer": aus_koffer,
                "quarantaene": quarantaene,
                "user": str(geraet.user_id),
            }
        )
    )


def neu_beginnen(geraet_id: str) -> None:
    """The Mandant's administration begins a new segment for the Koffer („Segment neu
    beginnen“ on „Koffer: Geräte“), with a reason."""
    from koffer.accounts.access import Access
    from koffer.field.segment import services
    from tests import factories

    geraet = Geraet.objects.unscoped().get(pk=geraet_id)
    tenant = geraet.tenant
    admin = factories.user(tenant, role="mandant_admin")
    services.neu_beginnen(
        actor=admin,
        geraet=geraet,
        grund="Protokoll dauerhaft abgelehnt",
        access=Access.for_user(admin.pk, tenant.pk),
    )
    geraet.refresh_from_db()
    print(json.dumps({"schluessel": geraet.segment_schluessel, "neu": geraet.segment_neu}))
