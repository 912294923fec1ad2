"""The same bytes twice (issue 12, found by the security re-probe): a file counts as already
there only among the documents the uploader may see. A copy in an Akte hidden from them
is no answer they may get ("this file lies in an Akte you may not see" confirmed that it
exists elsewhere in the Mandant) and no reason to refuse: a second department files the
same letter as a document of its own. The blob store keeps the bytes once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.blobs.store import get_store
from koffer.records import services
from koffer.records.dokumente import blob_ledger
from koffer.records.dokumente import services as documents
from koffer.records.models import (
    Akte,
    Aktenplaneinheit,
    Dokument,
    DokumentVersion,
    PendingBlob,
)
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import incoming, stored, text_pdf

KEY = "5d0c2a8e-3b1f-4d7a-9e26-8c4f1b7a2d90"


@pytest.fixture
def letter() -> bytes:
    return text_pdf(1, marker="Bescheid an zwei Ämter")


@pytest.fixture
def own_akte(tenant: Mandant, plan: Aktenplaneinheit, outsider: User) -> Akte:
    """The other department's Akte, where the outsider files."""
    unit = outsider.memberships.get().unit
    return services.create_akte(
        actor=outsider,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=unit,
        title="Akte des Sozialamts",
        caseworker=outsider,
    )


def _api_upload(client: Client, akte: Akte, data: bytes, **headers: str) -> Any:
    return client.post(
        f"/api/v1/akten/{akte.pk}/dokumente",
        {"dateien": [SimpleUploadedFile("brief.pdf", data)]},
        headers=headers,
    )


def _versions_of(tenant: Mandant, data: bytes) -> list[DokumentVersion]:
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    return list(DokumentVersion.objects.for_tenant(tenant).filter(sha256=sha).order_by("pk"))


def test_api_second_department_files_the_same_letter_and_learns_nothing(
    akte: Akte, team_caseworker: User, outsider: User, own_akte: Akte, letter: bytes
) -> None:
    first = stored(akte, team_caseworker, "a.pdf", letter)
    response = _api_upload(signed_in(outsider), own_akte, letter)
    assert response.status_code == 201, response.content
    [line] = response.json()["results"]
    assert line["outcome"] == "stored" and line["status"] == 201
    assert line["dokument_id"] != str(first.pk)
    text = response.content.decode()
    for secret in (str(first.pk), str(akte.pk), akte.aktenzeichen, "nicht sehen", "liegt schon"):
        assert secret not in text
    # two documents, one blob: both versions point to the same bytes
    versions = _versions_of(akte.tenant, letter)
    assert [v.dokument.akte_id for v in versions] == [akte.pk, own_akte.pk]
    assert len(list(get_store().iter_all())) == 1
    content = signed_in(outsider).get(f"/api/v1/dokumente/{line['dokument_id']}/inhalt")
    assert b"".join(content.streaming_content) == letter  # type: ignore[attr-defined]


def test_web_second_department_files_the_same_letter(
    akte: Akte, team_caseworker: User, outsider: User, own_akte: Akte, letter: bytes
) -> None:
    stored(akte, team_caseworker, "a.pdf", letter)
    response = signed_in(outsider).post(
        reverse("records:dokument_upload", args=[own_akte.pk]),
        {"dateien": [SimpleUploadedFile("b.pdf", letter)], "kind": "Schreiben", "direction": "in"},
        HTTP_ACCEPT="application/json",
    )
    [line] = response.json()["results"]
    assert line["outcome"] == "stored", line
    assert Dokument.objects.for_tenant(own_akte.tenant_id).filter(akte=own_akte).count() == 1


def test_a_new_version_may_have_bytes_of_a_hidden_akte(
    akte: Akte, team_caseworker: User, outsider: User, own_akte: Akte, letter: bytes
) -> None:
    stored(akte, team_caseworker, "a.pdf", letter)
    mine = stored(own_akte, outsider, "entwurf.pdf", text_pdf(1, marker="Entwurf"))
    result = documents.add_version(actor=outsider, dokument=mine, file=incoming("b.pdf", letter))
    assert result.ok, result.message
    assert result.version is not None and result.version.number == 2


def test_visible_duplicate_in_this_akte_is_still_named_with_a_link(
    akte: Akte, team_caseworker: User, client_cw: Client, letter: bytes
) -> None:
    first = stored(akte, team_caseworker, "a.pdf", letter)
    api = _api_upload(client_cw, akte, letter)
    [line] = api.json()["results"]
    assert (line["status"], line["outcome"], line["dokument_id"]) == (
        409,
        "duplicate",
        str(first.pk),
    )
    assert line["message"] == documents.DUPLICATE_MESSAGE
    assert "in dieser Akte" in line["message"] and line["problem"]["code"] == "duplicate"
    web = client_cw.post(
        reverse("records:dokument_upload", args=[akte.pk]),
        {"dateien": [SimpleUploadedFile("b.pdf", letter)], "kind": "Schreiben", "direction": "in"},
        HTTP_ACCEPT="application/json",
    )
    [row] = web.json()["results"]
    assert row["outcome"] == "duplicate"
    assert row["url"] == reverse("records:dokument", args=[first.pk])


def test_visible_duplicate_in_another_akte_names_its_aktenzeichen(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    akte: Akte,
    team_caseworker: User,
    letter: bytes,
) -> None:
    first = stored(akte, team_caseworker, "a.pdf", letter)
    second = services.create_akte(
        actor=team_caseworker,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=akte.unit,
        title="Zweite Akte",
        caseworker=team_caseworker,
    )
    result = documents.ingest_file(actor=team_caseworker, akte=second, file=incoming("b", letter))
    assert (result.outcome, result.dokument) == ("duplicate", first)
    assert (
        result.message
        == f"Genau diese Datei liegt schon als Dokument in der Akte {akte.aktenzeichen} vor."
    )


def test_the_system_is_stopped_only_within_the_target_akte(
    akte: Akte, team_caseworker: User, own_akte: Akte, letter: bytes
) -> None:
    stored(akte, team_caseworker, "a.pdf", letter)
    assert documents.ingest_file(actor=None, akte=own_akte, file=incoming("b", letter)).ok
    again = documents.ingest_file(actor=None, akte=own_akte, file=incoming("c", letter))
    assert again.outcome == "duplicate" and again.message == documents.DUPLICATE_MESSAGE


# --- the blob ledger with two versions on one blob -----------------------------------------


def test_a_failed_second_filing_keeps_the_blob_the_first_needs(
    akte: Akte,
    team_caseworker: User,
    outsider: User,
    own_akte: Akte,
    letter: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = stored(akte, team_caseworker, "a.pdf", letter)
    sha = first.current_version.sha256  # type: ignore[union-attr]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Datenbank weg")

    monkeypatch.setattr(documents, "_write_new", broken)
    failed = documents.ingest_file(actor=outsider, akte=own_akte, file=incoming("b", letter))
    assert failed.outcome == "rejected"
    assert get_store().exists(sha) and not PendingBlob.objects.unscoped().exists()
    monkeypatch.undo()
    second = stored(own_akte, outsider, "b.pdf", letter)
    # cancelling one document leaves the blob to the other; the collector keeps it
    documents.cancel_dokument(actor=team_caseworker, dokument=first, reason="falsch abgelegt")
    assert blob_ledger.referenced(sha)
    assert blob_ledger.collect().removed == [] and get_store().exists(sha)
    assert second.current_version.sha256 == sha  # type: ignore[union-attr]


# --- idempotency keys ------------------------------------------------------------------------


def test_a_retry_of_the_second_filing_stores_nothing_twice(
    akte: Akte, team_caseworker: User, outsider: User, own_akte: Akte, letter: bytes
) -> None:
    stored(akte, team_caseworker, "a.pdf", letter)
    client = signed_in(outsider)
    first = _api_upload(client, own_akte, letter, **{"Idempotency-Key": KEY})
    again = _api_upload(client, own_akte, letter, **{"Idempotency-Key": KEY})
    assert first.status_code == again.status_code == 201, again.content
    assert again.json()["results"][0]["dokument_id"] == first.json()["results"][0]["dokument_id"]
    assert again.json()["results"][0]["message"] == documents.REPLAYED_MESSAGE
    assert len(_versions_of(akte.tenant, letter)) == 2


def test_a_key_used_for_a_hidden_akte_reveals_nothing(
    akte: Akte, team_caseworker: User, own_akte: Akte, letter: bytes
) -> None:
    """The same person stored the bytes under the key in an Akte she no longer sees and
    sends key and bytes again to another Akte: the key is another request's, and the
    answer does not point to the hidden document."""
    hidden = stored(akte, team_caseworker, "a.pdf", letter, upload_key=KEY)
    team_caseworker.memberships.all().delete()  # moved to the other department
    from tests import factories

    factories.add_role(team_caseworker, akte.tenant, "sachbearbeitung", own_akte.unit)
    result = documents.ingest_file(
        actor=team_caseworker, akte=own_akte, file=incoming("b.pdf", letter), upload_key=KEY
    )
    assert (result.outcome, result.code) == ("rejected", "idempotency_key_taken")
    assert result.dokument is None and akte.aktenzeichen not in result.message
    assert Dokument.objects.for_tenant(akte.tenant_id).count() == 1
    assert get_store().exists(hidden.current_version.sha256)  # type: ignore[union-attr]
