"""How koffer is served: the granian command lines of ``make run``, which the benchmarks and
the browser tests start in the same way."""

from __future__ import annotations

import socket
import sys

from django.conf import settings

# Threads of the event-stream process (koffer.shell.live); two stay free for a stream
# request that is refused (503) or for anything else that reaches that port.
LIVE_THREADS_SPARE = 2
# Pause before granian starts a failed worker again (its default is 3.5 s); the other
# workers serve meanwhile.
RESPAWN_SECONDS = 1.0


def granian_command(
    *, host: str, port: int, workers: int, threads: int, log_level: str = "warning"
) -> list[str]:
    """granian serving koffer's WSGI application."""
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--no-ws",
        # A worker process that dies (a crash, the OOM killer, kill -9) is started again by
        # granian's main process; without this granian ends altogether (2.x default).
        "--respawn-failed-workers",
        "--respawn-interval",
        str(RESPAWN_SECONDS),
        "--log-level",
        log_level,
        "koffer.wsgi:application",
    ]


def web_command(*, host: str, port: int, workers: int) -> list[str]:
    """The web pages and the API: single-threaded workers (settings.KOFFER_WEB_THREADS)."""
    return granian_command(
        host=host, port=port, workers=workers, threads=settings.KOFFER_WEB_THREADS
    )


def live_command(*, host: str, port: int, streams: int) -> list[str]:
    """The event streams: one process whose threads mostly sleep between two polls."""
    # granian warns of more threads than twice the cores; these mostly sleep, so only its
    # errors are shown.
    return granian_command(
        host=host, port=port, workers=1, threads=streams + LIVE_THREADS_SPARE, log_level="error"
    )


def stream_env(*, port: int, live_port: int, streams: int) -> dict[str, str]:
    """Environment of a process beside a stream process on ``live_port``: pages (served on
    ``port``) open their streams there, and the process keeps ``streams`` threads for
    them: none in the web workers, many in the stream process."""
    return {
        "KOFFER_PORT": str(port),
        "KOFFER_LIVE_PORT": str(live_port),
        "KOFFER_LIVE_STREAMS": str(streams),
    }


def free_port() -> int:
    """A TCP port on loopback that nobody listens on now (tests and benchmarks)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
