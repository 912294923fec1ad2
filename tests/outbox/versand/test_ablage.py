"""The drop folder (Ablageordner) of a print provider: a packed batch appears in
``ausgang/`` whole and the same bytes again, the receipt marks it fetched, report files
in ``eingang/`` go through the API's service (idempotent, out of order), a broken file
waits in ``fehler/`` with its reason on the mail-room page until read again, folders
outside the root are refused, and a batch taken over leaves the first folder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.outbox.errors import Invalid
from koffer.outbox.models import Ablagefehler, Brief, BriefEreignis, Druckdienst, Versandstapel
from koffer.outbox.versand import ablage, tasks
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.outbox.factories import released_letter
from tests.outbox.versand.conftest import Provider, to_folder
from tests.outbox.versand.test_stapel import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_room(tenant: Mandant, team: Organisationseinheit) -> User:
    return factories.user(tenant, role="poststelle", unit_=team)


def packed(tenant: Mandant, akte: Akte, caseworker: User, n: int = 1) -> Versandstapel:
    for _ in range(n):
        released_letter(tenant, akte, actor=caseworker, freigegeben_at=at(9))
    [stapel] = tasks.runde(now=at(10))
    return Versandstapel.objects.for_tenant(tenant).get(pk=stapel.pk)


def _drop(root: Path, name: str, data: Any) -> Path:
    """The provider writes a file the way the protocol asks: ``.tmp`` first, then renamed."""
    eingang = root / "druckhaus/nord/eingang"
    temp = eingang / f"{name}.tmp"
    temp.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return temp.rename(eingang / name)


def _letters(tenant: Mandant, stapel: Versandstapel) -> list[Brief]:
    return list(
        Brief.objects.for_tenant(tenant)
        .filter(pk__in=stapel.briefe.values("brief_id"))
        .order_by("pk")
    )


def test_a_packed_batch_lands_in_the_folder_whole_and_writing_again_gives_the_same_bytes(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    folder_provider: Provider,
    root: Path,
    mail_room: User,
) -> None:
    stapel = packed(tenant, akte, team_caseworker)
    ausgang = root / "druckhaus/nord/ausgang"
    zip_path = ausgang / f"{stapel.nummer}.zip"
    with get_store().open(stapel.zip_sha256) as stream:
        assert zip_path.read_bytes() == stream.read()
    assert (ausgang / f"{stapel.nummer}.zip.sha256").read_text() == (
        f"{hashlib.sha256(zip_path.read_bytes()).hexdigest()}  {stapel.nummer}.zip\n"
    )
    assert stapel.abgelegt_at is not None and stapel.status == "bereit"
    page = signed_in(mail_room).get(reverse("outbox:versandstapel", args=[stapel.pk]))
    assert f"ausgang/{stapel.nummer}.zip" in page.content.decode()
    assert sorted(p.name for p in ausgang.iterdir()) == [
        f"{stapel.nummer}.zip",
        f"{stapel.nummer}.zip.sha256",
    ]

    # Again (a crash before the row was updated): the same bytes, audited once.
    first = zip_path.read_bytes()
    assert ablage.ablegen(stapel=stapel)
    assert zip_path.read_bytes() == first
    tasks.runde(now=at(10, 5))
    assert AuditEvent.objects.filter(action="outbox.versandstapel.ablage").count() == 1


def test_an_api_providers_batch_is_not_written(
    tenant: Mandant, akte: Akte, team_caseworker: User, provider: Provider, root: Path
) -> None:
    stapel = packed(tenant, akte, team_caseworker)
    assert stapel.abgelegt_at is None and not root.exists()


def test_the_receipt_marks_the_batch_fetched_and_takes_the_zip_away(
    tenant: Mandant, akte: Akte, team_caseworker: User, folder_provider: Provider, root: Path
) -> None:
    stapel = packed(tenant, akte, team_caseworker)
    _drop(root, f"{stapel.nummer}.quittung.json", {"sha256": "0" * 64})
    [wrong] = ablage.runde()
    assert "Prüfsumme" in wrong.fehler[0]
    stapel.refresh_from_db()
    assert stapel.status == "bereit"

    _drop(root, f"{stapel.nummer}.quittung.json", {"sha256": stapel.zip_sha256})
    [done] = ablage.runde()
    assert done.fehler == []
    stapel.refresh_from_db()
    assert stapel.status == "abgeholt" and stapel.abgeholt_at is not None
    assert {b.status for b in _letters(tenant, stapel)} == {"abgeholt"}
    folder = root / "druckhaus/nord"
    assert list((folder / "ausgang").iterdir()) == []
    assert (folder / "verarbeitet" / f"{stapel.nummer}.quittung.json").is_file()
    event = AuditEvent.objects.get(action="outbox.versandstapel.fetch")
    assert event.actor_id == folder_provider.user.pk


def _reports(brief: Brief, *statuses: str) -> list[dict[str, Any]]:
    from django.utils import timezone

    return [
        {
            "brief_id": str(brief.pk),
            "ereignis_id": f"{brief.pk}:{s}",
            "status": s,
            **({"versanddatum": timezone.localdate().isoformat()} if s == "versendet" else {}),
        }
        for s in statuses
    ]


def test_a_reports_file_is_applied_once_and_the_same_file_again_changes_nothing(
    tenant: Mandant, akte: Akte, team_caseworker: User, folder_provider: Provider, root: Path
) -> None:
    stapel = packed(tenant, akte, team_caseworker, n=2)
    first, second = _letters(tenant, stapel)
    reports = _reports(first, "empfangen", "gedruckt", "versendet") + _reports(second, "empfangen")
    _drop(root, "meldungen.json", reports)
    [result] = ablage.runde()
    assert result.fehler == []
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("versendet", "empfangen")
    assert first.bekanntgabe_am is not None
    stapel.refresh_from_db()
    assert stapel.status == "bestaetigt"  # a report confirms the batch, as over the API
    events = BriefEreignis.objects.for_tenant(tenant).count()
    audits = AuditEvent.objects.filter(action="outbox.brief.report").count()

    _drop(root, "meldungen.json", reports)
    [again] = ablage.runde()
    assert again.fehler == []
    assert BriefEreignis.objects.for_tenant(tenant).count() == events
    assert AuditEvent.objects.filter(action="outbox.brief.report").count() == audits
    verarbeitet = root / "druckhaus/nord/verarbeitet"
    assert sorted(p.name for p in verarbeitet.iterdir()) == ["meldungen-2.json", "meldungen.json"]


def test_reports_out_of_order_never_take_a_letter_back(
    tenant: Mandant, akte: Akte, team_caseworker: User, folder_provider: Provider, root: Path
) -> None:
    stapel = packed(tenant, akte, team_caseworker)
    [brief] = _letters(tenant, stapel)
    _drop(root, "b.json", _reports(brief, "empfangen"))
    _drop(root, "a.json", _reports(brief, "versendet", "gedruckt"))
    assert [r.fehler for r in ablage.runde()] == [[], []]
    brief.refresh_from_db()
    assert brief.status == "versendet"
    assert set(
        BriefEreignis.objects.for_tenant(tenant)
        .filter(brief=brief)
        .values_list("status", flat=True)
    ) >= {"empfangen", "gedruckt", "versendet"}


def test_a_file_still_being_written_and_other_names_are_left_alone(
    tenant: Mandant, akte: Akte, team_caseworker: User, folder_provider: Provider, root: Path
) -> None:
    packed(tenant, akte, team_caseworker)
    eingang = root / "druckhaus/nord/eingang"
    (eingang / "meldungen.json.tmp").write_text("[{")
    (eingang / ".versteckt.json").write_text("[]")
    (eingang / "liesmich.txt").write_text("hallo")
    assert ablage.runde() == []
    assert sorted(p.name for p in eingang.iterdir() if p.is_file()) == [
        ".versteckt.json",
        "liesmich.txt",
        "meldungen.json.tmp",
    ]
    assert not Ablagefehler.objects.for_tenant(tenant).exists()


def test_a_broken_file_waits_in_fehler_with_its_reason_on_the_page_until_read_again(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    folder_provider: Provider,
    root: Path,
    mail_room: User,
) -> None:
    stapel = packed(tenant, akte, team_caseworker)
    [brief] = _letters(tenant, stapel)
    _drop(root, "kaputt.json", b'[{"brief_id": ')
    unknown = {**_reports(brief, "gedruckt")[0], "brief_id": "0190f0f0-0000-7000-8000-000000000000"}
    _drop(root, "teils.json", [*_reports(brief, "empfangen"), unknown])
    results = {r.datei: r.fehler for r in ablage.runde()}
    assert "kein gültiges JSON" in results["kaputt.json"][0]
    assert results["teils.json"] == [
        "Meldung 2 (Brief 0190f0f0-0000-7000-8000-000000000000): Diesen Brief gibt es nicht."
    ]
    brief.refresh_from_db()
    assert brief.status == "empfangen"  # the good report of the file is applied
    fehler = root / "druckhaus/nord/fehler"
    assert sorted(p.name for p in fehler.iterdir()) == [
        "kaputt.json",
        "kaputt.json.fehler.txt",
        "teils.json",
        "teils.json.fehler.txt",
    ]
    assert "Diesen Brief gibt es nicht" in (fehler / "teils.json.fehler.txt").read_text()

    client = signed_in(mail_room)
    page = client.get(reverse("outbox:versand")).content.decode()
    assert "fehler/kaputt.json" in page and "kein gültiges JSON" in page
    assert "erneut einlesen" in page

    # The provider fixes the file; the mail room reads it again.
    (fehler / "kaputt.json").write_text(json.dumps(_reports(brief, "gedruckt")))
    row = Ablagefehler.objects.for_tenant(tenant).get(datei="kaputt.json")
    done = client.post(reverse("outbox:ablage_erneut", args=[row.pk]))
    assert done.status_code == 302
    brief.refresh_from_db()
    assert brief.status == "gedruckt"
    row.refresh_from_db()
    assert row.erledigt_at is not None
    assert not (fehler / "kaputt.json").exists()
    assert (root / "druckhaus/nord/verarbeitet/kaputt.json").is_file()
    page = client.get(reverse("outbox:versand")).content.decode()
    assert "fehler/kaputt.json" not in page and "fehler/teils.json" in page

    # Read again unchanged, it fails again: a new entry with the reason.
    other = Ablagefehler.objects.for_tenant(tenant).get(datei="teils.json")
    client.post(reverse("outbox:ablage_erneut", args=[other.pk]))
    assert (
        Ablagefehler.objects.for_tenant(tenant)
        .filter(datei="teils.json", erledigt_at__isnull=True)
        .count()
        == 1
    )
    assert AuditEvent.objects.filter(action="outbox.ablage.erneut").count() == 2
    assert signed_in(team_caseworker).post(
        reverse("outbox:ablage_erneut", args=[other.pk])
    ).status_code in (403, 404)


@pytest.mark.parametrize(
    "ordner", ["../draussen", "/etc", "a/../../b", ".versteckt", "a\\b", "", "   "]
)
def test_a_folder_outside_the_root_is_refused(
    tenant: Mandant, admin_user: User, provider: Provider, root: Path, ordner: str
) -> None:
    with pytest.raises(Invalid) as refused:
        to_folder(tenant, admin_user, provider, ordner)
    assert "Ablageordner" in refused.value.message


def test_a_link_out_of_the_root_is_refused(
    tenant: Mandant, admin_user: User, provider: Provider, root: Path, tmp_path: Path
) -> None:
    root.mkdir()
    (tmp_path / "draussen").mkdir()
    (root / "link").symlink_to(tmp_path / "draussen")
    with pytest.raises(Invalid, match="Unterordner des Ablage-Stammordners"):
        to_folder(tenant, admin_user, provider, "link/x")


def test_the_administration_chooses_the_drop_folder_on_the_providers_page(
    tenant: Mandant, admin_user: User, zentrale: Organisationseinheit, root: Path
) -> None:
    client = signed_in(admin_user)
    url = reverse("outbox:versand_regeln")
    konto = factories.user(tenant, role="druckdienst", unit_=zentrale, is_machine=True)
    form = {
        "teil": "dienst",
        "dienst-konto": str(konto.pk),
        "dienst-name": "Druckhaus Nord",
        "dienst-rang": "1",
        "dienst-bestaetigung_minuten": "120",
        "dienst-is_active": "on",
        "dienst-kanal": "ablage",
    }
    bad = client.post(url, {**form, "dienst-ordner": "../etc"})
    assert bad.status_code == 200 and "Unterordner des Ablage-Stammordners" in bad.content.decode()
    done = client.post(url, {**form, "dienst-ordner": "nord"})
    assert done.status_code == 302
    dienst = Druckdienst.objects.for_tenant(tenant).get()
    assert (dienst.kanal, dienst.ordner) == ("ablage", "nord")
    assert (root / "nord/ausgang").is_dir() and (root / "nord/eingang").is_dir()
    assert "Ablageordner: <code>nord</code>" in client.get(url).content.decode()
    event = AuditEvent.objects.get(action="outbox.druckdienst.create")
    assert event.changes["kanal"] == "ablage" and event.changes["ordner"] == "nord"


def test_a_batch_nobody_fetched_is_taken_over_and_leaves_the_first_folder(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    folder_provider: Provider,
    second_provider: Provider,
    root: Path,
) -> None:
    stapel = packed(tenant, akte, team_caseworker)
    zip_path = root / "druckhaus/nord/ausgang" / f"{stapel.nummer}.zip"
    assert zip_path.is_file()
    [taken] = tasks.runde(now=at(11, 1))  # the provider's 60 minutes are over
    assert taken.druckdienst == second_provider.dienst
    stapel.refresh_from_db()
    assert stapel.status == "uebernommen"
    assert not zip_path.exists() and not zip_path.with_name(f"{zip_path.name}.sha256").exists()
    removed = AuditEvent.objects.get(action="outbox.versandstapel.ablage_entfernt")
    assert removed.changes["grund"] == "übernommen"

    # A late receipt is refused with the reason, kept in fehler/.
    _drop(root, f"{stapel.nummer}.quittung.json", {"sha256": stapel.zip_sha256})
    [late] = ablage.runde()
    assert "übernommen" in late.fehler[0]


def test_a_receipt_kept_under_a_numbered_name_still_names_its_batch_when_read_again(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    folder_provider: Provider,
    root: Path,
    mail_room: User,
) -> None:
    stapel = packed(tenant, akte, team_caseworker)
    name = f"{stapel.nummer}.quittung.json"
    for _ in range(2):
        _drop(root, name, {"sha256": "f" * 64})
        ablage.runde()
    kept = root / "druckhaus/nord/fehler" / f"{stapel.nummer}-2.quittung.json"
    kept.write_text(json.dumps({"sha256": stapel.zip_sha256}))
    row = Ablagefehler.objects.for_tenant(tenant).get(datei=kept.name)
    [result] = ablage.erneut_einlesen(
        actor=mail_room,
        access=Access.for_user(mail_room.pk, tenant.pk),
        tenant=tenant,
        ablagefehler_id=row.pk,
    )
    assert result.fehler == []
    stapel.refresh_from_db()
    assert stapel.status == "abgeholt"


def test_a_folder_another_provider_uses_is_refused_also_above_or_inside_it(
    tenant: Mandant,
    admin_user: User,
    folder_provider: Provider,
    second_provider: Provider,
    root: Path,
) -> None:
    for taken in ("druckhaus/nord", "druckhaus", "druckhaus/nord/innen"):
        with pytest.raises(Invalid, match="nutzt schon ein anderer Druckdienst"):
            to_folder(tenant, admin_user, second_provider, taken)
    assert to_folder(tenant, admin_user, second_provider, "druckhaus/sued").ordner == (
        "druckhaus/sued"
    )
    # Its own folder again: no conflict with itself.
    assert to_folder(tenant, admin_user, folder_provider, "druckhaus/nord").kanal == "ablage"
