"""The pipeline on a real batch: image-only scans with separator sheets, koffer's reply
code and letters naming their Akte are split, recognised (tesseract), filed into their
Akten with a Wiedervorlage, or left in triage with the reason; the protocol tells it all."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from koffer.accounts.models import User
from koffer.inbox.models import Eingangsdokument, Protokolleintrag, Stapel
from koffer.inbox.verarbeitung import texterkennung
from koffer.inbox.verarbeitung.tasks import process_stapel
from koffer.jobs.models import Job
from koffer.records import antwortcode
from koffer.records.models import Akte, Dokument, Vorgang, Wiedervorlage
from koffer.tenancy.models import Mandant
from tests.factories import records as record_factories
from tests.inbox import scans
from tests.inbox.conftest import Deliver, checked

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(bool(texterkennung.availability()), reason="Texterkennung fehlt"),
]

State = Eingangsdokument.State


@pytest.fixture
def akten(tenant: Mandant, mail_room: User) -> tuple[Akte, Akte]:
    from tests import factories

    plan = record_factories.leistungsplan(tenant)
    team = factories.unit(tenant, "Leistungsteam 1")
    worker = factories.user(tenant, role="sachbearbeitung", unit_=team)
    one = record_factories.akte(
        caseworker=worker, plan=plan, unit=team, family_name="Kowalski", given_names="Erika"
    )
    two = record_factories.akte(
        caseworker=worker, plan=plan, unit=team, family_name="Brandt", given_names="Jonas"
    )
    return one, two


def _batch(tenant: Mandant, akten: tuple[Akte, Akte]) -> dict[str, bytes]:
    one, two = akten
    reply = antwortcode.encode(
        antwortcode.Antwortcode(
            tenant_id=tenant.pk, akte_id=two.pk, vorgang_id=None, letter_id=None
        )
    )
    pages = [
        scans.letter(
            [
                "Erika Kowalski",
                "Lindenweg 4, 12345 Prüfstadt",
                "",
                f"Aktenzeichen: {one.aktenzeichen}",
                "",
                "Widerspruch gegen den Bescheid vom 10.11.2026",
                "",
                "Sehr geehrte Damen und Herren,",
                "hiermit lege ich Widerspruch gegen den Bescheid vom",
                "10.11.2026 ein. Die Kosten der Unterkunft sind falsch",
                "berechnet worden. Bitte prüfen Sie den Bescheid.",
                "",
                "Mit freundlichen Grüßen",
                "Erika Kowalski",
            ]
        ),
        scans.separator(),
        scans.letter(
            [
                "Jonas Brandt",
                "",
                "Antwort auf Ihr Schreiben",
                "",
                "anbei sende ich die angeforderten Unterlagen zurück.",
            ],
            qr=reply,
        ),
        scans.separator(),
        scans.letter(
            [
                "Gartenmarkt Grünewald",
                "",
                "Sonderangebot für Gartenmöbel",
                "Nur diese Woche in unserem Markt in der Bahnhofstraße.",
                "Tische, Stühle und Sonnenschirme zu besonders günstigen",
                "Preisen. Besuchen Sie uns von Montag bis Samstag zwischen",
                "neun und achtzehn Uhr. Wir freuen uns auf Ihren Besuch",
                "und beraten Sie gern bei der Auswahl der richtigen Möbel",
                "für Ihren Garten, Ihren Balkon und Ihre Terrasse.",
            ],
            upside_down=True,
        ),
    ]
    return {"0001.pdf": scans.image_pdf(pages)}


def test_a_batch_is_split_recognised_filed_and_protocolled(
    tenant: Mandant, akten: tuple[Akte, Akte], deliver: Deliver
) -> None:
    one, two = akten
    files = _batch(tenant, akten)
    stapel = checked(deliver(files, scans.manifest(files, pages={"0001.pdf": 5})).stapel)
    assert stapel.state == Stapel.State.VERARBEITET
    assert Job.objects.for_tenant(tenant).filter(kind="inbox.verarbeitung").count() == 1

    stapel = process_stapel(stapel=stapel)

    docs = list(Eingangsdokument.objects.for_tenant(tenant).order_by("teil"))
    assert [d.pages for d in docs] == [[0], [2], [4]]  # separator pages removed
    objection, reply, advert = docs
    assert objection.state == State.ABGELEGT and objection.akte_id == one.pk
    assert objection.kind == "widerspruch"
    assert "Widerspruch" in objection.text and objection.ocr_done
    assert reply.state == State.ABGELEGT and reply.akte_id == two.pk
    assert reply.filed_rule == "Antwortcode eines koffer-Schreibens"
    assert advert.state == State.ZU_PRUEFEN and advert.reason
    assert advert.rotated == [0]  # the upside-down page was turned
    assert "Gartenmöbel" in advert.text or "Gartenm" in advert.text

    # Filed as scans with text, a Wiedervorlage each; the objection opened its Vorgang.
    filed = Dokument.objects.for_tenant(tenant).get(pk=objection.dokument_id)
    assert filed.source == Dokument.Source.SCAN and filed.akte_id == one.pk
    assert filed.current_version is not None and filed.current_version.pdf_sha256
    assert "Widerspruch" in filed.current_version.text
    assert filed.vorgang is not None and filed.vorgang.typ.code == "widerspruch"
    assert filed.vorgang.fristen.get().label.startswith("Entscheidung über den Widerspruch")
    assert Wiedervorlage.objects.for_tenant(tenant).filter(dokument=filed).count() == 1
    assert Wiedervorlage.objects.for_tenant(tenant).filter(akte=two).count() == 1
    assert Vorgang.objects.for_tenant(tenant).filter(akte=two).count() == 0

    # Run again (a worker restarted): nothing twice.
    process_stapel(stapel=Stapel.objects.for_tenant(tenant).get(pk=stapel.pk))
    assert Eingangsdokument.objects.for_tenant(tenant).count() == 3
    assert Dokument.objects.for_tenant(tenant).filter(source=Dokument.Source.SCAN).count() == 2

    # The protocol: on the console as JSON.
    out = StringIO()
    call_command("inbox_report", str(stapel.pk), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert [d["seiten"] for d in report["dokumente"]] == [[1], [3], [5]]
    assert report["dokumente"][0]["akte"]["aktenzeichen"] == one.aktenzeichen
    assert report["dokumente"][1]["rule"] == "Antwortcode eines koffer-Schreibens"
    assert report["dokumente"][2]["state"] == "zu_pruefen"
    actions = [line["action"] for line in report["protokoll"]]
    assert actions[0] == "beginn" and actions[-1] == "abschluss"
    assert actions.count("abgelegt") == 2 and "geteilt" in actions
    assert Protokolleintrag.objects.for_tenant(tenant).filter(action="abgelegt").count() == 2
