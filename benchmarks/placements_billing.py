"""Month-end billing of the Platzbörse: 5,000 Belegungen at 50 providers.

The issue's target: month-end billing of 5,000 Belegungen, including XRechnung generation
and validation, in 5 minutes or less. Each provider's month is billed with
:func:`koffer.placements.abrechnung.services.run_month_end` (called directly, as the job would, without
a worker): compute every Leistungsnachweis, confirm it, build its XRechnung (CII), check it
with all three official checks (XML schema, EN 16931, KoSIT XRechnung), store the XML in
the blob store, write the invoice and the audit events.

Data (seeded, written in bulk, not through the services): 5 youth offices with Leitweg-ID
and invoice address; 50 providers, each with a profile, one facility, one Angebot and 100
places with one Belegung each (70 % the whole month, 15 % starting, 15 % ending in it;
every fifth with 1–5 absence days) plus one standby place; every fifth provider changes
its Tagessatz in mid-month (two positions). So 5,000 Belegungen and 50 standby places,
5,050 invoices. Reported: the total run time, milliseconds per invoice (mean and p95 over
the providers' runs), what of it is building and validating the XML, and the target.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from benchmarks.report import emit, note, percentile
from benchmarks.scale import setting, sized

NAME = "placements_billing"
DATABASES = ("sqlite", "postgresql")
PROVIDERS = setting("KOFFER_BENCH_PROVIDERS", 50, 2)
PER_PROVIDER = setting("KOFFER_BENCH_BELEGUNGEN", 100, 3)
YOUTH_OFFICES = sized(5, 2)
TARGET_SECONDS = 300.0
SEED = 20261031


def _month() -> date:
    from django.utils import timezone

    from koffer.placements.abrechnung.positions import month_bounds

    return month_bounds(month_bounds(timezone.localdate())[0] - timedelta(days=1))[0]


def _build(rng: random.Random, monat: date) -> list[Any]:
    """The providers (Mandanten), with everything billing reads, in bulk."""
    from django.db import transaction

    from koffer.accounts import services as accounts
    from koffer.identifiers import check_digits
    from koffer.placements import katalog
    from koffer.placements.abrechnung.positions import month_bounds
    from koffer.placements.models import (
        Abwesenheit,
        Angebot,
        Belegung,
        Betreuungsform,
        Einrichtung,
        Entgelt,
        Platz,
        Platzgesuch,
        Rechnungsanschrift,
        Region,
        Traegerprofil,
    )
    from koffer.tenancy import services as tenancy
    from koffer.tenancy.models import Mandant, Organisationseinheit

    katalog.load_default_catalogue()
    form = Betreuungsform.objects.select_related("fachbereich").get(code="heim-34")
    region = Region.objects.get(name="Musterstadt")
    first, last = month_bounds(monat)
    year_start = date(first.year - 1, 1, 1)

    offices = []
    for n in range(YOUTH_OFFICES):
        office = tenancy.create_mandant(
            actor=None,
            slug=f"kreis-{n}",
            name=f"Landkreis Bench {n}",
            kind=Mandant.Kind.KREIS,
            leitweg_id=f"0999{n}000-BENCH-{check_digits(f'0999{n}000BENCH')}",
        )
        root = Organisationseinheit.objects.for_tenant(office).get(parent=None)
        user = accounts.create_user(
            actor=None,
            must_change_password=False,
            tenant=office,
            username=f"bench.kreis{n}",
            first_name="Bench",
            last_name=str(n),
            email=None,
            password=None,
            unit=root,
            role="sachbearbeitung",
            is_machine=True,
        )
        Rechnungsanschrift.objects.create(
            tenant=office,
            bezeichnung=f"Landkreis Bench {n}, Jugendamt",
            street="Kreishausplatz 1",
            postcode=f"6{n}000",
            city=f"Benchstadt {n}",
        )
        offices.append((office, user))

    providers = []
    for p in range(PROVIDERS):
        traeger = tenancy.create_mandant(
            actor=None, slug=f"traeger-{p}", name=f"Träger Bench {p}", kind=Mandant.Kind.TRAEGER
        )
        with transaction.atomic():
            Traegerprofil.objects.create(
                tenant=traeger,
                legal_name=f"Jugendhilfe Bench {p} gGmbH",
                street="Lindenweg 12",
                postcode="52062",
                city="Aachen",
                tax_number=f"201/5940/{1000 + p}",
                registereintrag=f"HRB {4700 + p}, Amtsgericht Aachen",
                iban="DE89370400440532013000",
                contact_name="Petra Schulz",
                contact_phone="+49 241 123456-20",
                contact_email=f"rechnung@traeger{p}.example",
            )
            einrichtung = Einrichtung.objects.create(
                tenant=traeger,
                fachbereich=form.fachbereich,
                name=f"Wohngruppe Bench {p}",
                street="Hauptstraße 1",
                postcode="60000",
                city="Musterstadt",
                lat=50.1,
                lon=8.7,
            )
            einrichtung.formen.set([form])
            angebot = Angebot.objects.create(
                tenant=traeger, einrichtung=einrichtung, betreuungsform=form, title="Regelgruppe"
            )
            rate = Decimal(rng.randint(15_000, 26_000)) / 100
            if p % 5 == 0:  # a new Tagessatz from the 16th
                change = first + timedelta(days=15)
                rates = [(year_start, change - timedelta(days=1), rate), (change, None, rate + 7)]
            else:
                rates = [(year_start, None, rate)]
            Entgelt.objects.bulk_create(
                Entgelt(
                    tenant=traeger,
                    angebot=angebot,
                    valid_from=start,
                    valid_to=end,
                    leistungsentgelt=amount,
                    grundleistung=Decimal("22.00"),
                    investitionsbetrag=Decimal("8.00"),
                    absence_share=Decimal("75.00"),
                )
                for start, end, amount in rates
            )
            plaetze = Platz.objects.bulk_create(
                Platz(
                    tenant=traeger,
                    einrichtung=einrichtung,
                    angebot=angebot,
                    label=f"Platz {i + 1}",
                    valid_from=year_start,
                )
                for i in range(PER_PROVIDER)
            )
            office, _ = offices[p % YOUTH_OFFICES]
            Platz.objects.create(
                tenant=traeger,
                einrichtung=einrichtung,
                angebot=angebot,
                label="Vorhalteplatz",
                valid_from=year_start,
                is_standby=True,
                standby_jugendamt=office,
            )
            belegungen = []
            for i, platz in enumerate(plaetze):
                office, user = offices[(p + i) % YOUTH_OFFICES]
                kind = rng.random()
                beginn = first - timedelta(days=rng.randint(1, 300))
                ende = None
                if kind < 0.15:
                    beginn = first + timedelta(days=rng.randint(0, 27))
                elif kind < 0.30:
                    ende = first + timedelta(days=rng.randint(0, 27))
                gesuch = Platzgesuch.objects.create(
                    tenant=office,
                    fachbereich=form.fachbereich,
                    betreuungsform=form,
                    pseudonym=f"G-B{p:03d}-{i:04d}",
                    alter=rng.randint(6, 17),
                    geschlecht=rng.choice("wmd"),
                    ab_datum=beginn,
                    region=region,
                    status=Platzgesuch.Status.VERMITTELT,
                    created_by=user,
                )
                belegungen.append(
                    Belegung(
                        tenant=traeger,
                        platz=platz,
                        einrichtung=einrichtung,
                        angebot=angebot,
                        gesuch=gesuch,
                        jugendamt=office,
                        alter_bei_beginn=gesuch.alter,
                        geschlecht=gesuch.geschlecht,
                        beginn=beginn,
                        ende=ende,
                        ende_grund="planmaessig" if ende else "",
                    )
                )
            Belegung.objects.bulk_create(belegungen)
            absences = []
            for belegung in belegungen[::5]:
                start = max(belegung.beginn, first) + timedelta(days=rng.randint(0, 3))
                end = min(start + timedelta(days=rng.randint(0, 4)), belegung.ende or last, last)
                if start <= end:
                    absences.append(
                        Abwesenheit(
                            tenant=traeger, belegung=belegung, von=start, bis=end, grund="Familie"
                        )
                    )
            Abwesenheit.objects.bulk_create(absences)
        providers.append(traeger)
    return providers


class _Timer:
    """Wraps a function of the billing module and adds up the time spent in it."""

    def __init__(self, module: Any, name: str) -> None:
        self.module, self.name = module, name
        self.real = getattr(module, name)
        self.seconds = 0.0
        self.calls = 0

    def __enter__(self) -> _Timer:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return self.real(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - began
                self.calls += 1

        setattr(self.module, self.name, timed)
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(self.module, self.name, self.real)


def run() -> None:
    from django.db import connection

    from koffer.placements.abrechnung import monatsabrechnung as month_end
    from koffer.placements.abrechnung import services as billing
    from koffer.placements.models import Rechnung
    from koffer.placements.xrechnung.validation import compile_seconds

    rng = random.Random(SEED)
    monat = _month()
    began = time.perf_counter()
    providers = _build(rng, monat)
    setup_s = time.perf_counter() - began
    count = PROVIDERS * PER_PROVIDER
    note(f"{count} Belegungen bei {PROVIDERS} Trägern in {setup_s:.1f} s angelegt")

    per_invoice: list[float] = []
    invoices = valid = failed = 0
    began = time.perf_counter()
    with _Timer(billing, "build_cii") as build, _Timer(billing, "validate") as check:
        compile_s = sum(compile_seconds().values())  # once per process, part of the run
        for number, traeger in enumerate(providers, start=1):
            started = time.perf_counter()
            result = month_end.run_month_end(actor=None, tenant=traeger, monat=monat)
            made = result.valid + result.invalid
            invoices += made
            valid += result.valid
            failed += len(result.failed)
            if made:
                per_invoice.append((time.perf_counter() - started) * 1000 / made)
            if number % 10 == 0:
                note(f"{number} Träger abgerechnet, {invoices} Rechnungen")
    total_s = time.perf_counter() - began

    stored = Rechnung.objects.unscoped().filter(nachweis__monat=monat).count()
    assert stored == invoices, (stored, invoices)
    emit(
        NAME,
        case="month_end",
        db=connection.vendor,
        belegungen=count,
        providers=PROVIDERS,
        invoices=invoices,
        valid=valid,
        not_billable=failed,
        setup_s=setup_s,
        total_s=total_s,
        per_invoice_ms=total_s * 1000 / max(invoices, 1),
        per_invoice_p95_ms=percentile(per_invoice, 95) if per_invoice else 0.0,
        build_ms=build.seconds * 1000 / max(build.calls, 1),
        validate_ms=check.seconds * 1000 / max(check.calls, 1),
        rest_ms=(total_s - build.seconds - check.seconds - compile_s) * 1000 / max(invoices, 1),
        compile_s=compile_s,
        target=f"<={TARGET_SECONDS:.0f}s",
        met=total_s <= TARGET_SECONDS and valid == invoices,
    )
