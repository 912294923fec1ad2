"""The Koffer's search is built from its checkout package: right after the import its
Akten are found by Aktenzeichen and name and their documents by title; once the files are
here the background task extracts their texts (the versions travel without), and a
document is found by a word of its text — through the Koffer's own search page.

In one process: the office's rows are the Koffer's after the import; before it, the test
takes away what a fresh Koffer lacks (the search index, the versions' texts)."""

from __future__ import annotations

import io
import json
from typing import Any

import pikepdf
import pytest
from django.urls import reverse

from koffer.accounts.access import Access
from koffer.field.paket import selectors, services, suchindex
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import AkteSubjekt, Dokument, DokumentVersion, Person
from koffer.records.selectors import Viewer
from koffer.records.suche import services as search
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.field.paket_bestand import Bestand, bestand

pytestmark = pytest.mark.django_db


def pdf_mit_text(text: str) -> bytes:
    """A one-page PDF whose text layer says ``text``."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.fixture
def daten(tenant: Mandant) -> Bestand:
    return bestand(tenant, akten=2, dokumente=1)


def _titel(treffer: search.SearchResult) -> set[str]:
    return {h.title for h in treffer.hits}


def test_the_koffer_finds_its_akten_documents_and_their_text_after_an_import(
    daten: Bestand,
) -> None:
    akte = daten.akten[0]
    aufgenommen = documents.ingest_file(
        actor=daten.worker,
        akte=akte,
        file=naming.IncomingFile.from_bytes(
            "Mietvertrag.pdf", pdf_mit_text("Wohnungsgenossenschaft Lindenhof Kaltmiete")
        ),
    )
    assert aufgenommen.ok, aufgenommen.message
    paket: dict[str, Any] = json.loads(json.dumps(selectors.bauen(geraet=daten.geraet)))
    # What a fresh Koffer has: no search index, and the versions arrive without text.
    search.clear(daten.tenant.pk)
    DokumentVersion.objects.for_tenant(daten.tenant).filter(dokument__akte__in=daten.akten).update(
        text=""
    )
    viewer = Viewer(
        access=Access.for_user(daten.worker.pk, daten.tenant.pk), user_id=daten.worker.pk
    )
    assert search.search(viewer, "Mietvertrag").hits == []

    services.einspielen(paket)

    # At once: the documents by title, the Akten by Aktenzeichen and by name.
    assert "Mietvertrag" in _titel(search.search(viewer, "Mietvertrag"))
    assert search.search(viewer, "Wohnungsgenossenschaft").hits == []  # no text yet
    assert [h.akte_id for h in search.find_akten(viewer, akte.aktenzeichen)] == [akte.pk]
    subjekt = AkteSubjekt.objects.for_tenant(daten.tenant).filter(akte=akte).get()
    person = Person.objects.for_tenant(daten.tenant).get(pk=subjekt.person_id)
    assert akte.pk in {h.akte_id for h in search.find_akten(viewer, person.family_name)}
    # The document of the Akte not checked out is not in the Koffer's index.
    fremd = (
        Dokument.objects.for_tenant(daten.tenant)
        .filter(akte=daten.fremd)
        .values_list("pk", flat=True)
    )
    assert search.index_status(daten.tenant.pk)["indexed"] == (
        Dokument.objects.for_tenant(daten.tenant).exclude(pk__in=list(fremd)).count()
    )

    # The files are here: the background task reads their texts (a PDF's text layer, a
    # text file decoded) and the search finds words of them.
    assert suchindex.texte.enqueue().return_value >= 3
    treffer = search.search(viewer, "Wohnungsgenossenschaft")
    assert _titel(treffer) == {"Mietvertrag"}
    text_akten = {h.akte_id for h in search.search(viewer, "Unterkunft").hits}
    assert text_akten == {a.pk for a in daten.akten}
    # Run again: nothing left to extract.
    assert suchindex.texte_nachholen() == 0

    # The Koffer's search page shows both.
    page = signed_in(daten.worker).get(reverse("records:suche"), {"q": "Lindenhof"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mietvertrag" in html
    page = signed_in(daten.worker).get(reverse("records:suche"), {"q": akte.aktenzeichen})
    assert akte.aktenzeichen in page.content.decode()
