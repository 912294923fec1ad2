"""``manage.py printprovider_sim``: a print provider played by a program (see
``koffer.outbox.versand.simulator``). With ``--demo`` it uses the demo provider's token
(made on first use, kept in the var folder); otherwise the token comes from ``--token``
or ``KOFFER_DRUCK_TOKEN``. With ``--ordner`` it works through that drop folder instead of
the API (no token, no URL: the folder is all a provider with a drop folder sees)."""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.outbox.versand.simulator import Ablage, Ablauf, Druckdienst, SimulatorError


class Command(BaseCommand):
    help = "Simuliert einen Druckdienst: holt Versandstapel über die API ab und meldet Status."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default=os.environ.get("KOFFER_BASE_URL", ""))
        parser.add_argument("--token", default=os.environ.get("KOFFER_DRUCK_TOKEN", ""))
        parser.add_argument("--demo", action="store_true", help="Token des Demo-Druckdienstes")
        parser.add_argument(
            "--ordner",
            default="",
            help="Ablageordner des Druckdienstes (mit ausgang/ und eingang/) statt der API",
        )
        parser.add_argument("--once", action="store_true", help="eine Runde, dann beenden")
        parser.add_argument("--delay", type=float, default=3.0, help="Sekunden je Statusschritt")
        parser.add_argument("--pause", type=float, default=15.0, help="Sekunden zwischen Runden")
        parser.add_argument("--return-rate", type=float, default=0.05)
        parser.add_argument("--seed", type=int, default=16)

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        if not 0 <= options["return_rate"] <= 1:
            raise CommandError("--return-rate liegt zwischen 0 und 1.")
        ablauf = {
            "delay": options["delay"],
            "return_rate": options["return_rate"],
            "rng": random.Random(options["seed"]),
        }
        sim: Ablauf
        if options["ordner"]:
            sim = Ablage(ordner=Path(options["ordner"]), **ablauf)
        else:
            sim = Druckdienst(base_url=options["base_url"], token=self._token(options), **ablauf)
        try:
            sim.laufen(pause=options["pause"], once=options["once"])
        except SimulatorError as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            return

    def _token(self, options: dict[str, Any]) -> str:
        token = str(options["token"])
        if options["demo"]:
            from koffer.demo import district, druckdienst

            if not district.is_loaded():
                raise CommandError("Der Demo-Landkreis ist nicht geladen (manage.py load_demo).")
            token = druckdienst.token()
        if not token or not options["base_url"]:
            raise CommandError("Bitte --base-url und --token (oder --demo oder --ordner) angeben.")
        return token
