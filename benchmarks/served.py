"""koffer served by granian as ``make run`` serves it, for the benchmarks that need a real
server: start the web process (and the event-stream process), wait until it answers,
sign in through the real form, stop it.

Shared here, not imported from one benchmark into another: a benchmark's own helpers
change with it, and two benchmarks once crashed on import when one of them did.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from koffer.demo import district
from koffer.shell import server

WEB_WORKERS = 2


def start_web(
    port: int, *, live_port: int | None = None, workers: int = WEB_WORKERS
) -> subprocess.Popen[bytes]:
    """The web process (pages and API). Its pages name the stream process on ``live_port``;
    none need listen there unless a benchmark opens streams."""
    live_port = live_port if live_port is not None else server.free_port()
    return subprocess.Popen(
        server.web_command(host="127.0.0.1", port=port, workers=workers),
        env={**_env(), **server.stream_env(port=port, live_port=live_port, streams=0)},
    )


def start_live(port: int, *, live_port: int, streams: int) -> subprocess.Popen[bytes]:
    """The event-stream process beside the web process on ``port``."""
    return subprocess.Popen(
        server.live_command(host="127.0.0.1", port=live_port, streams=streams),
        env={**_env(), **server.stream_env(port=port, live_port=live_port, streams=streams)},
    )


def _env() -> dict[str, str]:
    return {**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}  # as serve


def opener(jar: CookieJar | None = None) -> urllib.request.OpenerDirector:
    """urllib without proxies (loopback only), with ``jar`` for cookies if given."""
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with opener().open(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)  # not listening yet, or still importing koffer
    raise SystemExit("granian ist nicht innerhalb von 60 s erreichbar")


def sign_in(base: str, username: str, password: str = district.DEMO_PASSWORD) -> str:
    """Sign in through the real form; returns the Cookie header (session and CSRF)."""
    jar = CookieJar()
    browser = opener(jar)
    with browser.open(base + "/anmelden/", timeout=10) as response:
        page = response.read().decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if found is None:
        raise SystemExit("Anmeldeformular ohne CSRF-Token")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": found.group(1)}
    ).encode()
    with browser.open(base + "/anmelden/", form, timeout=30) as response:
        start_page = response.read().decode()
        final_url = response.geturl()
    if "Guten Tag" not in start_page or "/anmelden" in final_url:
        raise SystemExit(f"Anmeldung als {username} fehlgeschlagen")
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit("Kein Sitzungs-Cookie nach der Anmeldung")
    return "; ".join(f"{name}={value}" for name, value in sorted(cookies.items()))


def stop(process: subprocess.Popen[bytes], *, timeout: float = 15) -> None:
    """Ctrl-C as an operator would; killed if it has not ended ``timeout`` seconds later."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and every process below it (granian's workers, the worker)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    tree, frontier = {pid}, {pid}
    while frontier:
        frontier = {p for p, (parent, _) in stats.items() if parent in frontier} - tree
        tree |= frontier
    return sum(stats[p][1] for p in tree if p in stats)
