"""Documents of one file recognised together (issue 15, OCR speed): the runs they are cut
into, and what happens when a joint OCR run fails."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from koffer.inbox.verarbeitung import schritte, tasks, texterkennung
from tests.inbox.verarbeitung.test_texterkennung import LETTER, image_pdf, page


def _doc(datei: uuid.UUID, pages: int) -> Any:
    return SimpleNamespace(datei_id=datei, pages=list(range(pages)))


def test_runs_keep_to_one_file_and_a_page_budget() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    big = tasks.RUN_PAGES + 3
    docs = [_doc(a, 10), _doc(a, 10), _doc(a, 10), _doc(b, 2), _doc(b, big), _doc(b, 1)]

    runs = tasks._runs(docs)

    assert [[len(d.pages) for d in run] for run in runs] == [[10, 10], [10], [2], [big], [1]]
    assert tasks._runs([]) == []


def test_a_failed_joint_run_is_retried_one_document_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = texterkennung.Texterkennung(b"%PDF-ok", ["Text"], True, True, [], 1.0)

    def joint(scans: list[bytes], **_: object) -> list[texterkennung.Texterkennung]:
        raise texterkennung.OcrFailed(texterkennung.FAILED)

    calls: list[int] = []

    def alone(scan: bytes, **_: object) -> texterkennung.Texterkennung:
        calls.append(len(calls))
        if len(calls) == 2:
            raise texterkennung.OcrFailed(texterkennung.CORRUPT, code="corrupt")
        return good

    monkeypatch.setattr(texterkennung, "recognise_together", joint)
    monkeypatch.setattr(texterkennung, "recognise", alone)
    scan = image_pdf([page(LETTER[:3]), page(LETTER[3:6]), page(LETTER[6:])])

    found = schritte.recognise_together(scan, [[0], [1], [2]], jobs=2)

    assert [f.problem for f in found] == [
        None,
        ("ocr_failed", texterkennung.CORRUPT),
        None,
    ]
    assert [f.searchable for f in found] == [b"%PDF-ok", None, b"%PDF-ok"]
    assert all(f.original.startswith(b"%PDF-") for f in found)
