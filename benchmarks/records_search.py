"""Full-text search, the Akte finder and "my Akten" on a large E-Akte, as an ordinary
caseworker (role Sachbearbeitung in one of ten teams: sees a tenth of the Akten).

Data: ``benchmarks.data`` (100,000 Akten, 1,000,000 Dokumente at ``KOFFER_BENCH_SCALE=1``,
the default; built on first use, several minutes; kept in ``var/bench/``). On PostgreSQL
the server runs on its own kept data set (``PG_DATA``) at ``KOFFER_BENCH_PG_SCALE``
(default: the same scale).

Every case calls the public function the page calls (``search.search`` with snippets,
``search.find_akten``, ``selectors.my_akten``), rotating over caseworkers of different
teams; cases alternate within each round so noise hits all alike. The baseline in the same
run is a primary-key lookup of one Akte. Targets (p95): common word 150 ms, rare word
50 ms, first page of "my Akten" 100 ms.

Searching as caseworkers type (issue 14) must not cost more: a word of four letters or more
also matches its compounds (every case above is such a prefix query now); ``compound`` is
the first part of compounds alone ("Unterhalt" for "Unterhaltsnachweis"), ``spelled`` a
word with an umlaut typed without it ("Anhoerung"), ``finder_name_spelled`` names typed
without their letters ("Yilmaz", "Mueller", "Weiss"), ``finder_az_part`` the running number
of an Aktenzeichen (a part, not its beginning).
"""

from __future__ import annotations

import gc
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from benchmarks import data
from benchmarks.report import emit, note, percentile
from benchmarks.scale import setting, sized

NAME = "records_search"
DATABASES = ("sqlite", "postgresql")
PG_DATA = True
WARMUP = sized(5, 1)
ITERATIONS = setting("KOFFER_BENCH_ITERATIONS", 100, 3)
TARGETS_MS = {
    "common": 150.0,
    "very_common": 150.0,
    "rare": 50.0,
    "my_akten": 100.0,
    "prefix": 150.0,
}


@dataclass
class Case:
    name: str
    call: Callable[[int], Any]
    samples: list[float] = field(default_factory=list)
    queries: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


def run() -> None:
    scale = _open_data_set()
    from koffer.accounts.access import Access
    from koffer.accounts.models import User
    from koffer.records import selectors
    from koffer.records.models import Akte, Bedarfsgemeinschaft
    from koffer.records.suche import services as search
    from koffer.tenancy.models import Mandant

    tenant = Mandant.objects.get(slug="bench")
    n_akten = Akte.objects.for_tenant(tenant).count()
    emit(NAME, db=connection.vendor, case="data", scale=scale, akten=n_akten, **_sizes())

    def viewer_of(username: str) -> selectors.Viewer:
        user = User.objects.get(username=username)
        return selectors.Viewer(access=Access.for_user(user.pk, tenant.pk), user_id=user.pk)

    # Caseworkers of five different teams, in turn; and the lead who sees every team.
    caseworkers = [viewer_of(f"sb{u:02d}1") for u in (1, 3, 5, 7, 9)]
    lead = viewer_of("leitung")
    rng = random.Random(7)
    akte_ids = list(Akte.objects.for_tenant(tenant).values_list("pk", flat=True)[:5000])
    own_akten = [_own_aktenzeichen(v) for v in caseworkers]

    def own(i: int) -> str:
        """An Aktenzeichen of one of caseworker i's own Akten (up to 50, fewer when small)."""
        mine = own_akten[i % len(own_akten)]
        return mine[i % len(mine)]

    bg_numbers = list(
        Bedarfsgemeinschaft.objects.for_tenant(tenant).values_list("bg_nummer", flat=True)[:2000]
    )
    words = _pick_words(tenant.pk)
    for label, (word, docs) in words.items():
        note(f"{label}: {word!r} in {docs} Dokumenten")

    def cw(i: int) -> selectors.Viewer:
        return caseworkers[i % len(caseworkers)]

    def searching(query: str, who: Callable[[int], selectors.Viewer] = cw) -> Callable[[int], Any]:
        return lambda i: search.search(who(i), query)

    cases = [
        Case(
            "baseline_pk",
            lambda i: (
                Akte.objects.for_tenant(tenant).filter(pk=akte_ids[i % len(akte_ids)]).first()
            ),
        ),
        Case("very_common", searching(words["very_common"][0])),
        Case("common", searching(words["common"][0])),
        Case("rare", searching(words["rare"][0])),
        Case("common_and_rare", searching(f"{words['common'][0]} {words['rare'][0]}")),
        Case("prefix", searching(words["prefix"][0])),
        Case("compound", searching(words["compound"][0])),
        Case("spelled", searching(words["spelled"][0])),
        Case("common_lead", searching(words["common"][0], lambda i: lead)),
        Case(
            "common_in_akte",
            lambda i: search.search(
                cw(i),
                words["common"][0],
                search.SearchFilters(aktenzeichen=own(i)),
            ),
        ),
        Case("my_akten", lambda i: list(selectors.my_akten(cw(i))[:25])),
        Case(
            "finder_name",
            lambda i: search.find_akten(cw(i), ("Mül", "Schm", "Yıl", "Kow", "Wag")[i % 5]),
        ),
        Case(
            "finder_name_spelled",
            lambda i: search.find_akten(cw(i), ("Yilmaz", "Mueller", "Weiss", "Krueger")[i % 4]),
        ),
        Case("finder_aktenzeichen", lambda i: search.find_akten(cw(i), own(i)[:10])),
        Case(
            "finder_az_part",
            lambda i: search.find_akten(cw(i), own(i).rsplit("-", 1)[-1]),
        ),
        Case(
            "finder_bg",
            lambda i: search.find_akten(cw(i), bg_numbers[rng.randrange(len(bg_numbers))]),
        ),
    ]
    for case in cases:
        with CaptureQueriesContext(connection) as captured:
            result = case.call(0)
        case.queries = len(captured.captured_queries)
        if isinstance(result, search.SearchResult):
            case.detail = {"hits": result.total, "more": result.more, "order": result.order}
    gc.collect()
    for i in range(WARMUP + ITERATIONS):
        order = cases if i % 2 == 0 else list(reversed(cases))
        for case in order:
            started = time.perf_counter_ns()
            case.call(i)
            elapsed_ms = (time.perf_counter_ns() - started) / 1e6
            if i >= WARMUP:
                case.samples.append(elapsed_ms)

    baseline = percentile(cases[0].samples, 50)
    by_name = {c.name: c for c in cases}
    for case in cases:
        p95 = percentile(case.samples, 95)
        figures: dict[str, Any] = {
            "db": connection.vendor,
            "case": case.name,
            "n": len(case.samples),
            "p50_ms": percentile(case.samples, 50),
            "p95_ms": p95,
            "p99_ms": percentile(case.samples, 99),
            "ratio_p50": percentile(case.samples, 50) / baseline,
            "queries": case.queries,
            **case.detail,
        }
        word = case.name if case.name in words and case.name != "prefix" else None
        if word:
            figures["word"] = words[word][0]
            figures["docs_with_word"] = words[word][1]
        if case.name in TARGETS_MS:
            figures["target"] = f"p95<{TARGETS_MS[case.name]:.0f}ms"
            figures["met"] = p95 < TARGETS_MS[case.name]
        emit(NAME, **figures)
    lead_ratio = percentile(by_name["common_lead"].samples, 50) / percentile(
        by_name["common"].samples, 50
    )
    emit(NAME, db=connection.vendor, case="caseworker_vs_lead", ratio_p50=1 / lead_ratio)


def _open_data_set() -> float:
    """Point the default connection at the data set (building it if missing)."""
    if connection.vendor == "postgresql":
        kept = os.environ.get("KOFFER_BENCH_PG_DATA")
        if kept:  # the kept data set, built before this run if it was missing
            scale = float(kept)
            _emit_build("postgresql", data.read_pg_manifest(scale))
            return scale
        # A smoke run: a tiny set on the throwaway server.
        scale = data.pg_scale()
        started = time.monotonic()
        built = data.build(scale)
        emit(
            NAME,
            db="postgresql",
            case="build",
            seconds=time.monotonic() - started,
            docs=built.dokumente,
        )
        return scale
    scale = data.scale_from_env()
    if data.read_manifest(scale) is None:
        note(f"Baue Benchmark-Daten (Maßstab {scale:g}) …")
        env = {k: v for k, v in os.environ.items() if k not in ("KOFFER_DATABASE_URL",)}
        subprocess.run(
            [sys.executable, "-m", "benchmarks.data", "--scale", str(scale)],
            check=True,
            env=env,
            cwd=data.ROOT,
        )
    _emit_build("sqlite", data.read_manifest(scale))
    conn = connections["default"]
    conn.close()
    conn.settings_dict["NAME"] = str(data.sqlite_path(scale))
    call_command("migrate", verbosity=0, interactive=False)
    cache_mb = os.environ.get("KOFFER_BENCH_SQLITE_CACHE_MB")
    if cache_mb:  # to compare with the settings' page cache (PRAGMA cache_size)
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        size = cursor.fetchone()[0]
    emit(NAME, db="sqlite", case="settings", cache_mb=round(-size / 1024) if size < 0 else size)
    return scale


def _emit_build(db: str, manifest: dict[str, Any] | None) -> None:
    """How long the kept data set took to build (when it was built, maybe in this run)."""
    assert manifest is not None
    emit(
        NAME,
        db=db,
        case="build",
        seconds=manifest["seconds"],
        seconds_documents=manifest["seconds_documents"],
        docs=manifest["dokumente"],
    )


def _sizes() -> dict[str, Any]:
    if connection.vendor == "sqlite":
        path = connection.settings_dict["NAME"]
        return {"db_mb": round(os.path.getsize(path) / 1e6)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return {"db_mb": round(cursor.fetchone()[0] / 1e6)}


def _own_aktenzeichen(viewer: Any) -> list[str]:
    """Up to 50 Aktenzeichen of the caseworker's own Akten; in a small data set (a smoke
    run's), where one may have none, those of the team's."""
    from koffer.records import selectors

    visible = selectors.visible_akten(viewer)
    mine = visible.filter(caseworker_id=viewer.user_id).values_list("aktenzeichen", flat=True)
    return list(mine[:50]) or list(visible.values_list("aktenzeichen", flat=True)[:50])


def _pick_words(tenant_id: Any) -> dict[str, tuple[str, int]]:
    """A very common word (in nearly every document), a common one (in about a third),
    a rare one (about one in a thousand) and a prefix, by their real document counts."""
    from benchmarks._german_words import Vocabulary
    from koffer.records.suche.backends import get_backend
    from koffer.records.suche.backends.query import parse

    backend = get_backend()
    total = _count_documents(tenant_id)
    vocabulary = Vocabulary()
    picked: dict[str, tuple[str, int]] = {}
    # "rare": one in a thousand, or one document in a smaller set (a smoke run's)
    wanted = {"very_common": 0.9, "common": 0.33, "rare": max(0.001, 1 / max(total, 1))}
    candidates = [vocabulary.word_at(r) for r in (0, 1, 2, *range(3, len(vocabulary.content), 7))]
    docs_of = _document_frequencies(tenant_id, total)
    for word in candidates:
        docs = docs_of(word)
        share = docs / total
        for label, target in wanted.items():
            if label in picked:
                continue
            if (label == "very_common" and share >= target) or (
                label != "very_common" and target / 2 <= share <= target * 1.5
            ):
                picked[label] = (word, docs)
        if len(picked) == len(wanted):
            break
    picked["prefix"] = (
        "Widerspr*",
        backend.count_matches(tenant_id, parse("Widerspr*"), total),
    )
    # The first part of compounds, alone: "Unterhalt" (of "Unterhaltsnachweis", ...).
    compound = "Unterhalt"
    picked["compound"] = (compound, docs_of(compound))
    # A word with an umlaut, typed with "oe" (the index holds it folded like the query).
    spelled = "Anhoerung"
    picked["spelled"] = (spelled, docs_of(spelled))
    missing = set(wanted) - set(picked)
    if missing:
        raise SystemExit(f"Keine passenden Wörter für {missing}")
    return picked


def _document_frequencies(tenant_id: Any, total: int) -> Callable[[str], int]:
    """Exact number of documents with a word: FTS5 counts fast; on PostgreSQL one ts_stat
    pass over all vectors (count_matches there is the planner's estimate)."""
    from koffer.records.suche.backends import german, get_backend
    from koffer.records.suche.backends.query import parse

    if connection.vendor == "sqlite":
        backend = get_backend()
        return lambda word: backend.count_matches(tenant_id, parse(word), total + 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT word, ndoc FROM ts_stat('SELECT tsv FROM records_search_entry')")
        ndoc = dict(cursor.fetchall())
    return lambda word: int(ndoc.get(german.stem(german.plain_words(word)), 0))


def _count_documents(tenant_id: Any) -> int:
    from koffer.records.models import Dokument

    return Dokument.objects.for_tenant(tenant_id).count()
