"""A small IPP/1.1 client (RFC 8010 encoding, RFC 8011 operations): Print-Job of one PDF
and Get-Job-Attributes until the printer's job has ended. Neither pyipp (async, no
Print-Job) nor pycups (needs a local cupsd) is installed, and ipptool would be a child
process per request and a Debian package on every machine that prints; the binary format
is short and fixed, so koffer speaks it itself and needs nothing to print but the
network. Every request has a timeout; a printer's answer is bounded in size.

Only what koffer sends and reads is here: attributes of the simple value types; a
collection's members are read as further values of the attribute before them (koffer
asks only for simple ones)."""

from __future__ import annotations

import http.client
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

VERSION = (1, 1)
PRINT_JOB = 0x0002
GET_JOB_ATTRIBUTES = 0x0009
GET_JOBS = 0x000A
GET_PRINTER_ATTRIBUTES = 0x000B

# Delimiter tags (RFC 8010 3.5.1).
OPERATION = 0x01
JOB = 0x02
END = 0x03
PRINTER = 0x04
UNSUPPORTED = 0x05
# Value tags (RFC 8010 3.5.2).
INTEGER = 0x21
BOOLEAN = 0x22
ENUM = 0x23
TEXT = 0x41
NAME = 0x42
KEYWORD = 0x44
URI = 0x45
CHARSET = 0x47
LANGUAGE = 0x48
MIME = 0x49

# job-state (RFC 8011 5.3.7)
PENDING, HELD, PROCESSING, STOPPED, CANCELED, ABORTED, COMPLETED = 3, 4, 5, 6, 7, 8, 9
FINAL = frozenset({CANCELED, ABORTED, COMPLETED})
JOB_STATES = {
    PENDING: "wartet",
    HELD: "angehalten",
    PROCESSING: "wird gedruckt",
    STOPPED: "unterbrochen",
    CANCELED: "abgebrochen",
    ABORTED: "vom Drucker abgebrochen",
    COMPLETED: "gedruckt",
}

# Printer status codes koffer explains in German (RFC 8011 / PWG 5100 registry).
STATUS_TEXT = {
    0x0400: "Der Drucker hat die Anfrage nicht verstanden",
    0x0401: "Der Drucker verweigert den Auftrag",
    0x0402: "Der Drucker verlangt eine Anmeldung",
    0x0403: "Der Drucker erlaubt diesen Auftrag nicht",
    0x0404: "Der Drucker kann diesen Auftrag nicht ausführen",
    0x0405: "Der Drucker hat zu lange auf das Dokument gewartet",
    0x0406: "Diese Druckerwarteschlange gibt es nicht (Pfad der IPP-Adresse prüfen)",
    0x0407: "Diese Druckerwarteschlange gibt es nicht mehr",
    0x0408: "Das Dokument ist zu groß für den Drucker",
    0x040A: "Der Drucker kann keine PDF-Dateien drucken",
    0x040B: "Der Drucker unterstützt eine angeforderte Einstellung nicht",
    0x0500: "Interner Fehler des Druckers",
    0x0501: "Der Drucker kennt diesen Vorgang nicht",
    0x0502: "Der Drucker ist gerade nicht verfügbar",
    0x0503: "Der Drucker unterstützt diese IPP-Version nicht",
    0x0504: "Der Drucker meldet eine Störung",
    0x0505: "Der Drucker meldet einen vorübergehenden Fehler",
    0x0506: "Der Drucker nimmt zurzeit keine Aufträge an",
    0x0507: "Der Drucker ist ausgelastet",
    0x0508: "Der Auftrag wurde am Drucker abgebrochen",
}

MAX_RESPONSE = 1024 * 1024
MAX_DOCUMENT = 64 * 1024 * 1024
DEFAULT_PORT = 631


class IppError(Exception):
    """The printer is not reachable, refused the request or answered nonsense; ``message``
    is German, for the letter's page."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Antwort:
    """A printer's answer: status code and attributes per group (name → values)."""

    status: int
    request_id: int
    groups: list[tuple[int, dict[str, list[object]]]] = field(default_factory=list)

    def first(self, name: str, default: object = None) -> object:
        for _, attrs in self.groups:
            if attrs.get(name):
                return attrs[name][0]
        return default

    def all(self, name: str) -> list[object]:
        for _, attrs in self.groups:
            if name in attrs:
                return attrs[name]
        return []

    @property
    def ok(self) -> bool:
        return self.status < 0x0100


@dataclass(frozen=True)
class Auftrag:
    """The printer's job for one document, as it reported it."""

    job_id: int
    job_uri: str
    state: int
    message: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL


# --- encoding ----------------------------------------------------------------------------------

Wert = tuple[int, str | int | bool]
Attribute = list[tuple[str, list[Wert]]]


def _attribute(name: str, values: list[Wert]) -> bytes:
    out = bytearray()
    for i, (tag, value) in enumerate(values):
        label = name.encode() if i == 0 else b""
        if tag in (INTEGER, ENUM):
            raw = struct.pack(">i", int(value))
        elif tag == BOOLEAN:
            raw = b"\x01" if value else b"\x00"
        else:
            raw = str(value).encode()
        if len(raw) > 0x7FFF:
            raise ValueError(f"IPP value of {name} too long")
        out += struct.pack(">BH", tag, len(label)) + label + struct.pack(">H", len(raw)) + raw
    return bytes(out)


def encode(
    operation: int,
    request_id: int,
    groups: list[tuple[int, Attribute]],
) -> bytes:
    """An IPP request's header and attribute groups (the document follows it)."""
    out = bytearray(struct.pack(">BBHi", *VERSION, operation, request_id))
    for tag, attrs in groups:
        out.append(tag)
        for name, values in attrs:
            out += _attribute(name, values)
    out.append(END)
    return bytes(out)


def _value(tag: int, raw: bytes) -> object:
    if tag in (INTEGER, ENUM) and len(raw) == 4:
        return struct.unpack(">i", raw)[0]
    if tag == BOOLEAN and len(raw) == 1:
        return raw != b"\x00"
    if 0x40 <= tag <= 0x4A:
        return raw.decode("utf-8", errors="replace")
    return raw


def decode(data: bytes) -> Antwort:
    """A printer's answer; :class:`IppError` when it is not IPP."""
    if len(data) < 9:
        raise IppError("Die Antwort des Druckers ist kein IPP.")
    _, _, status, request_id = struct.unpack(">BBHi", data[:8])
    answer = Antwort(status, request_id)
    pos, last = 8, ""
    attrs: dict[str, list[object]] | None = None
    try:
        while pos < len(data):
            tag = data[pos]
            pos += 1
            if tag == END:
                return answer
            if tag < 0x10:
                attrs = {}
                answer.groups.append((tag, attrs))
                continue
            (n,) = struct.unpack(">H", data[pos : pos + 2])
            name = data[pos + 2 : pos + 2 + n].decode("utf-8", errors="replace")
            pos += 2 + n
            (m,) = struct.unpack(">H", data[pos : pos + 2])
            raw = data[pos + 2 : pos + 2 + m]
            if len(raw) != m:
                raise IppError("Die Antwort des Druckers ist unvollständig.")
            pos += 2 + m
            if attrs is None:
                raise IppError("Die Antwort des Druckers ist kein IPP.")
            if name:
                last = name
            attrs.setdefault(last, []).append(_value(tag, raw))
    except struct.error as exc:
        raise IppError("Die Antwort des Druckers ist unvollständig.") from exc
    raise IppError("Die Antwort des Druckers ist unvollständig.")


# --- transport ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ziel:
    """Where a printer is: its IPP URI split for HTTP."""

    uri: str
    host: str
    port: int
    path: str
    tls: bool

    @classmethod
    def of(cls, uri: str) -> Ziel:
        parts = urlsplit(uri)
        if parts.scheme not in ("ipp", "ipps") or not parts.hostname:
            raise IppError(f"„{uri}“ ist keine IPP-Adresse.")
        return cls(
            uri=uri,
            host=parts.hostname,
            port=parts.port or DEFAULT_PORT,
            path=parts.path or "/",
            tls=parts.scheme == "ipps",
        )

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _connection(ziel: Ziel, timeout: float) -> http.client.HTTPConnection:
    if ziel.tls:
        return http.client.HTTPSConnection(
            ziel.host, ziel.port, timeout=timeout, context=ssl.create_default_context()
        )
    return http.client.HTTPConnection(ziel.host, ziel.port, timeout=timeout)


def _unreachable(ziel: Ziel, exc: BaseException) -> IppError:
    if isinstance(exc, ConnectionRefusedError):
        why = "die Verbindung wurde abgelehnt (ist er eingeschaltet?)"
    elif isinstance(exc, TimeoutError):
        why = "er antwortet nicht rechtzeitig"
    elif isinstance(exc, ssl.SSLError):
        why = "die verschlüsselte Verbindung scheiterte (Zertifikat prüfen)"
    else:
        why = f"die Verbindung scheiterte ({exc.__class__.__name__})"
    return IppError(f"Der Drucker unter {ziel} ist nicht erreichbar: {why}.")


def post(ziel: Ziel, body: bytes, *, timeout: float) -> Antwort:
    """Send one IPP request over HTTP; the answer decoded."""
    conn = _connection(ziel, timeout)
    try:
        conn.request("POST", ziel.path, body=body, headers={"Content-Type": "application/ipp"})
        response = conn.getresponse()
        data = response.read(MAX_RESPONSE + 1)
    except (OSError, http.client.HTTPException) as exc:
        raise _unreachable(ziel, exc) from exc
    finally:
        conn.close()
    if response.status != 200:
        raise IppError(
            f"Der Drucker unter {ziel} antwortet mit HTTP {response.status} "
            f"{response.reason}: Pfad der IPP-Adresse prüfen."
        )
    if len(data) > MAX_RESPONSE:
        raise IppError("Die Antwort des Druckers ist zu groß.")
    return decode(data)


def _refused(answer: Antwort) -> IppError:
    text = STATUS_TEXT.get(answer.status, f"Der Drucker meldet den Fehler 0x{answer.status:04x}")
    said = str(answer.first("status-message", "") or "")
    return IppError(f"{text}{f' (Drucker: {said})' if said else ''}.", status=answer.status)


def _operation(ziel: Ziel, user: str) -> Attribute:
    return [
        ("attributes-charset", [(CHARSET, "utf-8")]),
        ("attributes-natural-language", [(LANGUAGE, "de")]),
        ("printer-uri", [(URI, ziel.uri)]),
        ("requesting-user-name", [(NAME, user[:255] or "koffer")]),
    ]


def print_job(
    uri: str,
    pdf: bytes,
    *,
    job_name: str,
    user: str,
    duplex: bool,
    timeout: float = 30.0,
    request_id: int = 1,
) -> Auftrag:
    """Print-Job: the PDF as it is (``application/pdf``), two-sided on the long edge when
    ``duplex``. The printer's job as it accepted it."""
    if len(pdf) > MAX_DOCUMENT:
        raise IppError("Das PDF ist zu groß für den Druck.")
    ziel = Ziel.of(uri)
    operation: Attribute = [
        *_operation(ziel, user),
        ("job-name", [(NAME, job_name[:255])]),
        ("document-format", [(MIME, "application/pdf")]),
    ]
    job: Attribute = [("sides", [(KEYWORD, "two-sided-long-edge" if duplex else "one-sided")])]
    header = encode(PRINT_JOB, request_id, [(OPERATION, operation), (JOB, job)])
    answer = post(ziel, header + pdf, timeout=timeout)
    if not answer.ok:
        raise _refused(answer)
    job_id = answer.first("job-id")
    if not isinstance(job_id, int):
        raise IppError("Der Drucker hat den Auftrag ohne Auftragsnummer angenommen.")
    return _auftrag(answer, job_id)


def _auftrag(answer: Antwort, job_id: int) -> Auftrag:
    state = answer.first("job-state", PENDING)
    reasons = [str(r) for r in answer.all("job-state-reasons") if r != "none"]
    message = str(answer.first("job-state-message", "") or "") or ", ".join(reasons)
    return Auftrag(
        job_id=job_id,
        job_uri=str(answer.first("job-uri", "") or ""),
        state=state if isinstance(state, int) else PENDING,
        message=message[:400],
    )


def job_state(
    uri: str, job_id: int, *, user: str, timeout: float = 15.0, request_id: int = 2
) -> Auftrag:
    """Get-Job-Attributes: where the printer's job is now."""
    ziel = Ziel.of(uri)
    operation: Attribute = [
        *_operation(ziel, user)[:3],
        ("job-id", [(INTEGER, job_id)]),
        ("requesting-user-name", [(NAME, user[:255] or "koffer")]),
        (
            "requested-attributes",
            [
                (KEYWORD, "job-id"),
                (KEYWORD, "job-uri"),
                (KEYWORD, "job-state"),
                (KEYWORD, "job-state-reasons"),
                (KEYWORD, "job-state-message"),
            ],
        ),
    ]
    answer = post(
        ziel, encode(GET_JOB_ATTRIBUTES, request_id, [(OPERATION, operation)]), timeout=timeout
    )
    if not answer.ok:
        raise _refused(answer)
    return _auftrag(answer, job_id)


@dataclass(frozen=True)
class Eintrag:
    """One job in the printer's list (Get-Jobs)."""

    job_id: int
    name: str
    state: int


def jobs(uri: str, *, user: str, timeout: float = 15.0, request_id: int = 3) -> list[Eintrag]:
    """Get-Jobs: ``user``'s jobs the printer still knows, ended and not ended."""
    ziel = Ziel.of(uri)
    found: dict[int, Eintrag] = {}
    for which in ("not-completed", "completed"):
        operation: Attribute = [
            *_operation(ziel, user),
            ("which-jobs", [(KEYWORD, which)]),
            ("my-jobs", [(BOOLEAN, True)]),
            (
                "requested-attributes",
                [(KEYWORD, "job-id"), (KEYWORD, "job-name"), (KEYWORD, "job-state")],
            ),
        ]
        answer = post(ziel, encode(GET_JOBS, request_id, [(OPERATION, operation)]), timeout=timeout)
        if not answer.ok:
            raise _refused(answer)
        for tag, attrs in answer.groups:
            job_id = (attrs.get("job-id") or [None])[0]
            if tag != JOB or not isinstance(job_id, int):
                continue
            state = (attrs.get("job-state") or [PENDING])[0]
            found[job_id] = Eintrag(
                job_id,
                str((attrs.get("job-name") or [""])[0]),
                state if isinstance(state, int) else PENDING,
            )
    return sorted(found.values(), key=lambda e: e.job_id)


def wait(
    uri: str,
    job_id: int,
    *,
    user: str,
    limit: float,
    every: float = 1.0,
    seen: Callable[[Auftrag], None] = lambda _: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Auftrag:
    """Ask until the job has ended (completed, aborted, canceled) or ``limit`` seconds
    have passed; the last state seen either way (the caller tells a timeout by
    ``final``). ``seen`` hears every state (progress)."""
    end = clock() + limit
    request_id = 2
    while True:
        state = job_state(uri, job_id, user=user, request_id=request_id)
        seen(state)
        if state.final or clock() >= end:
            return state
        request_id += 1
        sleep(min(every, max(0.0, end - clock())))
