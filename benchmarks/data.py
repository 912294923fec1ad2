"""Benchmark data for the E-Akte: ``python -m benchmarks.data`` (``make bench-data``).

Builds one Mandant with 10 Organisationseinheiten (teams), 50 caseworkers (5 per team), a
team lead over all, 100,000 Akten (with persons, Bedarfsgemeinschaften, Vorgänge; 2 %
restricted with named access) and 1,000,000 Dokumente of about 2 KB of German text each
(vocabulary in ``_german_words``, Zipf-distributed), with the full-text index. Scale with
``KOFFER_BENCH_SCALE`` (or ``--scale``): 0.1 gives 10,000 Akten and 100,000 Dokumente.

SQLite: the database is ``var/bench/records-<scale>.sqlite3`` (kept between runs; a JSON
file next to it records what was built and how long it took). PostgreSQL: the data
directory of a server of its own, ``var/bench/records-pg-<scale>/`` with the same kind of
JSON file next to it (``ensure_postgres``, called by ``python -m benchmarks`` before the
benchmarks that declare ``PG_DATA = True`` run on it; ``--postgres`` here). Either is built
again when missing or when its JSON names another ``DATA_VERSION`` (bump it when the data
or the index schema changes) or PostgreSQL major version. Rows are written in bulk (bulk_create in chunks, one transaction per chunk), not
through the services: no audit events for them, which the benchmarks do not read.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests import dbtemplate

from benchmarks.scale import smoke

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
FULL_AKTEN = 100_000
FULL_DOKUMENTE = 1_000_000
UNITS = 10
CASEWORKERS_PER_UNIT = 5
WORDS_PER_DOCUMENT = 216  # about 2 KB of text
SENTENCES_PER_DOCUMENT = 18
POOL_MAX = 1_000_000
CHUNK = 5_000
START = datetime(2021, 1, 4, 8, 0, tzinfo=UTC)
SPAN = timedelta(days=5 * 365)
SEED = 20260101
SMOKE_SCALE = 0.0005
# Bump when what ``build`` writes, or the search index's schema, changes: kept data sets
# of another version are built again.
DATA_VERSION = 2


@dataclass
class Built:
    scale: float
    database: str
    akten: int
    dokumente: int
    persons: int
    seconds: float
    seconds_documents: float
    tenant_slug: str = "bench"


def scale_from_env() -> float:
    """``KOFFER_BENCH_SCALE``; otherwise full size, or 100 Akten in a smoke run."""
    return float(os.environ.get("KOFFER_BENCH_SCALE") or (SMOKE_SCALE if smoke() else 1))


def sqlite_path(scale: float) -> Path:
    return BENCH_DIR / f"records-{scale:g}.sqlite3"


def manifest_path(scale: float) -> Path:
    return sqlite_path(scale).with_suffix(".json")


def read_manifest(scale: float) -> dict[str, Any] | None:
    """What the kept SQLite data set holds, or None when it must be built (again)."""
    path = manifest_path(scale)
    if not path.exists() or not sqlite_path(scale).exists():
        return None
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest if manifest.get("version") == DATA_VERSION else None


def pg_scale() -> float:
    """``KOFFER_BENCH_PG_SCALE``, else the SQLite scale (full size, tiny in a smoke run)."""
    return float(os.environ.get("KOFFER_BENCH_PG_SCALE") or scale_from_env())


def pg_dir(scale: float) -> Path:
    return BENCH_DIR / f"records-pg-{scale:g}"


def pg_manifest_path(scale: float) -> Path:
    return BENCH_DIR / f"records-pg-{scale:g}.json"


def read_pg_manifest(scale: float) -> dict[str, Any] | None:
    """What the kept PostgreSQL data set holds, or None when it must be built (again)."""
    from tests.pgserver import major_version

    path = pg_manifest_path(scale)
    if not path.exists() or not (pg_dir(scale) / "PG_VERSION").exists():
        return None
    manifest: dict[str, Any] = json.loads(path.read_text())
    current = manifest.get("version") == DATA_VERSION
    if not current or manifest.get("postgres") != major_version():
        return None
    return manifest


def ensure_postgres(scale: float, env: dict[str, str]) -> dict[str, Any]:
    """The kept PostgreSQL data set at ``scale``, built first if missing or outdated (on
    a server of its own, ``tests.pgserver --data``); returns its manifest."""
    from benchmarks.report import note

    manifest = read_pg_manifest(scale)
    if manifest is not None:
        return manifest
    note(f"Baue PostgreSQL-Benchmark-Daten (Maßstab {scale:g}) in {pg_dir(scale)} …")
    pg_manifest_path(scale).unlink(missing_ok=True)
    shutil.rmtree(pg_dir(scale), ignore_errors=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "benchmarks.data", "--postgres", "--scale", str(scale)]
    subprocess.run(
        [sys.executable, "-m", "tests.pgserver", "--data", str(pg_dir(scale)), "--", *command],
        check=True,
        env=env,
        cwd=ROOT,
    )
    manifest = read_pg_manifest(scale)
    if manifest is None:
        raise SystemExit(f"PostgreSQL-Benchmark-Daten nicht gebaut: {pg_dir(scale)}")
    return manifest


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.data", description=__doc__)
    parser.add_argument("--scale", type=float, default=scale_from_env())
    parser.add_argument("--force", action="store_true", help="neu aufbauen, auch wenn vorhanden")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="in den PostgreSQL-Server von KOFFER_DATABASE_URL (von ensure_postgres gestartet)",
    )
    args = parser.parse_args(argv)
    postgres = os.environ.get("KOFFER_DATABASE_URL", "").startswith("postgres")
    if args.postgres and not postgres:
        raise SystemExit("--postgres braucht KOFFER_DATABASE_URL (python -m tests.pgserver)")
    if not postgres:
        path = sqlite_path(args.scale)
        if read_manifest(args.scale) and not args.force:
            print(f"Vorhanden: {path} (neu mit --force)")
            return 0
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        manifest_path(args.scale).unlink(missing_ok=True)
        # A smoke run in `make test` (KOFFER_TEST_DB_CACHE) starts from the migrated empty
        # database the test runs kept for this code: migrate below then has nothing to do
        # instead of 15-40 s of rebuilding model states (tests/dbtemplate.py).
        kept = dbtemplate.template("koffer.settings")
        if kept is not None and kept.exists():
            shutil.copyfile(kept, path)
        os.environ["KOFFER_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koffer.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    built = build(args.scale)
    print(
        f"Fertig: {built.akten} Akten, {built.dokumente} Dokumente in {built.seconds:.0f} s "
        f"({built.database})"
    )
    manifest = {**asdict(built), "version": DATA_VERSION}
    if not postgres:
        manifest_path(args.scale).write_text(json.dumps(manifest, indent=2))
    elif args.postgres:
        from tests.pgserver import major_version

        manifest["postgres"] = major_version()
        manifest["bytes"] = _database_bytes()
        pg_manifest_path(args.scale).write_text(json.dumps(manifest, indent=2))
    return 0


def _database_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])


def build(
    scale: float, *, slug: str = "bench", users: str = "", units: int = UNITS, seed: int = SEED
) -> Built:
    """Write the data set into the (migrated, empty) default database: one Mandant
    ``slug`` with ``units`` teams; ``users`` goes in front of its user names (several
    Mandanten in one database, ``scale_citus``)."""
    from django.db import connection

    from benchmarks._german_words import FAMILY_NAMES, GIVEN_NAMES, KINDS, TITLES, Vocabulary
    from benchmarks.report import note

    started = time.monotonic()
    rng = random.Random(seed)
    world = _world(slug, users, units)
    n_akten = max(units * 10, round(FULL_AKTEN * scale))
    n_docs = max(n_akten, round(FULL_DOKUMENTE * scale))
    note(f"{n_akten} Akten, {n_docs} Dokumente in {connection.vendor} ({slug}) …")
    akten, persons = _akten(world, rng, n_akten, FAMILY_NAMES, GIVEN_NAMES)
    note(f"Akten fertig nach {time.monotonic() - started:.0f} s")
    docs_started = time.monotonic()
    _documents(world, rng, akten, n_docs, Vocabulary(), TITLES, KINDS, docs_started)
    seconds_docs = time.monotonic() - docs_started
    _analyze()
    return Built(
        scale=scale,
        database=connection.vendor,
        akten=n_akten,
        dokumente=n_docs,
        persons=persons,
        seconds=round(time.monotonic() - started, 1),
        seconds_documents=round(seconds_docs, 1),
    )


@dataclass
class World:
    tenant: Any
    units: list[Any]
    caseworkers: list[list[Any]]  # per unit
    lead: Any
    plan: Any
    typen: list[Any]


def _world(slug: str = "bench", users: str = "", n_units: int = UNITS) -> World:
    from koffer.accounts import services as accounts
    from koffer.records import defaults
    from koffer.records.models import VorgangTyp
    from koffer.tenancy import services as tenancy
    from koffer.tenancy.models import Mandant, Organisationseinheit

    name = "Landkreis Benchmark" + ("" if slug == "bench" else f" {slug}")
    tenant = tenancy.create_mandant(actor=None, slug=slug, name=name, kind=Mandant.Kind.KREIS)
    root = Organisationseinheit.objects.for_tenant(tenant).get(parent=None)
    units = [
        tenancy.create_unit(
            actor=None, tenant=tenant, parent=root, name=f"Leistungsteam {i + 1}", kind="team"
        )
        for i in range(n_units)
    ]
    caseworkers = [
        [
            accounts.create_user(
                actor=None,
                must_change_password=False,
                tenant=tenant,
                username=f"{users}sb{u + 1:02d}{c + 1}",
                first_name="Bench",
                last_name=f"Sachbearbeitung {u + 1}.{c + 1}",
                email=f"{users}sb{u + 1:02d}{c + 1}@bench.example",
                password=None,
                unit=unit,
                role="sachbearbeitung",
            )
            for c in range(CASEWORKERS_PER_UNIT)
        ]
        for u, unit in enumerate(units)
    ]
    lead = accounts.create_user(
        actor=None,
        must_change_password=False,
        tenant=tenant,
        username=f"{users}leitung",
        first_name="Bench",
        last_name="Bereichsleitung",
        email=f"{users}leitung@bench.example",
        password=None,
        unit=root,
        role="teamleitung",
    )
    defaults.install(actor=None, tenant=tenant)
    plan = leistungsakten_plan(tenant)
    typen = list(VorgangTyp.objects.for_tenant(tenant).filter(module="sgb2"))
    return World(tenant, units, caseworkers, lead, plan, typen)


def leistungsakten_plan(tenant: Any) -> Any:
    """Create the plan unit a benchmark Mandant files its Akten in: Leistungsakten
    (Kennzeichen 50.2.1, SGB II, Aktenzeichen ``LA-<Jahr>-000001``)."""
    from koffer.records import services as records

    return records.create_aktenplaneinheit(
        actor=None,
        tenant=tenant,
        parent=None,
        kennzeichen="50.2.1",
        title="Leistungsakten Bedarfsgemeinschaften",
        module="sgb2",
        aktenzeichen_pattern="LA-{jahr}-{lfd:06}",
    )


def _when(i: int, n: int) -> datetime:
    return START + SPAN * (i / max(1, n))


def _akten(
    world: World, rng: random.Random, n: int, family: list[str], given: list[str]
) -> tuple[list[tuple[Any, list[Any], Any]], int]:
    """Akten with their persons, BGs, Vorgänge; returns (akte id, vorgang ids, caseworker)."""
    from django.db import transaction
    from uuid6 import uuid7

    from koffer.records.models import (
        AccessLevel,
        Akte,
        AkteSubjekt,
        AkteZugriff,
        Bedarfsgemeinschaft,
        BgMitglied,
        Person,
        Vorgang,
    )

    tid = world.tenant.pk
    out: list[tuple[Any, list[Any], Any]] = []
    per_year: dict[int, int] = {}
    n_persons = 0
    bg_number = 0
    for chunk_start in range(0, n, CHUNK):
        persons: list[Person] = []
        bgs: list[Bedarfsgemeinschaft] = []
        members: list[BgMitglied] = []
        akten: list[Akte] = []
        subjects: list[AkteSubjekt] = []
        grants: list[AkteZugriff] = []
        vorgaenge: list[Vorgang] = []
        for i in range(chunk_start, min(n, chunk_start + CHUNK)):
            unit_index = i % len(world.units)
            caseworker = rng.choice(world.caseworkers[unit_index])
            opened = _when(i, n)
            year = opened.year
            per_year[year] = per_year.get(year, 0) + 1
            main = Person(
                id=uuid7(),
                tenant_id=tid,
                family_name=rng.choice(family),
                given_names=rng.choice(given),
                birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(80 * 365)),
            )
            household = [main]
            if rng.random() < 0.3:
                household.append(
                    Person(
                        id=uuid7(),
                        tenant_id=tid,
                        family_name=main.family_name,
                        given_names=rng.choice(given),
                        birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(80 * 365)),
                    )
                )
            persons.extend(household)
            bg = None
            if rng.random() < 0.7:
                bg_number += 1
                bg = Bedarfsgemeinschaft(id=uuid7(), tenant_id=tid, bg_nummer=f"BG{bg_number:07d}")
                bgs.append(bg)
                members.extend(
                    BgMitglied(
                        id=uuid7(),
                        tenant_id=tid,
                        bg_id=bg.id,
                        person_id=p.id,
                        rolle="antragsteller" if p is main else "partner",
                    )
                    for p in household
                )
            closed = rng.random() < 0.2
            restricted = rng.random() < 0.02
            akte = Akte(
                id=uuid7(),
                tenant_id=tid,
                aktenplaneinheit_id=world.plan.pk,
                unit_id=world.units[unit_index].pk,
                unit_path=world.units[unit_index].path,
                aktenzeichen=f"LA-{year}-{per_year[year]:06d}",
                title=f"Leistungsakte {main.family_name}, {main.given_names}",
                status=Akte.Status.CLOSED if closed else Akte.Status.OPEN,
                access_level=AccessLevel.RESTRICTED if restricted else AccessLevel.NORMAL,
                caseworker_id=caseworker.pk,
                bg_id=bg.id if bg else None,
                opened_at=opened,
                closed_at=opened + timedelta(days=400) if closed else None,
                updated_at=opened + timedelta(hours=rng.randrange(24 * 300)),
            )
            akten.append(akte)
            subjects.extend(
                AkteSubjekt(id=uuid7(), tenant_id=tid, akte_id=akte.id, person_id=p.id)
                for p in household
            )
            if restricted:
                grants.append(
                    AkteZugriff(id=uuid7(), tenant_id=tid, akte_id=akte.id, user_id=caseworker.pk)
                )
            ids = []
            for _ in range(rng.choice((1, 1, 2, 3))):
                typ = rng.choice(world.typen)
                vorgang = Vorgang(
                    id=uuid7(),
                    tenant_id=tid,
                    akte_id=akte.id,
                    typ_id=typ.pk,
                    title=typ.label,
                    caseworker_id=caseworker.pk,
                    opened_at=opened,
                )
                vorgaenge.append(vorgang)
                ids.append(vorgang.id)
            out.append((akte.id, ids, caseworker.pk))
        with transaction.atomic():
            Person.objects.bulk_create(persons)
            Bedarfsgemeinschaft.objects.bulk_create(bgs)
            BgMitglied.objects.bulk_create(members)
            Akte.objects.bulk_create(akten)
            AkteSubjekt.objects.bulk_create(subjects)
            AkteZugriff.objects.bulk_create(grants)
            Vorgang.objects.bulk_create(vorgaenge)
        n_persons += len(persons)
    return out, n_persons


def _documents(
    world: World,
    rng: random.Random,
    akten: list[tuple[Any, list[Any], Any]],
    n: int,
    vocabulary: Any,
    titles: list[str],
    kinds: list[str],
    started: float,
) -> None:
    """Documents in chronological order (so the index's order is the creation order), each
    with one version, indexed chunk by chunk.

    Drawing 200 Zipf-distributed words per document in Python would take minutes for a
    million documents, so the text is made of sentences from a pool drawn once: every
    document is a random choice of ``SENTENCES_PER_DOCUMENT`` of them. Their stems are
    computed once per sentence by the index's own function (``sqlite.stem_stream``); since
    words never span sentences, the stems of a document are the stems of its sentences, as
    ``index_version`` would compute them (checked on a sample below)."""
    import hashlib
    import itertools

    from django.db import connection, transaction
    from uuid6 import uuid7

    from benchmarks.report import note
    from koffer.records.models import Dokument, DokumentVersion
    from koffer.records.suche.backends import get_backend
    from koffer.records.suche.backends.base import EntryRow
    from koffer.records.suche.backends.sqlite import stem_stream

    sqlite = connection.vendor == "sqlite"
    tid = world.tenant.pk
    pool_size = min(POOL_MAX, max(10_000, n * SENTENCES_PER_DOCUMENT // 20))
    sentences = [
        vocabulary.text(rng, WORDS_PER_DOCUMENT // SENTENCES_PER_DOCUMENT) for _ in range(pool_size)
    ]
    pool = [(text, stem_stream(text)) for text in sentences]
    note(f"{pool_size} Sätze vorbereitet nach {time.monotonic() - started:.0f} s")
    title_cum = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(titles))))
    kind_cum = list(itertools.accumulate(1.0 / (r + 1) ** 0.7 for r in range(len(kinds))))
    meta_stems = {(t, k): stem_stream(f"{t} {k}") for t in titles for k in kinds}
    insert_doc = _raw_insert(Dokument)
    insert_version = _raw_insert(DokumentVersion)
    backend = get_backend()
    indexed_at = datetime.now(tz=UTC)
    entry_sql = (
        "INSERT INTO records_search_entry (id, tenant_id, dokument_id, version_id, indexed_at) "
        "VALUES (%s, %s, %s, %s, %s)"
    )
    text_sql = "INSERT INTO records_search_text (id, title_stems, body_stems) VALUES (%s, %s, %s)"
    next_id = 1
    adapt_dt = connection.ops.adapt_datetimefield_value
    for chunk_start in range(0, n, CHUNK):
        docs: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        entries: list[tuple[Any, ...]] = []
        stems: list[tuple[Any, ...]] = []
        rows: list[EntryRow] = []
        for i in range(chunk_start, min(n, chunk_start + CHUNK)):
            akte_id, vorgang_ids, caseworker_id = rng.choice(akten)
            created = _when(i, n)
            picked = rng.choices(pool, k=SENTENCES_PER_DOCUMENT)
            text = " ".join(p[0] for p in picked)
            data = text.encode()
            title = rng.choices(titles, cum_weights=title_cum)[0]
            kind = rng.choices(kinds, cum_weights=kind_cum)[0]
            dokument_id, version_id = uuid7(), uuid7()
            docs.append(
                {
                    "id": dokument_id,
                    "tenant_id": tid,
                    "akte_id": akte_id,
                    "vorgang_id": rng.choice(vorgang_ids) if rng.random() < 0.6 else None,
                    "title": title,
                    "kind": kind,
                    "direction": "in",
                    "sender": "",
                    "received_on": (created - timedelta(days=rng.randrange(6))).date(),
                    "source": "upload",
                    "status": "cancelled" if rng.random() < 0.01 else "active",
                    "cancel_reason": "",
                    "current_version_id": version_id,
                    "needs_ocr": False,
                    "page_count": 1,
                    "created_at": created,
                    "created_by_id": caseworker_id,
                }
            )
            versions.append(
                {
                    "id": version_id,
                    "tenant_id": tid,
                    "dokument_id": dokument_id,
                    "number": 1,
                    "filename": "schreiben.txt",
                    "mime_type": "text/plain",
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "pdf_sha256": "",
                    "page_count": 1,
                    "text": text,
                    "created_at": created,
                    "created_by_id": caseworker_id,
                    "note": "",
                    "upload_key": "",
                }
            )
            if sqlite:
                body = " ".join(p[1] for p in picked if p[1])
                entries.append(
                    (next_id, tid.hex, dokument_id.hex, version_id.hex, adapt_dt(indexed_at))
                )
                stems.append((next_id, meta_stems[(title, kind)], body))
                next_id += 1
            else:
                rows.append(
                    EntryRow(tid, dokument_id, version_id, f"{title} {kind}", text, indexed_at)
                )
        if chunk_start == 0 and sqlite:
            for doc_text, stemmed in zip(
                (v["text"] for v in versions[:50]), stems[:50], strict=True
            ):
                assert stem_stream(doc_text) == stemmed[2], "Satz-Stämme weichen ab"
        with transaction.atomic(), connection.cursor() as cursor:
            # The document names its version before the version exists: the foreign key
            # is checked at commit (Django's are DEFERRABLE INITIALLY DEFERRED).
            insert_doc(cursor, docs)
            insert_version(cursor, versions)
            if sqlite:
                cursor.executemany(entry_sql, entries)
                cursor.executemany(text_sql, stems)
            else:
                backend.upsert(rows)
        done = chunk_start + len(docs)
        if done % (CHUNK * 20) == 0 or done == n:
            rate = done / max(0.001, time.monotonic() - started)
            note(f"{done} Dokumente ({rate:.0f}/s)")


def _raw_insert(model: Any) -> Any:
    """executemany of plain INSERTs for ``model`` from dicts by attname: the ORM's
    bulk_create spends more time preparing values than the database spends writing."""
    from django.db import connection

    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({marks})"  # noqa: S608
    adapters = [_adapter(f) for f in fields]
    names = [f.attname for f in fields]

    def insert(cursor: Any, rows: list[dict[str, Any]]) -> None:
        cursor.executemany(
            sql,
            [tuple(a(r[n]) for a, n in zip(adapters, names, strict=True)) for r in rows],
        )

    return insert


def _adapter(field: Any) -> Any:
    from django.db import connection

    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    if kind == "UUIDField" and connection.vendor == "sqlite":
        return lambda v: v.hex if v is not None else None
    if kind == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if kind == "DateField":
        return connection.ops.adapt_datefield_value
    return lambda v: v


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Merge the FTS segments written chunk by chunk. No ANALYZE: an installation
            # has no statistics either, and the search fixes its join order itself.
            cursor.execute("INSERT INTO records_search_fts(records_search_fts) VALUES ('optimize')")
        else:
            # What autovacuum does soon after a bulk load: statistics, the visibility map,
            # and the GIN index's pending list merged (every search would scan it).
            cursor.execute("VACUUM ANALYZE")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
