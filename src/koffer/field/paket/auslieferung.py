"""The package as the office sends it to a Koffer: the package itself as a stream
(:func:`paket_strom`), and a blob of it, the whole file (200) or, for an interrupted
transfer, the rest from a byte offset (HTTP Range, 206), with its length and its hash as
the entity tag. One range per request: a Koffer resumes, it never asks for pieces."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Generator, Iterator
from typing import IO, Any

from django.http import HttpResponse, StreamingHttpResponse

from koffer.audit import context
from koffer.blobs.store import CHUNK_SIZE, BlobStore

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
logger = logging.getLogger(__name__)

# While the package is built, a blank at most this often (seconds): the Koffer's timeout
# counts silence, and JSON allows whitespace before its value, so a slow office that is
# working is never cut off, and one that stops answering still is.
LEBENSZEICHEN = 5.0
# Bytes sent at once once the package is built.
STUECK = 1 << 20


def paket_strom(
    schritte: Generator[None, None, dict[str, Any]], *, client_ip: str = ""
) -> Iterator[bytes]:
    """The package's JSON as it is built (``selectors.schrittweise``): blanks while it is
    being built, then the package, one row of ``objekte`` at a time. The steps run as the
    server sends the answer, after the view has returned, so the audit's client address
    is set here again. A failure after the first byte cannot change the status any more:
    the answer then ends short, which the Koffer reads as an incomplete package (nothing
    is imported), and the failure is logged."""
    token = context.client_ip.set(client_ip)
    try:
        zuletzt = time.monotonic()
        while True:
            try:
                next(schritte)
            except StopIteration as fertig:
                paket: dict[str, Any] = fertig.value
                break
            if time.monotonic() - zuletzt >= LEBENSZEICHEN:
                zuletzt = time.monotonic()
                yield b" "
        yield from _json_stueckweise(paket)
    except Exception:
        logger.exception("Paket eines Koffers: abgebrochen")
        return
    finally:
        context.client_ip.reset(token)


def _json_stueckweise(paket: dict[str, Any]) -> Iterator[bytes]:
    """``json.dumps(paket)`` in pieces of about ``STUECK`` bytes: the rows of ``objekte``
    one by one (each by the C encoder), never the whole package as one string."""
    objekte = paket["objekte"]
    kopf = json.dumps({k: v for k, v in paket.items() if k != "objekte"})
    puffer = [kopf[:-1], ', "objekte": [']
    groesse = 0
    for n, objekt in enumerate(objekte):
        teil = json.dumps(objekt)
        puffer.append(f", {teil}" if n else teil)
        groesse += len(teil)
        if groesse >= STUECK:
            yield "".join(puffer).encode()
            puffer, groesse = [], 0
    puffer.append("]}")
    yield "".join(puffer).encode()


def blob_antwort(
    store: BlobStore, sha256: str, range_header: str
) -> HttpResponse | StreamingHttpResponse:
    """The response for ``sha256`` (which must exist in ``store``), honouring a single
    ``Range: bytes=a-b`` (or ``a-``, ``-n``); an unsatisfiable range gets 416."""
    size = store.size(sha256)
    start, end = 0, size - 1
    partial = False
    found = _RANGE.fullmatch(range_header.strip()) if range_header else None
    if found and (found.group(1) or found.group(2)):
        first, last = found.group(1), found.group(2)
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        else:
            start = max(0, size - int(last))
        if start >= size or start > end:
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            return refused
        partial = True
    stream = store.open(sha256)
    stream.seek(start)
    length = end - start + 1
    response = StreamingHttpResponse(
        _chunks(stream, length),
        status=206 if partial else 200,
        content_type="application/octet-stream",
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = f'"{sha256}"'
    response["Cache-Control"] = "private, no-store"
    if partial:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def _chunks(stream: IO[bytes], length: int) -> Iterator[bytes]:
    with stream:
        left = length
        while left > 0:
            chunk = stream.read(min(CHUNK_SIZE, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
