"""`make run`: migrate, load the demo district on first start, then serve with granian (the
pages, and the event streams from a process of their own on the next port) and run one
background worker; a part that dies is started again (koffer.shell.supervision), and only
Ctrl-C or SIGTERM stops them all, cleanly.

The start is quick (a Koffer shows its first Akte within 5 s, issue 18): ``migrate`` runs
only when a migration file is not recorded yet (``migrationsstand``), and the web server
starts alone; the stream process, the worker and the demo's helpers start once it answers
(or after ``NACH_WEB_SPAETESTENS`` seconds), so they do not take the CPU from the first
page. A Koffer serves its one user with one web worker."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.audit import anchors, geheimnisse, schluesselabgleich
from koffer.shell import migrationsstand, server, supervision
from koffer.tresor import schluessel as tresor_schluessel
from koffer.tresor import start as tresor_start

MANAGE = str(Path(settings.PROJECT_DIR) / "manage.py")
# The other parts start when the web server answers, at the latest after this many seconds.
NACH_WEB_SPAETESTENS = 30.0


class Command(BaseCommand):
    help = "Startet koffer: Webserver (granian), Live-Aktualisierung und Hintergrund-Worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KOFFER_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KOFFER_PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("KOFFER_WEB_WORKERS") or 0) or None,
            help="Web-Worker (Standard: 2, auf einem Koffer 1)",
        )
        parser.add_argument(
            "--live-port",
            type=int,
            default=int(os.environ.get("KOFFER_LIVE_PORT") or 0) or None,
            help="Port der Live-Aktualisierung (Standard: Port + 1)",
        )
        parser.add_argument(
            "--live-streams",
            type=int,
            default=settings.KOFFER_LIVE_STREAMS,
            help="gleichzeitige Live-Ströme, darüber fragen Seiten alle 15 s nach",
        )
        parser.add_argument("--no-demo", action="store_true", help="keinen Demo-Landkreis laden")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        live_port = options["live_port"] or port + 1
        for what, number, hint in (
            ("Webserver", port, "KOFFER_PORT oder --port"),
            ("Live-Aktualisierung", live_port, "KOFFER_LIVE_PORT oder --live-port"),
        ):
            if not _port_free(host, number):
                raise CommandError(
                    f"Port {number} auf {host} ist belegt ({what}). Bitte einen anderen Port"
                    f" wählen: {hint}."
                )
        # A Koffer (KOFFER_TRESOR=1): the secret unwraps the device key before anything
        # opens the database; the key reaches web, worker and the rest by the environment.
        try:
            tresor_start.schluessel_bereitstellen()
        except tresor_schluessel.TresorFehler as exc:
            raise CommandError(exc.message) from None
        if not migrationsstand.auf_dem_stand():
            call_command("migrate", verbosity=0, interactive=False)
        # Several machines share the database: one with another secret key or without
        # the others' audit keys would break sessions and the chains, so it does not start.
        if abweichungen := schluesselabgleich.abweichungen():
            raise CommandError(
                " ".join(["Dieser Rechner passt nicht zu den anderen:", *abweichungen])
            )
        # Secrets earlier versions kept in this machine's files move into the database
        # (FIT-Connect keys, the portal's SAML keys), each move audited.
        geheimnisse.uebernehmen()
        # A Koffer gets its people and Akten from the office („Koffer einrichten“), never
        # the demo district: its first start lands on the set-up page.
        if settings.DEMO_MODE and not options["no_demo"] and settings.KOFFER_MODE != "koffer":
            call_command("load_demo")
        # Before anything else can write: whatever the chains hold now is anchored, so a
        # tail cut off later is found even before the worker's first periodic anchor.
        anchors.anchor_moved_heads(kind=anchors.STARTUP)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(settings.BASE_DIR.parent), os.environ.get("PYTHONPATH", "")]
            ),
            # glibc gives each thread that allocates a lot its own arena and rarely hands
            # it back: a web worker's peak RSS while rendering page images 264 -> 225 MB
            # with two arenas (make bench ONLY=records_web_memory).
            "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
        }
        streams = options["live_streams"]
        workers = options["workers"] or (1 if settings.KOFFER_MODE == "koffer" else 2)
        parts = [
            # Pages and API in single-threaded workers; event streams, which hold a thread
            # each, from a process of their own (koffer.shell.live).
            supervision.Part(
                key="web",
                name="Webserver",
                command=server.web_command(host=host, port=port, workers=workers),
                env=server.stream_env(port=port, live_port=live_port, streams=0),
            ),
            supervision.Part(
                key="live",
                name="Live-Aktualisierung",
                command=server.live_command(host=host, port=live_port, streams=streams),
                env=server.stream_env(port=port, live_port=live_port, streams=streams),
                deferred=True,
            ),
            supervision.Part(
                key="worker",
                name="Hintergrund-Worker",
                # One id for all its restarts: a restarted worker takes over the jobs its
                # predecessor was running at once, and /readyz counts one worker, not a
                # dead one beside it until its last heartbeat grows old.
                command=[sys.executable, MANAGE, "worker", "--worker-id", _worker_id()],
                env={},
                deferred=True,
            ),
        ]
        if settings.DEMO_MODE and not options["no_demo"]:
            # The demo's print provider, played by a program over the HTTP API, so that
            # the Postausgang's whole loop (batch, fetch, print, post) runs on one laptop.
            local = _local(host)
            parts.append(
                supervision.Part(
                    key="druckdienst",
                    name="Druckdienst-Simulator (Demo)",
                    command=[
                        sys.executable,
                        MANAGE,
                        "printprovider_sim",
                        "--demo",
                        "--base-url",
                        f"http://{local}:{port}",
                    ],
                    env={},
                    deferred=True,
                )
            )

            # The demo's printer for local printing (a real IPP printer), where the
            # tools are installed (scripts/system_packages.py); without them the demo
            # keeps the printer's row and a print says the printer is not reachable.
            if all(shutil.which(tool) for tool in ("ippeveprinter", "dbus-daemon")):
                parts.append(
                    supervision.Part(
                        key="drucker",
                        name="Demo-Drucker (IPP)",
                        command=[sys.executable, MANAGE, "demo_drucker"],
                        env={},
                        deferred=True,
                    )
                )

        def start(part: supervision.Part) -> subprocess.Popen[bytes]:
            # Its own process group: the terminal's Ctrl-C reaches only serve, which then
            # sends each part exactly one SIGTERM (see Supervisor.stop_all).
            return subprocess.Popen(  # noqa: S603
                part.command,
                env={**env, **part.env},
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

        supervisor = supervision.Supervisor(
            parts,
            status_path=Path(settings.VAR_DIR) / supervision.STATUS_FILE,
            start=start,
            say=lambda text: self.stderr.write(self.style.WARNING(text)),
        )
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        supervisor.start_all()
        web_url = f"http://{_local(host)}:{port}/healthz"
        spaetestens = time.monotonic() + NACH_WEB_SPAETESTENS
        self.stdout.write(
            self.style.SUCCESS(
                f"koffer läuft auf http://{host}:{port}  (Beenden mit Strg-C;"
                f" Live-Aktualisierung auf Port {live_port})"
            )
        )
        self.stdout.flush()
        # Only Ctrl-C or SIGTERM ends koffer; a part that dies is started again.
        try:
            while not stopping:
                supervisor.tick()
                if supervisor.deferred_waiting() and (
                    time.monotonic() >= spaetestens or _answers(web_url)
                ):
                    supervisor.start_deferred()
                time.sleep(0.1 if supervisor.deferred_waiting() else 0.3)
        finally:
            supervisor.stop_all()
        self.stdout.write("koffer beendet.")


def _worker_id() -> str:
    return f"{socket.gethostname()[:40]}-serve-{os.getpid()}"


def _local(host: str) -> str:
    """Where serve itself reaches the web server."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104


def _answers(url: str) -> bool:
    """Whether the web server answers (any HTTP status) within a short time."""
    try:
        with urllib.request.urlopen(url, timeout=0.5):  # noqa: S310 (our own http URL)
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as granian binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when ``serve`` dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
