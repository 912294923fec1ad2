"""XRechnung for a month's billing run: build and validate 500 invoices.

A Träger or a Jugendamt bills every Belegung once a month. The issue's target: 5,000
invoices, each built as CII XML and checked with all three official checks (XML schema,
EN 16931 Schematron, KoSIT XRechnung Schematron), in under 300 s; per invoice that is
60 ms, and it should be well under that.

Data: 500 different youth-welfare invoices (seeded random): one to four lines each (present
days, absence days at 75 %, standby place, Fachleistungsstunden), day rates between 95 and
420 €. Measured per invoice, alternately: ``build_cii`` and ``validate`` (wall clock and this
thread's CPU time), with validation split into its steps (parse, schema, EN 16931,
XRechnung). The baseline is the XML schema check alone, the cheapest of the three, so the
ratio says what the Schematron rules cost on top. Compiling the stylesheets happens
once per process and is reported apart (and added once to the projection). A short
threaded run shows whether two threads validate faster than one (Saxon runs them one
after the other, so a billing run that needs more throughput should use processes).
"""

from __future__ import annotations

import gc
import random
import threading
import time
from datetime import date
from decimal import Decimal

from benchmarks.report import emit, note, percentile
from benchmarks.scale import setting, sized
from koffer.placements.xrechnung import build_cii, validate
from koffer.placements.xrechnung.document import (
    Address,
    BillingBasis,
    Buyer,
    ElectronicAddress,
    Invoice,
    InvoiceLine,
    PaymentMeans,
    Period,
    Seller,
    SellerContact,
    UnitCode,
    money,
)
from koffer.placements.xrechnung.validation import compile_seconds

NAME = "placements_xrechnung"
INVOICES = setting("KOFFER_BENCH_INVOICES", 500, 6)
WARMUP = sized(30, 2)
MONTHLY_INVOICES = 5_000
TARGET_RUN_SECONDS = 300.0
TARGET_INVOICE_MS = 60.0
THREADS = 2

MONTH = Period(date(2026, 10, 1), date(2026, 10, 31))


def _invoice(number: int, rng: random.Random) -> Invoice:
    rate = money(Decimal(rng.randint(9_500, 42_000)) / 100)
    present = rng.randint(10, 31)
    absent = 31 - present
    child = f"{rng.choice('ABCDEFGHKLMNPRST')}. (Pseudonym)"
    lines = [
        InvoiceLine(
            line_id="1",
            name="Heimerziehung § 34 SGB VIII – Anwesenheitstage",
            description=f"{child}, 01.–31.10.2026: {present} Anwesenheitstage à {rate} €",
            quantity=Decimal(present),
            net_price=rate,
            period=MONTH,
        )
    ]
    if absent:
        lines.append(
            InvoiceLine(
                line_id="2",
                name="Heimerziehung § 34 SGB VIII – Abwesenheitstage",
                description=f"{child}: {absent} Abwesenheitstage à 75 %",
                quantity=Decimal(absent),
                net_price=money(rate * Decimal("0.75")),
                period=MONTH,
            )
        )
    if rng.random() < 0.3:
        lines.append(
            InvoiceLine(
                line_id=str(len(lines) + 1),
                name="Freihalteplatz",
                quantity=Decimal(rng.randint(1, 15)),
                net_price=money(rate * Decimal("0.8")),
                period=MONTH,
            )
        )
    if rng.random() < 0.3:
        lines.append(
            InvoiceLine(
                line_id=str(len(lines) + 1),
                name="Fachleistungsstunden Elternarbeit",
                quantity=Decimal(rng.randint(1, 40)) / 4,
                net_price=Decimal("68.40"),
                unit=UnitCode.HOUR,
                period=MONTH,
            )
        )
    leitweg = f"05334-{rng.randint(10_000, 99_999)}-{rng.randint(10, 99)}"
    return Invoice(
        number=f"RE-2026-{number:06d}",
        issue_date=date(2026, 11, 3),
        buyer_reference=leitweg,
        seller=Seller(
            name=f"Jugendhilfe Träger {number % 40} gGmbH",
            address=Address(street="Lindenweg 12", postcode="52062", city="Aachen"),
            contact=SellerContact("Petra Schulz", "+49 241 123456-20", "rechnung@traeger.example"),
            electronic_address=ElectronicAddress("rechnung@traeger.example"),
            tax_number="201/5940/1234",
            legal_registration_id="HRB 4711, Amtsgericht Aachen",
        ),
        buyer=Buyer(
            name="Landkreis Benchmark, Jugendamt",
            address=Address(street="Kreishausplatz 1", postcode="52070", city="Benchstadt"),
            electronic_address=ElectronicAddress(leitweg, scheme="0204"),
        ),
        payment=PaymentMeans(iban="DE89370400440532013000", account_name="Träger gGmbH"),
        period=MONTH,
        lines=tuple(lines),
        payment_terms="Zahlbar innerhalb von 30 Tagen ohne Abzug.",
        basis=BillingBasis(
            leistungsnachweis_id=f"LN-2026-10-{number:05d}", belegung_id=f"BEL-{number:06d}"
        ),
    )


def _clock() -> tuple[int, int]:
    return time.perf_counter_ns(), time.thread_time_ns()


def _since(start: tuple[int, int]) -> tuple[float, float]:
    wall, cpu = start
    return (time.perf_counter_ns() - wall) / 1e6, (time.thread_time_ns() - cpu) / 1e6


def run() -> None:
    began = time.perf_counter()
    compiled = compile_seconds()
    compile_s = time.perf_counter() - began
    rng = random.Random(20261103)
    invoices = [_invoice(n, rng) for n in range(1, INVOICES + WARMUP + 1)]

    start = _clock()
    first = validate(build_cii(invoices[0]))
    first_ms, _ = _since(start)
    assert first.is_valid, first.errors
    for invoice in invoices[1:WARMUP]:
        validate(build_cii(invoice))

    samples: dict[str, list[float]] = {
        key: []
        for key in (
            "build",
            "build_cpu",
            "validate",
            "validate_cpu",
            "total",
            "parse",
            "schema",
            "en16931",
            "xrechnung",
        )
    }
    warnings = 0
    gc.collect()
    for invoice in invoices[WARMUP:]:
        start = _clock()
        xml = build_cii(invoice)
        build_ms, build_cpu = _since(start)
        start = _clock()
        report = validate(xml)
        validate_ms, validate_cpu = _since(start)
        assert report.is_valid, (invoice.number, report.errors)
        warnings += len(report.warnings)
        samples["build"].append(build_ms)
        samples["build_cpu"].append(build_cpu)
        samples["validate"].append(validate_ms)
        samples["validate_cpu"].append(validate_cpu)
        samples["total"].append(build_ms + validate_ms)
        samples["parse"].append(report.timings.parse_ms)
        samples["schema"].append(report.timings.schema_ms)
        samples["en16931"].append(report.timings.en16931_ms)
        samples["xrechnung"].append(report.timings.xrechnung_ms)

    for case in ("build", "validate"):
        emit(
            NAME,
            case=case,
            n=len(samples[case]),
            p50_ms=percentile(samples[case], 50),
            p95_ms=percentile(samples[case], 95),
            p99_ms=percentile(samples[case], 99),
            cpu_p50_ms=percentile(samples[f"{case}_cpu"], 50),
            cpu_p95_ms=percentile(samples[f"{case}_cpu"], 95),
        )
    emit(
        NAME,
        case="validate_steps",
        parse_p50_ms=percentile(samples["parse"], 50),
        schema_p50_ms=percentile(samples["schema"], 50),
        en16931_p50_ms=percentile(samples["en16931"], 50),
        xrechnung_p50_ms=percentile(samples["xrechnung"], 50),
        en16931_p95_ms=percentile(samples["en16931"], 95),
        ratio_validate_to_schema_only=percentile(samples["validate"], 50)
        / percentile(samples["schema"], 50),
        warnings=warnings,
    )
    emit(
        NAME,
        case="compile",
        total_s=compile_s,
        xsd_s=compiled["xsd"],
        en16931_s=compiled["en16931"],
        xrechnung_s=compiled["xrechnung"],
        first_invoice_ms=first_ms,
    )

    mean_ms = sum(samples["total"]) / len(samples["total"])
    p95_ms = percentile(samples["total"], 95)
    projected_s = compile_s + MONTHLY_INVOICES * mean_ms / 1000
    emit(
        NAME,
        case="projection",
        invoices=MONTHLY_INVOICES,
        per_invoice_mean_ms=mean_ms,
        per_invoice_p95_ms=p95_ms,
        projected_s=projected_s,
        target=f"<{TARGET_RUN_SECONDS:.0f}s,p95<{TARGET_INVOICE_MS:.0f}ms",
        met=projected_s < TARGET_RUN_SECONDS and p95_ms < TARGET_INVOICE_MS,
    )
    _threads(invoices[WARMUP:])


def _threads(invoices: list[Invoice]) -> None:
    """Invoices per second with one thread and with THREADS threads on the same work."""
    work = [build_cii(invoice) for invoice in invoices[:200]]

    def validate_all(chunk: list[bytes]) -> None:
        for xml in chunk:
            assert validate(xml).is_valid

    began = time.perf_counter()
    validate_all(work)
    single = len(work) / (time.perf_counter() - began)

    chunks = [work[i::THREADS] for i in range(THREADS)]
    threads = [threading.Thread(target=validate_all, args=(chunk,)) for chunk in chunks]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    threaded = len(work) / (time.perf_counter() - began)
    note(f"Validierung: {single:.0f}/s in einem Thread, {threaded:.0f}/s in {THREADS} Threads")
    emit(
        NAME,
        case="threads",
        threads=THREADS,
        single_per_s=single,
        threaded_per_s=threaded,
        speedup=threaded / single,
    )
