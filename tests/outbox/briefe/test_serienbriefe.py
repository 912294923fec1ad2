from __future__ import annotations

import hashlib
import random
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from koffer.audit.models import AuditEvent
from koffer.audit.verification import verify_tenant
from koffer.blobs.store import get_store
from koffer.jobs import runner
from koffer.jobs import services as jobs
from koffer.outbox.briefe import services as briefe
from koffer.outbox.briefe import setzen
from koffer.outbox.models import Brief, BriefEreignis, Serienbrief, SerienbriefFehler, Vorlage
from koffer.outbox.satz import werkstatt
from koffer.outbox.serienbriefe import services, tasks
from koffer.records.dokumente import blob_ledger
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, DokumentVersion, PendingBlob
from tests.conftest import signed_in
from tests.factories import records as rf
from tests.outbox.briefe.conftest import Welt, vorlage

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """Stands for SIGKILL: no handler of koffer catches it."""


def _akten(welt: Welt, n: int) -> list[Akte]:
    made = [welt.akte]
    for i in range(n - 1):
        akte = rf.akte(caseworker=welt.writer, plan=welt.akte.aktenplaneinheit, unit=welt.team)
        person = akte.subjekte.get().person
        person.street, person.postal_code, person.city = f"Weg {i + 1}", "12345", "Musterstadt"
        person.save()
        made.append(akte)
    return made


def _start(welt: Welt, akten: list[Akte]) -> Serienbrief:
    v = vorlage(welt.tenant)
    return services.starten(
        actor=welt.writer,
        access=welt.access(welt.writer),
        tenant=welt.tenant,
        vorlage=v,
        akten=akten,
        auswahl="Test",
        eingaben={"frist": "31.12.2026", "betrag": "10,00 €"},
    )


def _letters(welt: Welt, serie: Serienbrief) -> list[Brief]:
    return list(Brief.objects.for_tenant(welt.tenant).filter(serienbrief=serie))


def test_a_serial_letter_files_one_letter_per_akte_and_reports_failures(welt: Welt) -> None:
    akten = _akten(welt, 6)
    broken = akten[2].subjekte.get().person
    broken.street = ""
    broken.save()
    serie = _start(welt, akten)
    assert serie.job_id is not None and runner.execute(serie.job_id) == "done"
    serie.refresh_from_db()
    assert (serie.status, serie.erstellt, serie.fehler) == ("fertig", 5, 1)
    letters = _letters(welt, serie)
    assert len(letters) == 5 and all(b.status == "freigegeben" for b in letters)
    assert {b.akte_id for b in letters} == {a.pk for a in akten} - {akten[2].pk}
    fehler = SerienbriefFehler.objects.for_tenant(welt.tenant).get(serienbrief=serie)
    assert fehler.aktenzeichen == akten[2].aktenzeichen and "Straße" in fehler.grund


def test_unknown_aktenzeichen_are_named_before_anything_starts(welt: Welt) -> None:
    found, unknown = services.resolve(
        actor=welt.writer,
        access=welt.access(welt.writer),
        tenant_id=welt.tenant.pk,
        auswahl=services.Auswahl(aktenzeichen=(welt.akte.aktenzeichen, "LA-1999-99999")),
    )
    assert [a.pk for a in found] == [welt.akte.pk] and unknown == ["LA-1999-99999"]


def test_killed_at_random_points_no_akte_gets_two_letters(
    welt: Welt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "CHUNK", 3)
    akten = _akten(welt, 10)
    serie = _start(welt, akten)
    rng = random.Random(20261206)
    kills: list[str] = []

    def deadly(name: str, original: Any) -> Any:
        def hook(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if len(kills) < 5 and rng.random() < 0.4:
                kills.append(name)
                raise Killed
            return result

        return hook

    monkeypatch.setattr(tasks, "step_reached", deadly("step", tasks.step_reached))
    monkeypatch.setattr(briefe, "freigeben", deadly("brief", briefe.freigeben))
    later = timezone.now()
    outcome = ""
    assert serie.job_id is not None
    for _ in range(40):
        try:
            outcome = runner.execute(serie.job_id)
        except Killed:
            later += timedelta(hours=1)
            assert serie.job_id in jobs.recover_stale_jobs(now=later)
            continue
        break
    assert outcome == "done" and kills
    letters = _letters(welt, serie)
    assert sorted(str(b.akte_id) for b in letters) == sorted(str(a.pk) for a in akten)
    assert all(b.dokument_id for b in letters)
    serie.refresh_from_db()
    assert serie.erstellt == 10 and serie.fehler == 0


def test_the_pages(welt: Welt) -> None:
    vorlage(welt.tenant)
    client = signed_in(welt.writer)
    assert client.get(reverse("outbox:serienbriefe")).status_code == 200
    form = client.get(reverse("outbox:serienbrief_neu")).content.decode()
    assert "Aktenzeichen, eines je Zeile" in form
    chosen = Vorlage.objects.for_tenant(welt.tenant).get()
    refused = client.post(
        reverse("outbox:serienbrief_neu"),
        {
            "starten": "1",
            "vorlage": str(chosen.pk),
            "art": "liste",
            "aktenzeichen": f"{welt.akte.aktenzeichen}\nLA-1999-99999",
            "kanal": "hybrid",
        },
    )
    assert "LA-1999-99999" in refused.content.decode()
    started = client.post(
        reverse("outbox:serienbrief_neu"),
        {
            "starten": "1",
            "vorlage": str(chosen.pk),
            "art": "einheit",
            "einheit": str(welt.team.pk),
            "kanal": "hybrid",
            "f_frist": "31.12.2026",
            "f_betrag": "5",
        },
    )
    assert started.status_code == 302
    serie = Serienbrief.objects.for_tenant(welt.tenant).get()
    assert serie.akten == [str(welt.akte.pk)]
    page = client.get(started["Location"]).content.decode()
    assert "Fortschritt" in page


def test_letters_typeset_ahead_in_child_processes_are_filed_as_made_there(
    welt: Welt, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.KOFFER_OUTBOX_SATZ_PROZESSE = 1
    monkeypatch.setattr(tasks, "POOL_AB", 1)
    monkeypatch.setattr(services, "CHUNK", 2)
    in_this_process: list[str] = []
    original = werkstatt.fertig

    def counted(data: Any, **kwargs: Any) -> werkstatt.Fertig:
        in_this_process.append(data.aktenzeichen)
        return original(data, **kwargs)

    monkeypatch.setattr(werkstatt, "fertig", counted)
    akten = _akten(welt, 5)
    broken = akten[3].subjekte.get().person
    broken.street = ""
    broken.save()
    serie = _start(welt, akten)
    store = get_store()
    ahead: list[str] = []
    original_ahead = documents.blobs_ahead

    def recorded(**kwargs: Any) -> blob_ledger.Ahead:
        ahead.extend(hashlib.sha256(data).hexdigest() for data in kwargs["datas"])
        return original_ahead(**kwargs)

    monkeypatch.setattr(documents, "blobs_ahead", recorded)
    assert serie.job_id is not None and runner.execute(serie.job_id) == "done"
    serie.refresh_from_db()
    assert (serie.erstellt, serie.fehler) == (4, 1)
    # Every letter, the one with findings too, was typeset by the child.
    assert in_this_process == []
    fehler = SerienbriefFehler.objects.for_tenant(welt.tenant).get(serienbrief=serie)
    assert fehler.akte_id == akten[3].pk and "Straße" in fehler.grund
    # Their PDFs were stored ahead: every filed one is in the store, no mark is left, and
    # the PDF of the letter that was not filed was removed again.
    assert not PendingBlob.objects.unscoped().exists()
    # (other tests may write blobs into the same store meanwhile: only these are looked at)
    filed = set(DokumentVersion.objects.for_tenant(welt.tenant).values_list("sha256", flat=True))
    assert len(filed) == 4 and len(ahead) == 5 and filed < set(ahead)
    assert all(store.exists(sha) for sha in filed)
    assert not any(store.exists(sha) for sha in set(ahead) - filed)
    for brief in _letters(welt, serie):
        assert brief.seiten >= 1 and brief.dokument_id is not None
        text = " ".join(
            DokumentVersion.objects.for_tenant(welt.tenant)
            .filter(dokument_id=brief.dokument_id)
            .values_list("text", flat=True)
        )
        assert brief.akte.aktenzeichen in text


def test_a_letter_typeset_ahead_is_typeset_again_when_its_data_changed(
    welt: Welt, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = vorlage(welt.tenant)
    brief = briefe.entwerfen(
        actor=welt.writer, access=welt.access(welt.writer), akte=welt.akte, vorlage=v
    )
    today = timezone.localdate()
    data = setzen.briefsatz(brief, briefdatum=today)
    ahead = werkstatt.fertig(data, duplex=brief.duplex)
    calls: list[str] = []
    original = werkstatt.fertig
    monkeypatch.setattr(
        werkstatt, "fertig", lambda d, **kw: calls.append(d.anschrift.strasse) or original(d, **kw)
    )
    same = setzen.setze(brief, briefdatum=today, vorgesetzt=setzen.Vorgesetzt(data, ahead))
    assert calls == [] and same.pdf == ahead.pdf
    brief.anschrift = {**brief.anschrift, "strasse": "Neue Straße 5"}
    again = setzen.setze(brief, briefdatum=today, vorgesetzt=setzen.Vorgesetzt(data, ahead))
    assert calls == ["Neue Straße 5"] and again.pdf != ahead.pdf
    # A child that died: its letter is typeset by the job itself.
    dead: Future[werkstatt.Fertig] = Future()
    dead.set_exception(BrokenProcessPool("child died"))
    assert services._vorgesetzt(services.Vorbereitet(brief, data, dead)) is None


def test_blobs_stored_ahead_of_a_killed_chunk_are_collected(welt: Welt) -> None:
    """The marks are committed before the chunk's transaction: a process killed before
    the chunk committed (nothing closes the batch) leaves marks, never an orphan blob."""
    store = get_store()
    ahead = documents.blobs_ahead(tenant_id=welt.tenant.pk, datas=[b"%PDF-1.7 a", b"%PDF-1.7 b"])
    ahead._writer.shutdown(wait=True)  # the writes were done when the process died
    shas = [sha for sha in (PendingBlob.objects.unscoped().values_list("sha256", flat=True))]
    assert len(shas) == 2 and all(store.exists(sha) for sha in shas)
    report = blob_ledger.collect(older_than=timedelta(0))
    assert sorted(report.removed) == sorted(shas)
    assert not any(store.exists(sha) for sha in shas)
    assert not PendingBlob.objects.unscoped().exists()


def test_a_blob_stored_ahead_and_not_taken_is_removed_unless_another_needs_it(welt: Welt) -> None:
    store = get_store()
    before = store.put(b"%PDF-1.7 already there").sha256
    ahead = documents.blobs_ahead(
        tenant_id=welt.tenant.pk, datas=[b"%PDF-1.7 already there", b"%PDF-1.7 new"]
    )
    new = next(
        sha
        for sha in PendingBlob.objects.unscoped().values_list("sha256", flat=True)
        if sha != before
    )
    with documents.using_blobs_ahead(ahead):
        assert blob_ledger._ahead.get() is ahead
    report = ahead.close()
    assert report.removed == [new] and report.kept == [before]
    assert store.exists(before) and not store.exists(new)


def test_a_chunk_writes_each_letter_in_few_statements_and_still_audits_every_step(
    welt: Welt, django_assert_max_num_queries: Any
) -> None:
    akten = _akten(welt, 6)
    serie = _start(welt, akten)
    # Each letter: only its blob's mark (announced here, as no blobs were stored ahead:
    # a savepoint, the advisory lock on PostgreSQL, the insert, the release); the chunk:
    # its reads (the addressees in one), each table's INSERT for all letters (Dokumente,
    # versions, search entries, letters, their events, the audit bundles), the Akten's
    # time, the marks settled, the counts. It was 18 a letter before the chunk was
    # written in bulk, 29 with two reads of the first person and the head read per event.
    with django_assert_max_num_queries(6 * 6 + 24), transaction.atomic():
        counts = services.make_chunk(serie=serie, akte_ids=[str(a.pk) for a in akten])
    assert counts == {"erstellt": 6, "zur_freigabe": 0, "fehler": 0}
    assert verify_tenant(welt.tenant.pk).ok
    for brief in _letters(welt, serie):
        assert brief.status == "freigegeben" and brief.dokument is not None
        assert brief.dokument.current_version is not None
        person = akten[[a.pk for a in akten].index(brief.akte_id)].subjekte.get().person
        assert brief.empfaenger_id == person.pk
        events = BriefEreignis.objects.for_tenant(welt.tenant).filter(brief=brief)
        assert sorted(e.status for e in events) == ["entwurf", "freigegeben"]
        actions = [
            e.action
            for e in AuditEvent.objects.filter(tenant_id=welt.tenant.pk).order_by("seq")
            if e.object_id in (str(brief.pk), str(brief.dokument_id))
        ]
        assert actions == [
            "outbox.brief.entworfen",
            "records.dokument.create",
            "outbox.brief.freigegeben",
        ]
        filed = AuditEvent.objects.get(
            tenant_id=welt.tenant.pk, action="records.dokument.create", object_id=brief.dokument_id
        )
        assert filed.subject_id == str(person.pk)


def test_killed_inside_a_chunk_written_in_bulk_nothing_of_it_stays_and_the_rerun_makes_each_once(
    welt: Welt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "CHUNK", 4)
    akten = _akten(welt, 6)
    serie = _start(welt, akten)
    original = documents.file_letters
    kills: list[int] = []

    def deadly(**kwargs: Any) -> Any:
        made = original(**kwargs)  # the chunk's rows and audit events written, not committed
        if not kills:
            kills.append(len(made))
            raise Killed
        return made

    monkeypatch.setattr(documents, "file_letters", deadly)
    assert serie.job_id is not None
    with pytest.raises(Killed):
        runner.execute(serie.job_id)
    assert kills == [4] and not _letters(welt, serie)
    assert verify_tenant(welt.tenant.pk).ok
    assert serie.job_id in jobs.recover_stale_jobs(now=timezone.now() + timedelta(hours=1))
    assert runner.execute(serie.job_id) == "done"
    letters = _letters(welt, serie)
    assert sorted(str(b.akte_id) for b in letters) == sorted(str(a.pk) for a in akten)
    assert len({b.dokument_id for b in letters}) == 6
    assert (
        DokumentVersion.objects.for_tenant(welt.tenant)
        .filter(upload_key__in=[f"postausgang:{b.pk}" for b in letters])
        .count()
        == 6
    )
    audited = AuditEvent.objects.filter(
        tenant_id=welt.tenant.pk, action="outbox.brief.freigegeben"
    ).values_list("object_id", flat=True)
    assert sorted(audited) == sorted(str(b.pk) for b in letters)
    assert verify_tenant(welt.tenant.pk).ok
    blob_ledger.collect(older_than=timedelta(0))
    assert all(get_store().exists(b.dokument.current_version.sha256) for b in letters)  # type: ignore[union-attr]


def test_a_serial_letter_that_needs_four_eyes_waits_letter_by_letter(welt: Welt) -> None:
    akten = _akten(welt, 3)
    v = vorlage(welt.tenant, code="bescheid", vier_augen=True)
    serie = services.starten(
        actor=welt.writer,
        access=welt.access(welt.writer),
        tenant=welt.tenant,
        vorlage=v,
        akten=akten,
        auswahl="Test",
        eingaben={"frist": "31.12.2026", "betrag": "10,00 €"},
    )
    assert serie.job_id is not None and runner.execute(serie.job_id) == "done"
    serie.refresh_from_db()
    assert (serie.erstellt, serie.zur_freigabe, serie.fehler) == (0, 3, 0)
    letters = _letters(welt, serie)
    assert all(b.status == "zur_freigabe" and b.dokument_id is None for b in letters)
    assert verify_tenant(welt.tenant.pk).ok
