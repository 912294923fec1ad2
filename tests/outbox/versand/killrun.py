"""The dispatch as processes of their own, for the kill test (``test_kill.py``) and the
simulator's test (``test_simulator.py``): ``setup`` makes a Mandant with two providers
and released letters spread over several days in the database of ``KOFFER_VAR_DIR``
(the first provider's token secret in ``druckdienst.token`` there); ``run`` works
through those days' cut-offs (batches, packing, takeovers) as the worker's round does,
and prints ``fertig`` when it got through; ``stapeln`` runs one round now."""

from __future__ import annotations

import os
import sys
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import django

BERLIN = ZoneInfo("Europe/Berlin")
DAYS = 6
LETTERS_PER_DAY = 8


def _start() -> datetime:
    return datetime.combine(
        datetime.now(BERLIN).date() - timedelta(days=DAYS + 1), time(8, 0), tzinfo=BERLIN
    )


def cut_offs() -> list[datetime]:
    """Each day's 10:00 and 15:00, then, 5 hours after each, the takeover check."""
    moments = []
    for day in range(DAYS):
        base = _start() + timedelta(days=day)
        for hour in (10, 15, 20):
            moments.append(base.replace(hour=hour))
    return moments


def setup() -> None:
    from django.conf import settings

    from tests import factories
    from tests.factories import records as record_factories
    from tests.outbox.factories import released_letter
    from tests.outbox.versand.conftest import make_provider

    tenant = factories.mandant("Landkreis Abbruch")
    admin = factories.user(tenant, role="mandant_admin")
    team = factories.unit(tenant, "Team")
    caseworker = factories.user(tenant, role="sachbearbeitung", unit_=team)
    zentrale = factories.unit(tenant, "Zentrale Dienste")
    for rang in (1, 2):
        provider = make_provider(tenant, zentrale, admin, rang=rang, minuten=240)
        if rang == 1:
            (settings.VAR_DIR / "druckdienst.token").write_text(provider.secret, encoding="utf-8")
    plan = record_factories.leistungsplan(tenant)
    akte = record_factories.akte(caseworker=caseworker, plan=plan, unit=team)
    for day in range(DAYS):
        for n in range(LETTERS_PER_DAY):
            released_letter(
                tenant,
                akte,
                actor=caseworker,
                seiten=1 + n % 3,
                freigegeben_at=_start() + timedelta(days=day, hours=n),
            )


def _announced(module: object, name: str) -> None:
    """Print a line before and after each call of ``module.name``, so that the test can
    kill the process in the middle of a chosen step (inside transactions, too)."""
    original = getattr(module, name)

    def wrapped(*args: object, **kwargs: object) -> object:
        print(f"schritt {name}", flush=True)
        result = original(*args, **kwargs)
        print(f"schritt {name} fertig", flush=True)
        return result

    setattr(module, name, wrapped)


def run() -> None:
    from koffer.audit import services as audit
    from koffer.outbox.versand import paket, services, tasks
    from koffer.records.dokumente import services as documents

    for module, name in (
        (services, "stapeln"),
        (services, "packen"),
        (services, "uebernehmen"),
        (paket, "schreiben"),
        (documents, "store_blobs"),
        (documents, "settle_blobs"),
        (audit, "record"),
    ):
        _announced(module, name)
    print("bereit", flush=True)  # Django is up: from here on every line is a step
    for moment in cut_offs():
        tasks.runde(now=moment)
    print("fertig", flush=True)


def stapeln() -> None:
    from koffer.outbox.versand import tasks

    tasks.runde()


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koffer.settings")
    django.setup()
    {"setup": setup, "run": run, "stapeln": stapeln}[sys.argv[1]]()
