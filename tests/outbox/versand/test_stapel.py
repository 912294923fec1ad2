"""Batches at the cut-off times: every released hybrid letter in exactly one batch, the
ZIP with each PDF and a manifest, postage classes from the page count."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.outbox.models import Brief, Stapelbrief, Versandstapel
from koffer.outbox.versand import paket, porto, services, tasks
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests.outbox.factories import released_letter
from tests.outbox.versand.conftest import Provider

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    from django.utils import timezone

    today = timezone.localdate()
    return datetime.combine(today, datetime.min.time(), tzinfo=BERLIN).replace(
        hour=hour, minute=minute
    ) + timedelta(days=days)


def zip_of(stapel: Versandstapel) -> zipfile.ZipFile:
    with get_store().open(stapel.zip_sha256) as stream:
        return zipfile.ZipFile(io.BytesIO(stream.read()))


@pytest.mark.parametrize(
    ("seiten", "duplex", "klasse", "gramm"),
    [
        (1, True, "Standardbrief", 10),
        (6, True, "Standardbrief", 20),
        (7, True, "Kompaktbrief", 25),
        (9, False, "Kompaktbrief", 50),
        (10, False, "Großbrief", 55),
        (198, True, "Großbrief", 500),
        (199, False, "Maxibrief", 1000),
        (200, False, None, 1005),
    ],
)
def test_postage_class_follows_from_sheets_and_weight(
    seiten: int, duplex: bool, klasse: str | None, gramm: int
) -> None:
    p = porto.klasse(seiten, duplex=duplex)
    assert (p.klasse, p.gramm) == (klasse, gramm)


def test_a_cut_off_puts_every_waiting_letter_in_one_batch_with_a_complete_zip(
    tenant: Mandant, akte: Akte, team_caseworker: User, provider: Provider
) -> None:
    early = released_letter(
        tenant, akte, actor=team_caseworker, seiten=3, freigegeben_at=at(9), einschreiben="einwurf"
    )
    simplex = released_letter(
        tenant, akte, actor=team_caseworker, seiten=1, duplex=False, freigegeben_at=at(9, 30)
    )
    late = released_letter(tenant, akte, actor=team_caseworker, freigegeben_at=at(10, 5))
    lokal = released_letter(
        tenant, akte, actor=team_caseworker, kanal="lokal", freigegeben_at=at(8)
    )

    assert tasks.runde(now=at(9, 59)) == []  # before the first cut-off of the day: nothing
    [stapel] = tasks.runde(now=at(10, 1))
    stapel.refresh_from_db()
    assert stapel.status == "bereit" and stapel.druckdienst == provider.dienst
    rows = list(Stapelbrief.objects.for_tenant(tenant).filter(stapel=stapel))
    assert [r.brief_id for r in rows] == [early.pk, simplex.pk]
    statuses = dict(Brief.objects.for_tenant(tenant).values_list("pk", "status"))
    assert statuses[early.pk] == statuses[simplex.pk] == "im_stapel"
    assert statuses[late.pk] == "freigegeben" and statuses[lokal.pk] == "freigegeben"

    archive = zip_of(stapel)
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["stapel"] == str(stapel.pk)
    first, second = manifest["briefe"]
    assert first == {
        "id": str(early.pk),
        "datei": rows[0].dateiname,
        "seiten": 3,
        "blaetter": 2,
        "druck": "duplex",
        "farbe": False,
        "anlagen": ["Antragsformular"],
        "gewicht_g": 15,
        "portoklasse": "Standardbrief",
        "einschreiben": "einwurf",
    }
    assert (second["druck"], second["blaetter"], second["einschreiben"]) == ("simplex", 1, None)
    for entry in manifest["briefe"]:
        assert len(pdfium.PdfDocument(archive.read(entry["datei"]))) == entry["seiten"]

    # The same cut-off again makes nothing; the next takes the later letter.
    assert tasks.runde(now=at(14)) == []
    [next_batch] = tasks.runde(now=at(15))
    assert list(
        Stapelbrief.objects.for_tenant(tenant)
        .filter(stapel=next_batch)
        .values_list("brief_id", flat=True)
    ) == [late.pk]
    assert (
        AuditEvent.objects.filter(tenant_id=tenant.pk, action="outbox.versandstapel.create").count()
        == 2
    )


def test_packing_again_gives_the_same_bytes(
    tenant: Mandant, akte: Akte, team_caseworker: User, provider: Provider
) -> None:
    released_letter(tenant, akte, actor=team_caseworker, freigegeben_at=at(9))
    stapel = services.stapeln(tenant_id=tenant.pk, now=at(10))
    assert stapel is not None
    again = Versandstapel.objects.for_tenant(tenant).get(pk=stapel.pk)
    packed = services.packen(stapel=stapel)
    assert packed.zip_sha256
    # A second worker that read the batch while it was open packs the same bytes, and
    # keeps the first one's.
    assert services.packen(stapel=again).zip_sha256 == packed.zip_sha256
    with get_store().open(packed.zip_sha256) as stream:
        stored = stream.read()
    assert paket.zip_bytes(again, services.inhalte(again), get_store().open) == stored


def test_no_provider_no_batch_and_a_letter_too_heavy_waits(
    tenant: Mandant, akte: Akte, team_caseworker: User
) -> None:
    released_letter(tenant, akte, actor=team_caseworker, freigegeben_at=at(9))
    assert services.stapeln(tenant_id=tenant.pk, now=at(10)) is None
    assert not Versandstapel.objects.for_tenant(tenant).exists()


def test_the_last_cut_off_before_the_first_of_the_day_is_yesterdays_last() -> None:
    assert services.letzter_schluss(["10:00", "15:00"], at(9, 59)) == at(15, days=-1)
    assert services.letzter_schluss(["10:00", "15:00"], at(10)) == at(10)
    assert services.letzter_schluss(["10:00", "15:00"], at(23, 59)) == at(15)


def test_the_database_refuses_a_letter_in_two_active_batches(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    provider: Provider,
    second_provider: Provider,
) -> None:
    from django.db import IntegrityError, transaction

    released_letter(tenant, akte, actor=team_caseworker, freigegeben_at=at(9))
    stapel = services.stapeln(tenant_id=tenant.pk, now=at(10))
    assert stapel is not None
    row = Stapelbrief.objects.for_tenant(tenant).get(stapel=stapel)
    second = Versandstapel.objects.create(
        tenant=tenant,
        nummer="zweiter",
        druckdienst=provider.dienst,
        schluss=at(15),
        created_at=at(15),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Stapelbrief.objects.create(
            tenant=tenant, stapel=second, brief_id=row.brief_id, position=1, dateiname="x.pdf"
        )
    # A second worker at the same cut-off: the first batch of a cut-off is unique, too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Versandstapel.objects.create(
            tenant=tenant,
            nummer="doppelt",
            druckdienst=second_provider.dienst,
            schluss=at(10),
            created_at=at(10),
        )
