"""The job kinds users can start from the Aufträge page today: integrity checks."""

from __future__ import annotations

from typing import Any

from koffer.audit import anchors
from koffer.audit.models import AuditHead
from koffer.audit.verification import verify_tenant
from koffer.blobs.store import get_store
from koffer.blobs.verification import verify_store
from koffer.jobs import registry
from koffer.jobs.runner import JobRun, Outcome

AUDIT_CHAIN = "audit.verify_chain"
BLOB_STORE = "blobs.verify"

# Blobs are checked in 256 steps by the first two hex digits of their hash, so a check
# interrupted by a worker restart continues with the next range instead of starting over.
BLOB_RANGES = [f"{i:02x}" for i in range(256)]
SHOWN_HASHES = 5


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def verify_audit_chain(run: JobRun) -> Outcome:
    """Walk the Mandant's audit chain: sequence, links, seals and anchors of every event;
    an intact chain's head is anchored, so later checks find a rewrite or a cut tail."""
    head = AuditHead.objects.filter(tenant_id=run.tenant_id).values_list("seq", flat=True).first()
    total = head or 0
    run.progress(0, total, "Die Audit-Kette wird geprüft …")

    def check() -> dict[str, Any]:
        report = verify_tenant(
            run.tenant_id, progress=lambda seq: run.progress(min(seq, total), total)
        )
        if report.ok and report.events:
            anchors.write(
                tenant_id=run.tenant_id,
                seq=report.events,
                hash=report.head_hash,
                kind=anchors.VERIFIED,
            )
        return {"events": report.events, "broken_seq": report.broken_seq, "problem": report.problem}

    result = run.step("verify", check, atomic=False)
    if result["broken_seq"] is None:
        return Outcome(f"Audit-Kette in Ordnung: {_number(result['events'])} Ereignisse geprüft.")
    return Outcome(
        f"Audit-Kette gebrochen bei Folgenummer {result['broken_seq']}: {result['problem']}.",
        needs_attention=True,
    )


def verify_blob_store(run: JobRun) -> Outcome:
    """Re-hash every stored document; name the corrupt ones."""
    store = get_store()
    total = sum(1 for _ in store.iter_all())
    run.progress(0, total, "Die Dokumente werden geprüft …")
    checked = 0
    corrupt: list[str] = []
    for prefix in BLOB_RANGES:
        before = checked

        def check(prefix: str = prefix, before: int = before) -> dict[str, Any]:
            report = verify_store(
                store,
                prefix=prefix,
                progress=lambda done, _: run.progress(min(before + done, total), total),
            )
            return {"checked": report.checked, "corrupt": report.corrupt}

        result = run.step(f"blobs-{prefix}", check, atomic=False)
        checked += result["checked"]
        corrupt.extend(result["corrupt"])
        run.progress(min(checked, total), total)
    if not corrupt:
        return Outcome(f"Dokumentenspeicher in Ordnung: {_number(checked)} Dokumente geprüft.")
    shown = ", ".join(corrupt[:SHOWN_HASHES]) + (" …" if len(corrupt) > SHOWN_HASHES else "")
    return Outcome(
        f"{_number(len(corrupt))} von {_number(checked)} Dokumenten sind beschädigt "
        f"(SHA-256: {shown}). Vollständige Liste: manage.py blobs_verify.",
        needs_attention=True,
    )


def register_all() -> None:
    registry.register(
        registry.JobKind(
            code=AUDIT_CHAIN,
            label="Audit-Kette prüfen",
            description=(
                "Prüft jedes Ereignis des Audit-Protokolls dieses Mandanten: lückenlose "
                "Folge, Verkettung und Prüfsumme."
            ),
            handler=verify_audit_chain,
        )
    )
    registry.register(
        registry.JobKind(
            code=BLOB_STORE,
            label="Dokumentenspeicher prüfen",
            description=(
                "Berechnet die Prüfsumme jedes gespeicherten Dokuments neu und meldet "
                "beschädigte Dateien."
            ),
            handler=verify_blob_store,
        )
    )
