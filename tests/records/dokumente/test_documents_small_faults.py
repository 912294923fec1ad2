"""Faults seen on the document pages (issue 14): a new upload always has a date of
receipt, the Akte's list and its count come fresh after an upload, and a page enlarged
is a page with a heading and a way back, not a bare image."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records.dokumente import pages
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument
from tests.conftest import signed_in, test_today
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import stored, text_pdf


def _upload(client: Client, akte: Akte, name: str, **fields: str) -> Dokument:
    response = client.post(
        reverse("records:dokument_upload", args=[akte.pk]),
        {
            "dateien": [SimpleUploadedFile(name, text_pdf(1, marker=name))],
            "kind": "Antrag",
            "direction": "in",
            **fields,
        },
        HTTP_ACCEPT="application/json",
    )
    [line] = response.json()["results"]
    assert line["outcome"] == "stored", line
    return Dokument.objects.for_tenant(akte.tenant_id).get(pk=line["url"].split("/")[2])


def test_the_upload_form_asks_for_the_date_of_receipt_with_today_filled_in(
    akte: Akte, client_cw: Client
) -> None:
    html = client_cw.get(reverse("records:akte_detail", args=[akte.pk])).content.decode()
    assert f'name="received_on" value="{test_today():%Y-%m-%d}"' in html


def test_an_upload_without_a_date_of_receipt_was_received_the_day_it_was_filed(
    akte: Akte, client_cw: Client, team_caseworker: User
) -> None:
    chosen = _upload(client_cw, akte, "a.pdf", received_on="2026-01-05")
    left_empty = _upload(client_cw, akte, "b.pdf", received_on="")
    by_service = stored(akte, team_caseworker, "c.pdf", text_pdf(1, marker="c"))
    assert chosen.received_on is not None and f"{chosen.received_on}" == "2026-01-05"
    assert left_empty.received_on == test_today()
    assert by_service.received_on == test_today()
    html = client_cw.get(reverse("records:akte_detail", args=[akte.pk])).content.decode()
    assert f"{test_today():%d.%m.%Y}" in html and "05.01.2026" in html


def test_the_list_fragment_carries_the_new_count(
    akte: Akte, client_cw: Client, team_caseworker: User
) -> None:
    page = client_cw.get(reverse("records:akte_detail", args=[akte.pk])).content.decode()
    liste = reverse("records:dokumente_liste", args=[akte.pk])
    assert f'data-dokumente-liste="{liste}"' in page and "Dokumente (0)" in page
    _upload(client_cw, akte, "a.pdf")
    _upload(client_cw, akte, "b.pdf")
    fragment = client_cw.get(liste)
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "Dokumente (2)" in html and "<html" not in html
    assert html.count('href="/dokumente/') == 2


def test_the_list_fragment_is_404_for_who_may_not_see_the_akte(akte: Akte, outsider: User) -> None:
    response = signed_in(outsider).get(reverse("records:dokumente_liste", args=[akte.pk]))
    assert response.status_code == 404


def test_an_enlarged_page_has_a_heading_a_way_back_and_its_neighbours(
    akte: Akte, client_cw: Client, team_caseworker: User
) -> None:
    doc = stored(akte, team_caseworker, "Bescheid.pdf", text_pdf(3, marker="Regelbedarf"))
    viewer = client_cw.get(reverse("records:dokument", args=[doc.pk])).content.decode()
    zoom = reverse("records:dokument_page_zoom", args=[doc.pk, 1, 2])
    assert f'href="{zoom}"' in viewer
    response = client_cw.get(zoom)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "Seite 2 von 3" in html
    back = reverse("records:dokument", args=[doc.pk]) + "#seite-2"
    assert f'href="{back}" data-zoom-back>Zurück zum Dokument</a>' in html
    assert reverse("records:dokument_page_zoom", args=[doc.pk, 1, 1]) in html
    assert reverse("records:dokument_page_zoom", args=[doc.pk, 1, 3]) in html
    assert reverse("records:dokument_page", args=[doc.pk, 1, 2, 1600]) in html
    reads = AuditEvent.objects.filter(
        tenant_id=akte.tenant_id, action="read", object_id=str(doc.pk)
    )
    assert [e.reason for e in reads.order_by("seq")] == ["Dokument angesehen", "Seite vergrößert"]


@pytest.mark.parametrize("page", [0, 4])
def test_an_enlarged_page_beyond_the_document_is_404(
    akte: Akte, client_cw: Client, team_caseworker: User, page: int
) -> None:
    doc = stored(akte, team_caseworker, "Bescheid.pdf", text_pdf(3))
    response = client_cw.get(reverse("records:dokument_page_zoom", args=[doc.pk, 1, page]))
    assert response.status_code == 404


def test_the_metadata_form_keeps_an_empty_date_of_receipt_empty(
    akte: Akte, client_cw: Client, team_caseworker: User
) -> None:
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(1))
    documents.change_metadata(
        actor=team_caseworker,
        dokument=doc,
        meta=documents.DocumentMeta(title="a", kind=doc.kind, direction=doc.direction),
    )
    html = client_cw.get(reverse("records:dokument_edit", args=[doc.pk])).content.decode()
    assert 'name="received_on" value=' not in html


def test_a_page_image_opened_alone_carries_no_style_policy(
    akte: Akte, client_cw: Client, team_caseworker: User
) -> None:
    """A browser showing the image in a tab of its own styles it inline; the pages' policy
    made that three console errors. The image runs nothing, so it goes without one."""
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(1))
    response = client_cw.get(reverse("records:dokument_page", args=[doc.pk, 1, 1, 1000]))
    assert response.status_code == 200 and response["Content-Type"] == pages.IMAGE_MIME
    assert "Content-Security-Policy" not in response
    page = client_cw.get(reverse("records:dokument_page_zoom", args=[doc.pk, 1, 1]))
    assert "style-src 'self'" in page["Content-Security-Policy"]
