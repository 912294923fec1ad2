"""Migration from the previous specialist software: the dry run reports every rejected row
with its reason, the import creates Personen, Bedarfsgemeinschaften and Akten through the
E-Akte's services, a re-run creates nothing new, and an import killed mid-way resumes with
exact counts and no duplicates."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from benchmarks.inbox_altsystem import HEAD_AKTEN, HEAD_BG, HEAD_PERSONEN, csv_bytes, export
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.inbox.migration import dateien, selectors, services, tasks
from koffer.inbox.migration.abgleich import Abgleich
from koffer.inbox.models import Altsystemschluessel, Importlauf
from koffer.inbox.rueckscan import selectors as rueckscan_selectors
from koffer.jobs import runner
from koffer.jobs import services as jobs
from koffer.jobs.models import Job
from koffer.records import services as records
from koffer.records.models import Akte, Aktenplaneinheit, Bedarfsgemeinschaft, BgMitglied, Person
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.factories import records as record_factories

pytestmark = pytest.mark.django_db
URL = "/posteingang/migration/"


class Killed(BaseException):
    """Stands for SIGKILL: no handler of koffer catches it."""


@pytest.fixture
def plan(tenant: Mandant) -> Aktenplaneinheit:
    return record_factories.leistungsplan(tenant)


@pytest.fixture
def standort(tenant: Mandant) -> Organisationseinheit:
    return tenancy.create_unit(
        actor=None,
        tenant=tenant,
        parent=factories.root_unit(tenant),
        name="Standort Nord",
        kind="standort",
    )


@pytest.fixture
def team(tenant: Mandant, standort: Organisationseinheit) -> Organisationseinheit:
    return factories.unit(tenant, "Leistungsteam Nord", parent=standort)


@pytest.fixture
def admin(tenant: Mandant) -> User:
    return factories.user(tenant, role="mandant_admin")


def _uploads(files: dict[str, bytes]) -> list[services.Upload]:
    return [services.Upload(n, d) for n, d in files.items()]


def _import(
    tenant: Mandant, admin: User, files: dict[str, bytes], unit: Organisationseinheit | None = None
) -> Importlauf:
    lauf = services.check_import(
        actor=admin, access=None, tenant=tenant, uploads=_uploads(files), default_unit=unit
    )
    lauf = services.start_import(actor=admin, access=None, lauf=lauf)
    assert lauf.job_id is not None
    assert runner.execute(lauf.job_id) == "done"
    lauf.refresh_from_db()
    return lauf


def _rejections(lauf: Importlauf, *, probelauf: bool) -> set[tuple[str, int, str, str, str]]:
    return {
        (a.datei, a.zeile, a.spalte, a.wert, a.grund)
        for a in selectors.ablehnungen(lauf, probelauf=probelauf)
    }


def test_dry_run_reports_every_rejected_row_and_why_and_writes_nothing(
    tenant: Mandant, admin: User, plan: Aktenplaneinheit, team: Organisationseinheit
) -> None:
    files = {
        "personen.csv": csv_bytes(
            HEAD_PERSONEN,
            [
                "P1;Yilmaz;Deniz;;03.11.1979;123D765432;Hauptstr. 1;12345;Musterstadt",  # 2
                "P2;;Ohne;;;;;;",  # 3: missing name
                "P3;Becker;Tina;;31.02.1980;;;;",  # 4: bad date
                "P4;Klein;Max;;;12D34;;;",  # 5: bad Kundennummer
                "P1;Yilmaz;Doppelt;;;;;;",  # 6: duplicate key
                "P5;Schulz;Lena;;;123D765432;;;",  # 7: Kundennummer twice
                "P6;Schulz;Ben;;;;;1234;",  # 8: bad postcode
                "P7;Schulz;Mia;;01.01.2015;;;;",  # 9: fine
            ],
        ),
        "bedarfsgemeinschaften.csv": csv_bytes(
            HEAD_BG,
            [
                "BG-1;P1;antragsteller",  # 2
                "BG-1;P7;kind",  # 3
                "BG-1;P3;kind",  # 4: person was rejected
                "BG-1;P9;partner",  # 5: unknown person
                "BG-2;P7;Onkel",  # 6: unknown role
                "BG-1;P7;kind",  # 7: duplicate membership
                ";P1;kind",  # 8: missing BG-Nummer
            ],
        ),
        "akten.csv": csv_bytes(
            HEAD_AKTEN,
            [
                "A1;Leistungsakte Yilmaz;50.2;Leistungsteam Nord;BG-1;P1,P7;15.03.2019",  # 2
                "A2;Akte;99.9;Leistungsteam Nord;;;",  # 3: unknown plan unit
                "A3;Akte;50.2;Team Süd;;;",  # 4: unknown unit
                "A4;Akte;50.2;;;;",  # 5: no unit and none chosen
                "A5;Akte;50.2;Leistungsteam Nord;BG-9;;",  # 6: unknown BG
                "A6;Akte;50.2;Leistungsteam Nord;;P2;",  # 7: person rejected
                "A7;Akte;50.2;Leistungsteam Nord;;;2019-03-15",  # 8: bad date
                "A1;Doppelt;50.2;Leistungsteam Nord;;;",  # 9: duplicate key
                "A8;;50.2;Leistungsteam Nord;;;",  # 10: missing title
            ],
        ),
    }
    lauf = services.check_import(actor=admin, access=None, tenant=tenant, uploads=_uploads(files))

    assert _rejections(lauf, probelauf=True) == {
        ("personen.csv", 3, "familienname", "", "Pflichtangabe fehlt"),
        ("personen.csv", 4, "geburtsdatum", "31.02.1980", "kein gültiges Datum (TT.MM.JJJJ)"),
        (
            "personen.csv",
            5,
            "kundennummer",
            "12D34",
            "„12D34“ ist keine Kundennummer. Sie hat drei Ziffern, einen Buchstaben und sechs "
            "Ziffern, z. B. 123D456789.",
        ),
        ("personen.csv", 6, "person_id", "P1", "doppelter Schlüssel: schon in Zeile 2"),
        ("personen.csv", 7, "kundennummer", "123D765432", "Kundennummer doppelt: schon in Zeile 2"),
        ("personen.csv", 8, "plz", "1234", "keine Postleitzahl (fünf Ziffern)"),
        (
            "bedarfsgemeinschaften.csv",
            4,
            "person_id",
            "P3",
            "unbekannte Person (nicht in personen.csv oder abgelehnt)",
        ),
        (
            "bedarfsgemeinschaften.csv",
            5,
            "person_id",
            "P9",
            "unbekannte Person (nicht in personen.csv oder abgelehnt)",
        ),
        (
            "bedarfsgemeinschaften.csv",
            6,
            "rolle",
            "Onkel",
            "unbekannte Rolle (antragsteller, partner, kind, sonstige)",
        ),
        (
            "bedarfsgemeinschaften.csv",
            7,
            "bg_nummer",
            "BG-1",
            "doppelter Schlüssel: schon in Zeile 3",
        ),
        ("bedarfsgemeinschaften.csv", 8, "bg_nummer", "", "Pflichtangabe fehlt"),
        ("akten.csv", 3, "aktenplan", "99.9", "unbekannte Aktenplaneinheit"),
        ("akten.csv", 4, "einheit", "Team Süd", "unbekannte Organisationseinheit"),
        (
            "akten.csv",
            5,
            "einheit",
            "",
            "Pflichtangabe fehlt, und für den Import ist keine Einheit gewählt",
        ),
        ("akten.csv", 6, "bg_nummer", "BG-9", "unbekannte Bedarfsgemeinschaft"),
        (
            "akten.csv",
            7,
            "personen",
            "P2",
            "unbekannte Person (nicht in personen.csv oder abgelehnt)",
        ),
        ("akten.csv", 8, "eroeffnet_am", "2019-03-15", "kein gültiges Datum (TT.MM.JJJJ)"),
        ("akten.csv", 9, "akte_id", "A1", "doppelter Schlüssel: schon in Zeile 2"),
        ("akten.csv", 10, "titel", "", "Pflichtangabe fehlt"),
    }
    assert lauf.probelauf["neu"] == 2 + 1 + 1  # P1, P7; BG-1 (its member P7: a change); A1
    assert lauf.probelauf["je_art"]["bg"] == {
        "neu": 1,
        "geaendert": 1,
        "unveraendert": 0,
        "abgelehnt": 5,
    }
    assert lauf.probelauf["abgelehnt"] == 19
    assert lauf.rows_total == 8 + 7 + 9
    # nothing but the run itself was written
    assert not Person.objects.for_tenant(tenant).exists()
    assert not Akte.objects.for_tenant(tenant).exists()
    assert not Altsystemschluessel.objects.for_tenant(tenant).exists()

    # the import finds the same rows wrong
    lauf = services.start_import(actor=admin, access=None, lauf=lauf)
    assert lauf.job_id is not None and runner.execute(lauf.job_id) == "done"
    lauf.refresh_from_db()
    assert _rejections(lauf, probelauf=False) == _rejections(lauf, probelauf=True)
    assert (lauf.created, lauf.updated, lauf.unchanged, lauf.rejected) == (4, 1, 0, 19)
    akte = Akte.objects.for_tenant(tenant).get()
    assert akte.unit == team and akte.aktenplaneinheit == plan
    assert akte.opened_at.date().isoformat() == "2019-03-15"
    assert akte.aktenzeichen.startswith("LA-2019-")
    assert sorted(akte.subjects.values_list("given_names", flat=True)) == ["Deniz", "Mia"]
    bg = Bedarfsgemeinschaft.objects.for_tenant(tenant).get()
    assert akte.bg == bg and bg.bg_nummer == "BG-1"
    assert sorted(BgMitglied.objects.for_tenant(tenant).values_list("rolle", flat=True)) == [
        "antragsteller",
        "kind",
    ]


def test_import_creates_persons_bgs_and_akten_and_a_rerun_creates_nothing(
    tenant: Mandant, admin: User, plan: Aktenplaneinheit, team: Organisationseinheit
) -> None:
    files = export(12, plan="50.2", unit="Leistungsteam Nord")
    lauf = _import(tenant, admin, files)
    assert (lauf.created, lauf.updated, lauf.unchanged, lauf.rejected) == (
        12 * 2 + 12 + 12,  # persons, BGs with their first member, Akten
        12,  # BGs given their second member
        0,
        0,
    )
    assert lauf.state == Importlauf.State.FERTIG and lauf.rows_done == lauf.rows_total == 60
    assert Person.objects.for_tenant(tenant).count() == 24
    assert Bedarfsgemeinschaft.objects.for_tenant(tenant).count() == 12
    assert BgMitglied.objects.for_tenant(tenant).count() == 24
    assert Akte.objects.for_tenant(tenant).count() == 12
    assert Person.objects.for_tenant(tenant).filter(kundennummer="100D000000").exists()
    events = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.akte.create")
    assert events.count() == 12
    assert events.first().actor_label == f"Migration aus dem Altsystem, gestartet von {admin}"

    again = services.check_import(actor=admin, access=None, tenant=tenant, uploads=_uploads(files))
    assert again.probelauf["unveraendert"] == 60 and again.probelauf["neu"] == 0
    again = services.start_import(actor=admin, access=None, lauf=again)
    assert again.job_id is not None and runner.execute(again.job_id) == "done"
    again.refresh_from_db()
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 60, 0)
    assert Person.objects.for_tenant(tenant).count() == 24
    assert Akte.objects.for_tenant(tenant).count() == 12
    assert BgMitglied.objects.for_tenant(tenant).count() == 24


def test_a_changed_export_changes_persons_and_adds_members_and_bgs_of_akten(
    tenant: Mandant, admin: User, plan: Aktenplaneinheit, team: Organisationseinheit
) -> None:
    first = {
        "personen.csv": csv_bytes(
            HEAD_PERSONEN, ["P1;Meier;Anna;;01.01.1980;;;;", "P2;Meier;Tom;;;;;;"]
        ),
        "bedarfsgemeinschaften.csv": csv_bytes(HEAD_BG, ["BG-7;P1;antragsteller"]),
        "akten.csv": csv_bytes(HEAD_AKTEN, ["A1;Leistungsakte Meier;50.2;;;P1;"]),
    }
    _import(tenant, admin, first, unit=team)
    changed = {
        "personen.csv": csv_bytes(
            HEAD_PERSONEN, ["P1;Meier-Lang;Anna;Meier;01.01.1980;;;;", "P2;Meier;Tom;;;;;;"]
        ),
        "bedarfsgemeinschaften.csv": csv_bytes(
            HEAD_BG, ["BG-7;P1;antragsteller", "BG-7;P2;partner"]
        ),
        "akten.csv": csv_bytes(HEAD_AKTEN, ["A1;Leistungsakte Meier;50.2;;BG-7;P1;"]),
    }
    lauf = _import(tenant, admin, changed, unit=team)
    assert (lauf.created, lauf.updated, lauf.unchanged, lauf.rejected) == (0, 3, 2, 0)
    anna = Person.objects.for_tenant(tenant).get(given_names="Anna")
    assert (anna.family_name, anna.birth_name) == ("Meier-Lang", "Meier")
    assert (
        AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.person.change").count() == 1
    )
    assert Akte.objects.for_tenant(tenant).get().bg.bg_nummer == "BG-7"
    assert BgMitglied.objects.for_tenant(tenant).count() == 2


def test_persons_and_bgs_entered_before_are_taken_over_not_doubled(
    tenant: Mandant, admin: User, plan: Aktenplaneinheit
) -> None:
    person = records.create_person(
        actor=admin,
        tenant=tenant,
        family_name="Yilmaz",
        given_names="Deniz",
        kundennummer="123D765432",
        street="Am Markt 3",
    )
    records.create_bedarfsgemeinschaft(
        actor=admin, tenant=tenant, members=[(person, "antragsteller")], bg_nummer="BG-5"
    )
    files = {
        "personen.csv": csv_bytes(HEAD_PERSONEN, ["P1;Yilmaz;Deniz;;;123 d 765432;;;"]),
        "bedarfsgemeinschaften.csv": csv_bytes(HEAD_BG, ["BG-5;P1;antragsteller"]),
    }
    lauf = _import(tenant, admin, files)
    assert (lauf.created, lauf.updated, lauf.unchanged, lauf.rejected) == (0, 0, 2, 0)
    assert Person.objects.for_tenant(tenant).count() == 1
    keys = Altsystemschluessel.objects.for_tenant(tenant)
    assert keys.get(art="person").objekt_id == person.pk
    assert keys.get(art="bg").schluessel == "BG-5"

    # the export fills in what it knows; its empty cells blank nothing entered in koffer
    files["personen.csv"] = csv_bytes(HEAD_PERSONEN, ["P1;Yilmaz;Deniz;;03.11.1979;;;;"])
    lauf = _import(tenant, admin, files)
    assert (lauf.created, lauf.updated, lauf.unchanged, lauf.rejected) == (0, 1, 1, 0)
    person.refresh_from_db()
    assert (person.street, person.kundennummer, str(person.birth_date)) == (
        "Am Markt 3",
        "123D765432",
        "1979-11-03",
    )


def test_windows_1252_export_is_read_with_its_umlauts(
    tenant: Mandant, admin: User, plan: Aktenplaneinheit
) -> None:
    data = csv_bytes(
        HEAD_PERSONEN,
        ["P1;Müller;Jürgen;Groß;24.12.1970;;Straße 5;12345;Görlitz"],
        encoding="cp1252",
    )
    assert dateien.read("personen.csv", data).encoding == "Windows-1252"
    lauf = _import(tenant, admin, {"personen.csv": data})
    assert lauf.created == 1
    person = Person.objects.for_tenant(tenant).get()
    assert (
        person.family_name,
        person.given_names,
        person.birth_name,
        person.street,
        person.city,
    ) == (
        "Müller",
        "Jürgen",
        "Groß",
        "Straße 5",
        "Görlitz",
    )
    assert selectors.file_names(lauf) == [("personen.csv", "person", "Windows-1252")]


def test_a_file_that_is_no_export_is_refused_with_the_expected_columns(
    tenant: Mandant, admin: User
) -> None:
    with pytest.raises(dateien.FormatError, match="Kopfzeile passt zu keiner Importdatei"):
        services.check_import(
            actor=admin,
            access=None,
            tenant=tenant,
            uploads=[services.Upload("x.csv", b"a;b\n1;2\n")],
        )


def test_import_killed_at_random_points_resumes_with_exact_counts_and_no_duplicates(
    tenant: Mandant,
    admin: User,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "CHUNK", 7)
    files = export(20, plan="50.2", unit="Leistungsteam Nord")  # 100 rows, 15 steps
    lauf = services.check_import(actor=admin, access=None, tenant=tenant, uploads=_uploads(files))
    lauf = services.start_import(actor=admin, access=None, lauf=lauf)
    rng = random.Random(20261206)
    kills: list[str] = []

    def deadly(name: str, original: Any) -> Any:
        def hook(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if len(kills) < 8 and (name not in kills or rng.random() < 0.3):
                kills.append(name)
                raise Killed
            return result

        return hook

    monkeypatch.setattr(tasks, "step_reached", deadly("step", tasks.step_reached))
    # inside a step's transaction, after an Akte was written
    monkeypatch.setattr(records, "create_akte", deadly("akte", records.create_akte))

    outcome = ""
    later = timezone.now()
    assert lauf.job_id is not None
    for _ in range(50):
        try:
            outcome = runner.execute(lauf.job_id)
        except Killed:
            later += timedelta(hours=1)
            assert lauf.job_id in jobs.recover_stale_jobs(now=later)
            continue
        break
    assert outcome == "done" and len(kills) == 8 and {"step", "akte"} <= set(kills)
    lauf.refresh_from_db()
    assert (lauf.created, lauf.updated, lauf.unchanged, lauf.rejected) == (80, 20, 0, 0)
    assert lauf.rows_done == 100
    assert Person.objects.for_tenant(tenant).count() == 40
    assert Bedarfsgemeinschaft.objects.for_tenant(tenant).count() == 20
    assert BgMitglied.objects.for_tenant(tenant).count() == 40
    assert Akte.objects.for_tenant(tenant).count() == 20
    assert Altsystemschluessel.objects.for_tenant(tenant).count() == 80
    assert (
        AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.akte.create").count() == 20
    )


def test_the_page_flow_dry_run_report_start_progress_result(
    tenant: Mandant, admin: User, plan: Aktenplaneinheit, team: Organisationseinheit
) -> None:
    client = signed_in(admin)
    page = client.get(URL)
    assert page.status_code == 200 and "Probelauf starten" in page.content.decode()
    assert client.get("/posteingang/migration/format/").status_code == 200
    files = export(3, plan="50.2", unit="")
    sent = client.post(
        URL,
        {
            "personen": SimpleUploadedFile(
                "personen.csv",
                files["personen.csv"].replace(
                    b"\r\n", b"\r\nX1;;;;;;;;\r\nX2;Formel;;;=1+1;;;;\r\n", 1
                ),
            ),
            "bedarfsgemeinschaften": SimpleUploadedFile(
                "bedarfsgemeinschaften.csv", files["bedarfsgemeinschaften.csv"]
            ),
            "akten": SimpleUploadedFile("akten.csv", files["akten.csv"]),
            "einheit": str(team.pk),
        },
    )
    assert sent.status_code == 302
    lauf = Importlauf.objects.for_tenant(tenant).get()
    report = client.get(sent["Location"]).content.decode()
    assert "Import starten" in report and "Pflichtangabe fehlt" in report
    download = client.get(f"{URL}{lauf.pk}/abgelehnt.csv?probelauf=1")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["datei", "zeile", "spalte", "wert", "grund"],
        ["personen.csv", "2", "familienname", "", "Pflichtangabe fehlt"],
        ["personen.csv", "3", "geburtsdatum", "'=1+1", "kein gültiges Datum (TT.MM.JJJJ)"],
    ]

    assert client.post(f"{URL}{lauf.pk}/start/").status_code == 302
    lauf.refresh_from_db()
    running = client.get(f"{URL}{lauf.pk}/").content.decode()
    assert "<progress" in running and "hx-get" in running
    assert client.get(f"{URL}{lauf.pk}/fortschritt/").status_code == 200
    assert lauf.job_id is not None and runner.execute(lauf.job_id) == "done"
    assert client.get(f"{URL}{lauf.pk}/fortschritt/").status_code == 286
    result = client.get(f"{URL}{lauf.pk}/").content.decode()
    assert "Import fertig" in result and "Pflichtangabe fehlt" in result
    assert Akte.objects.for_tenant(tenant).filter(unit=team).count() == 3
    again = client.post(f"{URL}{lauf.pk}/start/", follow=True).content.decode()
    assert "schon gestartet" in again
    assert AuditEvent.objects.filter(tenant_id=tenant.pk, action="inbox.import.read").exists()


def test_only_the_administration_may_migrate(tenant: Mandant, plan: Aktenplaneinheit) -> None:
    caseworker = factories.user(tenant)
    client = signed_in(caseworker)
    assert client.get(URL).status_code in (403, 404)
    with pytest.raises(Exception, match="keine Daten aus dem Altsystem"):
        from koffer.accounts.access import Access

        services.check_import(
            actor=caseworker,
            access=Access.for_user(caseworker.pk, tenant.pk),
            tenant=tenant,
            uploads=_uploads(export(1, plan="50.2", unit="")),
        )


def test_imported_akten_are_counted_per_standort(
    tenant: Mandant,
    admin: User,
    plan: Aktenplaneinheit,
    standort: Organisationseinheit,
    team: Organisationseinheit,
) -> None:
    sued = tenancy.create_unit(
        actor=None,
        tenant=tenant,
        parent=factories.root_unit(tenant),
        name="Standort Süd",
        kind="standort",
    )
    _import(tenant, admin, export(4, plan="50.2", unit="Leistungsteam Nord"))
    record_factories.akte(
        caseworker=factories.user(tenant, unit_=team), plan=plan, unit=team
    )  # not imported
    assert selectors.imported_per_standort(tenant) == {standort.pk: 4, sued.pk: 0}
    # The Rückscan's rollout page shows them beside the paper files planned and scanned.
    stand = {s.standort_id: s for s in rueckscan_selectors.rollout(tenant)}
    assert stand[standort.pk].importiert == 4 and stand[standort.pk].geplant == 0
    assert sued.pk not in stand  # nothing planned, scanned or imported there


def test_the_command_runs_a_dry_run_and_the_import(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, tmp_path: Path
) -> None:
    paths = []
    for name, data in export(2, plan="50.2", unit="").items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    out = io.StringIO()
    call_command("inbox_import_csv", *paths, "--dry-run", "--tenant", tenant.slug, stdout=out)
    assert "Probelauf: 10 Zeilen; 0 neu" not in out.getvalue()
    assert "2 abgelehnt" in out.getvalue() and "Pflichtangabe fehlt" in out.getvalue()
    assert not Person.objects.for_tenant(tenant).exists()
    out = io.StringIO()
    call_command(
        "inbox_import_csv", *paths, "--tenant", tenant.slug, "--einheit", team.name, stdout=out
    )
    assert "8 neu, 2 geändert, 0 unverändert, 0 abgelehnt" in out.getvalue()
    assert Akte.objects.for_tenant(tenant).count() == 2


def test_docs_describe_every_column() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "migration-csv.md").read_text()
    for art in dateien.ORDER:
        assert f"`{dateien.FILE_NAMES[art]}`" in text
        for spalte in dateien.SPALTEN[art]:
            assert f"`{spalte.name}`" in text, spalte.name


def test_abgleich_without_writes_is_what_the_dry_run_uses(
    tenant: Mandant, plan: Aktenplaneinheit
) -> None:
    rows = dateien.all_rows(
        [dateien.read("personen.csv", csv_bytes(HEAD_PERSONEN, ["P1;A;;;;;;;"]))]
    )
    counts, refused = Abgleich(
        tenant=tenant, rows=rows, default_unit=None, lauf=None, dry=True
    ).chunk(rows)
    assert counts.total("neu") == 1 and not refused
    assert not Person.objects.for_tenant(tenant).exists()
    assert not Job.objects.for_tenant(tenant).exists()


def test_list_pages_cost_a_fixed_number_of_queries(
    tenant: Mandant, admin: User, plan: Aktenplaneinheit, team: Organisationseinheit
) -> None:
    from tests.conftest import query_count

    client = signed_in(admin)

    def check(rows: list[str]) -> Importlauf:
        files = {"personen.csv": csv_bytes(HEAD_PERSONEN, rows)}
        return services.check_import(
            actor=admin, access=None, tenant=tenant, uploads=_uploads(files)
        )

    one = check(["P1;;;;;;;;"])
    client.get(URL)  # the page frame's parts are rendered once per process
    client.get(f"{URL}{one.pk}/")
    counts = (query_count(client, URL), query_count(client, f"{URL}{one.pk}/"))
    many = check([f"P{n};;;;;;;;" for n in range(30)])
    for _ in range(4):
        check(["P1;A;;;;;;;"])
    assert (query_count(client, URL), query_count(client, f"{URL}{many.pk}/")) == counts
    # The run page logs the read of its rejected rows: an audited write is one statement
    # fewer on PostgreSQL (the chain head's lock and update in one statement).
    assert counts == {"postgresql": (5, 8)}.get(connection.vendor, (5, 9))


def test_the_command_continues_an_interrupted_import_of_the_same_files(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "CHUNK", 4)
    paths = []
    for name, data in export(3, plan="50.2", unit=team.name).items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    killed: list[str] = []

    def deadly(name: str) -> None:
        if name == "zeilen-1" and not killed:
            killed.append(name)
            raise Killed

    monkeypatch.setattr(tasks, "step_reached", deadly)
    with pytest.raises(Killed):
        call_command("inbox_import_csv", *paths, "--tenant", tenant.slug, stdout=io.StringIO())
    with pytest.raises(CommandError, match="läuft noch"):
        call_command("inbox_import_csv", *paths, "--tenant", tenant.slug, stdout=io.StringIO())
    assert jobs.recover_stale_jobs(now=timezone.now() + timedelta(hours=1))
    out = io.StringIO()
    call_command("inbox_import_csv", *paths, "--tenant", tenant.slug, stdout=out)
    assert "Setze den unterbrochenen Import" in out.getvalue()
    assert "12 neu, 3 geändert, 0 unverändert, 0 abgelehnt" in out.getvalue()
    assert Importlauf.objects.for_tenant(tenant).count() == 1
    assert Person.objects.for_tenant(tenant).count() == 6
    assert Akte.objects.for_tenant(tenant).count() == 3
