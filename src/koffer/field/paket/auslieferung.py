"""A blob of the package as the office sends it to a Koffer: the whole file (200) or, for
an interrupted transfer, the rest from a byte offset (HTTP Range, 206), with its length and
its hash as the entity tag. One range per request: a Koffer resumes, it never asks for
pieces."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from django.http import HttpResponse, StreamingHttpResponse

from koffer.blobs.store import CHUNK_SIZE, BlobStore

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


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
