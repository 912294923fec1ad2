"""1,000 concurrent reservation attempts from 50 parallel clients on 10 free places.

Serves the app with granian as ``make run`` does, and 50 client threads (keep-alive HTTP,
bearer token of a youth office's machine account) each send 20 ``POST
/api/v1/platzboerse/reservierungen`` for different needs at the same Angebot. Exactly 10
must succeed (201), every other attempt must be answered ``vergeben`` (409) or, if the
lock stays busy, ``busy`` (503); afterwards the rows are checked: 10 open holds on 10
different places. Latency percentiles of all attempts; target p95 ≤ 1 s.

Baseline in the same run: ``GET /api/v1/platzboerse/fachbereiche`` with the same 50
clients (authenticated API call without the critical section).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from datetime import date
from decimal import Decimal

from django.utils import timezone

from benchmarks import served
from benchmarks.report import emit, note, percentile
from benchmarks.scale import sized
from koffer.accounts import services as accounts
from koffer.accounts.roles import Perm
from koffer.placements import katalog
from koffer.placements.angebote import services as angebot_services
from koffer.placements.gesuche import services as gesuch_services
from koffer.placements.models import Betreuungsform, Platz, Region, Reservierung
from koffer.shell.server import free_port
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

NAME = "placements_reservierung"
DATABASES = ("sqlite", "postgresql")
CLIENTS = sized(50, 4)
ATTEMPTS = sized(1000, 20)
PLACES = sized(10, 3)
TARGET_P95_S = 1.0


def world() -> tuple[str, list[str], str]:
    """A Träger's Angebot with free places and a youth office's needs; also
    ``scale_citus``'s."""
    katalog.load_default_catalogue()
    form = Betreuungsform.objects.get(code="heim-34")
    traeger = tenancy.create_mandant(
        actor=None, slug="bench-traeger", name="Bench-Träger", kind=Mandant.Kind.TRAEGER
    )
    einrichtung = angebot_services.create_einrichtung(
        actor=None,
        tenant=traeger,
        fachbereich=form.fachbereich,
        formen=[form],
        name="Haus Bench",
        street="Weg 1",
        postcode="60000",
        city="Musterstadt",
        lat=50.1,
        lon=8.7,
    )
    angebot = angebot_services.create_angebot(
        actor=None, einrichtung=einrichtung, betreuungsform=form, title="Gruppe"
    )
    angebot_services.set_entgelt(
        actor=None,
        angebot=angebot,
        valid_from=date(2026, 1, 1),
        valid_to=None,
        leistungsentgelt=Decimal("180"),
    )
    angebot_services.add_plaetze(
        actor=None,
        angebot=angebot,
        count=PLACES,
        valid_from=date(2026, 1, 1),
        frei_ab=timezone.localdate(),
    )
    amt = tenancy.create_mandant(
        actor=None, slug="bench-amt", name="Bench-Jugendamt", kind=Mandant.Kind.KREIS
    )
    root = Organisationseinheit.objects.for_tenant(amt).get(parent=None)
    machine = accounts.create_user(
        actor=None,
        must_change_password=False,
        tenant=amt,
        username="fachverfahren",
        first_name="",
        last_name="",
        email=None,
        password=None,
        unit=root,
        role="fachverfahren",
        is_machine=True,
    )
    _, secret = accounts.create_api_token(
        actor=None,
        tenant=amt,
        user=machine,
        name="Fachverfahren",
        permissions=[Perm.PLACEMENTS_SEARCH],
        units=[root],
    )
    region = Region.objects.get(name="Musterstadt")
    gesuche = [
        str(
            gesuch_services.create_gesuch(
                actor=machine,
                tenant=amt,
                betreuungsform=form,
                alter=10 + i % 7,
                geschlecht="wmd"[i % 3],
                ab_datum=timezone.localdate(),
                region=region,
            ).pk
        )
        for i in range(ATTEMPTS)
    ]
    return secret, gesuche, str(angebot.pk)


def _client_run(
    port: int,
    token: str,
    requests: list[tuple[str, str, bytes | None]],
    out: list[tuple[int, float]],
    lock: threading.Lock,
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    mine: list[tuple[int, float]] = []
    for method, path, body in requests:
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        mine.append((response.status, time.perf_counter() - started))
    conn.close()
    with lock:
        out.extend(mine)


def _burst(
    port: int, token: str, per_client: list[list[tuple[str, str, bytes | None]]]
) -> tuple[list[tuple[int, float]], float]:
    out: list[tuple[int, float]] = []
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_client_run, args=(port, token, reqs, out, lock))
        for reqs in per_client
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out, time.perf_counter() - started


def run() -> None:
    token, gesuche, angebot = world()
    port = free_port()
    server = served.start_web(port)
    try:
        served.wait_until_up(f"http://127.0.0.1:{port}")
        baseline_reqs = [
            [("GET", "/api/v1/platzboerse/fachbereiche", None)] * (ATTEMPTS // CLIENTS)
            for _ in range(CLIENTS)
        ]
        base, base_wall = _burst(port, token, baseline_reqs)
        per_client: list[list[tuple[str, str, bytes | None]]] = [[] for _ in range(CLIENTS)]
        for i, gesuch in enumerate(gesuche):
            body = json.dumps({"gesuch": gesuch, "angebot": angebot}).encode()
            per_client[i % CLIENTS].append(("POST", "/api/v1/platzboerse/reservierungen", body))
        results, wall = _burst(port, token, per_client)
    finally:
        served.stop(server)
    statuses = Counter(status for status, _ in results)
    latencies = sorted(seconds for _, seconds in results)
    base_lat = sorted(seconds for _, seconds in base)
    held = Counter(
        Reservierung.objects.unscoped()
        .filter(status=Reservierung.Status.OFFEN)
        .values_list("platz_id", flat=True)
    )
    places = Platz.objects.unscoped().count()
    overbooked = sum(1 for n in held.values() if n > 1)
    ok = statuses.get(201, 0)
    p95 = percentile(latencies, 95)
    note(
        f"{ATTEMPTS} Versuche in {wall:.2f} s, Antworten {dict(statuses)}, {len(held)} gehaltene Plätze von {places}"
    )
    emit(
        NAME,
        case="reserve",
        attempts=len(results),
        clients=CLIENTS,
        places=PLACES,
        succeeded=ok,
        vergeben=statuses.get(409, 0),
        busy=statuses.get(503, 0),
        other=len(results) - ok - statuses.get(409, 0) - statuses.get(503, 0),
        overbooked=overbooked,
        held_places=len(held),
        p50_ms=round(percentile(latencies, 50) * 1000, 1),
        p95_ms=round(p95 * 1000, 1),
        p99_ms=round(percentile(latencies, 99) * 1000, 1),
        max_ms=round(latencies[-1] * 1000, 1),
        attempts_per_s=round(len(results) / wall, 1),
        baseline_p95_ms=round(percentile(base_lat, 95) * 1000, 1),
        baseline_per_s=round(len(base) / base_wall, 1),
        ratio_p95=round(p95 / max(percentile(base_lat, 95), 1e-9), 2),
        met="yes"
        if ok == PLACES and overbooked == 0 and len(held) == PLACES and p95 <= TARGET_P95_S
        else "no",
    )
