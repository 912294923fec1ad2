"""The check of a delivered batch against its Lieferschein: each file's problem goes into
quarantine with a German reason, the rest of the batch goes on."""

from __future__ import annotations

import pytest

from koffer.audit.models import AuditEvent
from koffer.inbox.models import Problem, Stapel, Stapeldatei
from tests.inbox import scans
from tests.inbox.conftest import Deliver, checked

pytestmark = pytest.mark.django_db


def _states(stapel: Stapel) -> dict[str, str]:
    return dict(
        Stapeldatei.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel)
        .values_list("name", "state")
    )


def _problems(stapel: Stapel) -> dict[str, str]:
    return {
        p.code: p.message
        for p in Problem.objects.for_tenant(stapel.tenant_id).filter(stapel=stapel)
    }


def test_a_batch_as_declared_is_processed_and_audited(deliver: Deliver) -> None:
    files = {"0001.pdf": scans.pdf(3), "0002.tif": scans.tiff(2)}
    note = scans.manifest(files, pages={"0001.pdf": 3, "0002.tif": 2})
    stapel = checked(deliver(files, note).stapel)
    assert stapel.state == Stapel.State.VERARBEITET
    assert _states(stapel) == {"0001.pdf": "geprueft", "0002.tif": "geprueft"}
    kinds = dict(Stapeldatei.objects.for_tenant(stapel.tenant_id).values_list("name", "kind"))
    assert kinds == {"0001.pdf": "pdf", "0002.tif": "tiff"}
    assert stapel.manifest == note.decode() and stapel.manifest_sha256 == scans.sha256(note)
    events = AuditEvent.objects.filter(tenant_id=stapel.tenant_id, object_id=str(stapel.pk))
    by_action = {e.action: e.changes for e in events}
    assert by_action["inbox.stapel.deliver"]["manifest_sha256"] == scans.sha256(note)
    assert by_action["inbox.stapel.deliver"]["quality"]["ergebnis"] == "bestanden"
    assert by_action["inbox.stapel.check"]["quality_passed"] is True
    assert by_action["inbox.stapel.check"]["state"] == "verarbeitet"


def test_hash_mismatch_quarantines_only_that_file(deliver: Deliver) -> None:
    files = {"0001.pdf": scans.pdf(), "0002.pdf": scans.pdf()}
    note = scans.manifest(files, hashes={"0002.pdf": "0" * 64})
    stapel = checked(deliver(files, note).stapel)
    assert stapel.state == Stapel.State.MIT_PROBLEMEN
    assert _states(stapel) == {"0001.pdf": "geprueft", "0002.pdf": "quarantaene"}
    assert "Prüfsumme (SHA-256) der Datei „0002.pdf“" in _problems(stapel)["hash_mismatch"]


def test_missing_and_extra_files(deliver: Deliver) -> None:
    declared = {"0001.pdf": scans.pdf(), "0002.pdf": scans.pdf()}
    note = scans.manifest(declared)
    sent = {"0001.pdf": declared["0001.pdf"], "0003.pdf": scans.pdf(2)}
    stapel = checked(deliver(sent, note).stapel)
    assert _states(stapel) == {
        "0001.pdf": "geprueft",
        "0002.pdf": "fehlt",
        "0003.pdf": "quarantaene",
    }
    problems = _problems(stapel)
    assert (
        "„0002.pdf“ steht im Lieferschein, wurde aber nicht geliefert" in problems["file_missing"]
    )
    assert (
        "„0003.pdf“ wurde geliefert, steht aber nicht im Lieferschein"
        in problems["file_not_declared"]
    )
    assert stapel.state == Stapel.State.MIT_PROBLEMEN


def test_corrupt_and_truncated_pdf(deliver: Deliver) -> None:
    good = scans.pdf(2)
    files = {
        "kaputt.pdf": b"%PDF-1.7\n" + b"\x00garbage" * 50,
        "abgeschnitten.pdf": good[: len(good) // 3],
        "gut.pdf": good,
    }
    note = scans.manifest(files, pages={"gut.pdf": 2})
    stapel = checked(deliver(files, note).stapel)
    assert _states(stapel) == {
        "kaputt.pdf": "quarantaene",
        "abgeschnitten.pdf": "quarantaene",
        "gut.pdf": "geprueft",
    }
    problems = Problem.objects.for_tenant(stapel.tenant_id).filter(stapel=stapel)
    assert {p.datei.name for p in problems if p.datei} == {"kaputt.pdf", "abgeschnitten.pdf"}
    assert all("beschädigt" in p.message for p in problems), [p.message for p in problems]
    assert stapel.state == Stapel.State.MIT_PROBLEMEN


def test_encrypted_pdfs_go_to_quarantine(deliver: Deliver) -> None:
    files = {
        "kennwort.pdf": scans.encrypted_pdf(),
        "beschraenkt.pdf": scans.encrypted_pdf(user_password=""),
    }
    stapel = checked(deliver(files).stapel)
    assert _states(stapel) == {"kennwort.pdf": "quarantaene", "beschraenkt.pdf": "quarantaene"}
    problems = Problem.objects.for_tenant(stapel.tenant_id).filter(stapel=stapel)
    assert {p.code for p in problems} == {"encrypted_pdf"}
    assert stapel.state == Stapel.State.QUARANTAENE  # nothing usable in it


def test_page_counts_are_counted(deliver: Deliver) -> None:
    files = {"0001.pdf": scans.pdf(2), "0002.tif": scans.tiff(3)}
    note = scans.manifest(files, pages={"0001.pdf": 3, "0002.tif": 3})
    stapel = checked(deliver(files, note).stapel)
    assert _states(stapel) == {"0001.pdf": "quarantaene", "0002.tif": "geprueft"}
    assert (
        "„0001.pdf“ hat 2 Seiten, der Lieferschein nennt 3"
        in _problems(stapel)["page_count_mismatch"]
    )


def test_a_corrupt_tiff_and_another_type(deliver: Deliver) -> None:
    tif = scans.tiff(2)
    files = {"kaputt.tif": tif[:200], "bild.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}
    stapel = checked(deliver(files).stapel)
    assert _states(stapel) == {"kaputt.tif": "quarantaene", "bild.png": "quarantaene"}
    problems = _problems(stapel)
    assert "nur als PDF oder TIFF" in problems["unsupported_type"]
    assert "Bild ist beschädigt" in problems["corrupt_image"]


def test_a_failed_quality_check_is_a_problem_of_the_batch(deliver: Deliver) -> None:
    files = {"0001.pdf": scans.pdf()}
    stapel = checked(deliver(files, scans.manifest(files, quality="nicht_bestanden")).stapel)
    assert stapel.state == Stapel.State.MIT_PROBLEMEN
    assert "Originale dürfen nicht vernichtet werden" in _problems(stapel)["quality_failed"]
