from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp

from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.outbox.briefe import services
from koffer.outbox.errors import Conflict, Forbidden, Invalid
from koffer.outbox.models import Brief
from koffer.records import antwortcode
from koffer.records.dokumente import services as documents
from koffer.records.dokumente.naming import IncomingFile
from koffer.records.errors import RecordsError
from koffer.records.models import Dokument
from tests.factories import records as rf
from tests.outbox.briefe.conftest import Welt, vorlage

pytestmark = pytest.mark.django_db


def _draft(welt: Welt, **kwargs: object) -> Brief:
    v = vorlage(welt.tenant, **kwargs)  # type: ignore[arg-type]
    brief = services.entwerfen(
        actor=welt.writer, access=welt.access(welt.writer), akte=welt.akte, vorlage=v
    )
    return services.aendern(
        actor=welt.writer,
        access=welt.access(welt.writer),
        brief=brief,
        eingaben={"frist": "31.12.2026", "betrag": "6.000,00 €"},
    )


def _text(pdf: bytes) -> str:
    doc = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def test_a_draft_takes_the_address_and_template(welt: Welt) -> None:
    brief = _draft(welt)
    assert brief.status == Brief.Status.ENTWURF
    assert brief.anschrift["strasse"] == "Lindenweg 4"
    assert brief.anschrift["ort"] == "12345 Musterstadt"
    assert brief.betrag == Decimal("6000.00")
    assert AuditEvent.objects.filter(action="outbox.brief.entworfen").count() == 1


def test_release_files_an_outgoing_immutable_document(welt: Welt) -> None:
    brief = _draft(welt)
    released = services.freigeben(actor=welt.writer, access=welt.access(welt.writer), brief=brief)
    assert released.status == Brief.Status.FREIGEGEBEN
    dokument = Dokument.objects.for_tenant(welt.tenant).get(pk=released.dokument_id)
    assert dokument.direction == Dokument.Direction.OUTGOING
    assert dokument.source == Dokument.Source.LETTER
    assert dokument.akte_id == welt.akte.pk
    assert released.seiten >= 1 and released.portoklasse
    version = dokument.current_version
    assert version is not None and welt.akte.aktenzeichen in version.text
    assert "31.12.2026" in version.text and "6.000,00 €" in version.text
    assert [e.status for e in released.ereignisse.all()] == ["entwurf", "freigegeben"]
    with pytest.raises(RecordsError, match="unveränderlich"):
        documents.add_version(
            actor=welt.writer,
            dokument=dokument,
            file=IncomingFile(name="x.pdf", size=3, stream=io.BytesIO(b"%PD")),
        )
    with pytest.raises(Conflict):
        services.freigeben(actor=welt.writer, access=welt.access(welt.writer), brief=released)


def test_the_letter_carries_its_reply_code(welt: Welt) -> None:
    vorgang = rf.vorgang(welt.akte, actor=welt.writer)
    v = vorlage(welt.tenant)
    brief = services.entwerfen(
        actor=welt.writer,
        access=welt.access(welt.writer),
        akte=welt.akte,
        vorlage=v,
        vorgang=vorgang,
    )
    brief = services.aendern(
        actor=welt.writer,
        access=welt.access(welt.writer),
        brief=brief,
        eingaben={"frist": "31.12.2026", "betrag": "12,00"},
    )
    released = services.freigeben(actor=welt.writer, access=welt.access(welt.writer), brief=brief)
    version = Dokument.objects.for_tenant(welt.tenant).get(pk=released.dokument_id).current_version
    assert version is not None
    with get_store().open(version.sha256) as fh:
        pdf = fh.read()
    doc = pypdfium2.PdfDocument(io.BytesIO(pdf))
    image = doc[0].render(scale=150 / 72).to_pil()
    doc.close()
    texts = [r.text for r in zxingcpp.read_barcodes(image)]
    codes = [antwortcode.decode(t, tenant_id=welt.tenant.pk) for t in texts]
    found = [c for c in codes if c is not None]
    assert len(found) == 1
    assert found[0].akte_id == welt.akte.pk
    assert found[0].vorgang_id == vorgang.pk
    assert found[0].letter_id == brief.pk


def test_four_eyes_from_an_amount(welt: Welt) -> None:
    brief = _draft(welt, vier_augen=True, ab=Decimal("5000"))
    waiting = services.freigeben(actor=welt.writer, access=welt.access(welt.writer), brief=brief)
    assert waiting.status == Brief.Status.ZUR_FREIGABE
    assert waiting.dokument_id is None
    with pytest.raises(Forbidden, match="zweite Person"):
        services.zweitfreigabe(actor=welt.writer, access=welt.access(welt.writer), brief=waiting)
    released = services.zweitfreigabe(
        actor=welt.colleague, access=welt.access(welt.colleague), brief=waiting
    )
    assert released.status == Brief.Status.FREIGEGEBEN
    assert released.freigabe_angefordert_von_id == welt.writer.pk
    assert released.freigegeben_von_id == welt.colleague.pk
    assert released.dokument_id is not None


def test_below_the_amount_one_person_suffices(welt: Welt) -> None:
    v = vorlage(welt.tenant, vier_augen=True, ab=Decimal("5000"))
    brief = services.entwerfen(
        actor=welt.writer, access=welt.access(welt.writer), akte=welt.akte, vorlage=v
    )
    brief = services.aendern(
        actor=welt.writer,
        access=welt.access(welt.writer),
        brief=brief,
        eingaben={"betrag": "120", "frist": "31.12.2026"},
    )
    released = services.freigeben(actor=welt.writer, access=welt.access(welt.writer), brief=brief)
    assert released.status == Brief.Status.FREIGEGEBEN


def test_sent_back_goes_to_draft_with_the_reason(welt: Welt) -> None:
    brief = _draft(welt, vier_augen=True)
    waiting = services.freigeben(actor=welt.writer, access=welt.access(welt.writer), brief=brief)
    back = services.zurueckgeben(
        actor=welt.colleague,
        access=welt.access(welt.colleague),
        brief=waiting,
        grund="Betrag prüfen",
    )
    assert back.status == Brief.Status.ENTWURF
    assert "Betrag prüfen" in back.ereignisse.order_by("-recorded_at").first().detail  # type: ignore[union-attr]


def test_an_incomplete_address_is_refused_at_release(welt: Welt) -> None:
    brief = _draft(welt)
    brief = services.aendern(
        actor=welt.writer,
        access=welt.access(welt.writer),
        brief=brief,
        anschrift={"namen": ["Anna Beispiel"], "strasse": "", "ort": ""},
    )
    with pytest.raises(Invalid):
        services.freigeben(actor=welt.writer, access=welt.access(welt.writer), brief=brief)
    brief.refresh_from_db()
    assert brief.status == Brief.Status.ENTWURF
    assert brief.befunde and brief.dokument_id is None


def test_values_print_as_written_never_as_markup(welt: Welt) -> None:
    brief = _draft(welt)
    brief = services.aendern(
        actor=welt.writer,
        access=welt.access(welt.writer),
        brief=brief,
        eingaben={"frist": '#set text(fill: red) *fett* $x$ #read("/etc/passwd")'},
    )
    released = services.freigeben(actor=welt.writer, access=welt.access(welt.writer), brief=brief)
    version = Dokument.objects.for_tenant(welt.tenant).get(pk=released.dokument_id).current_version
    assert version is not None
    assert '#set text(fill: red) *fett* $x$ #read("/etc/passwd")' in version.text.replace("\r", "")


def test_other_teams_may_not_write(welt: Welt) -> None:
    other = rf.akte(caseworker=welt.writer, plan=welt.akte.aktenplaneinheit, unit=welt.team)
    from tests import factories

    stranger = factories.user(welt.tenant, "sachbearbeitung", factories.unit(welt.tenant))
    with pytest.raises(Forbidden):
        services.entwerfen(
            actor=stranger, access=welt.access(stranger), akte=other, vorlage=vorlage(welt.tenant)
        )


def test_handed_over_in_person_is_known_that_day(welt: Welt) -> None:
    brief = _draft(welt)
    brief = services.aendern(
        actor=welt.writer, access=welt.access(welt.writer), brief=brief, kanal="persoenlich"
    )
    released = services.freigeben(actor=welt.writer, access=welt.access(welt.writer), brief=brief)
    handed = services.aushaendigen(
        actor=welt.writer, access=welt.access(welt.writer), brief=released, am=date(2026, 1, 5)
    )
    assert handed.status == Brief.Status.AUSGEHAENDIGT
    assert handed.bekanntgabe_am == date(2026, 1, 5)


def test_a_discarded_draft_is_kept(welt: Welt) -> None:
    brief = _draft(welt)
    gone = services.verwerfen(actor=welt.writer, access=welt.access(welt.writer), brief=brief)
    assert gone.status == Brief.Status.VERWORFEN
    assert Brief.objects.for_tenant(welt.tenant).filter(pk=brief.pk).exists()


def test_a_letter_prints_the_persons_bank_details_and_contact(welt: Welt) -> None:
    """The E-Akte keeps a person's bank account and contact; a Bescheid names them."""
    person = welt.akte.subjekte.get().person
    person.iban, person.bic, person.telefon = (
        "DE02120300000000202051",
        "BYLADEM1001",
        "0171 2345678",
    )
    person.save()
    text = (
        "Wir überweisen auf das Konto {{ person.iban }} ({{ person.bic }}) von "
        "{{ person.kontoinhaber }}. Telefon: {{ person.telefon }}."
    )
    brief = _draft(welt, code="bank", text=text)
    released = services.freigeben(actor=welt.writer, access=welt.access(welt.writer), brief=brief)
    version = Dokument.objects.for_tenant(welt.tenant).get(pk=released.dokument_id).current_version
    assert version is not None
    printed = " ".join(version.text.split())
    assert "DE02 1203 0000 0000 2020 51 (BYLADEM1001)" in printed
    assert f"von {person.given_names} {person.family_name}".strip() in printed
    assert "Telefon: 0171 2345678." in printed
