"""Reading a response body within ``max_response_bytes``, in memory bounded by it.

Both the bytes read from the wire and the bytes they decode to count against the limit. httpx
decodes each raw chunk whole, so a 64 KiB gzip chunk can inflate to tens of MB before anything
could count it; the clients therefore read the raw bytes (``iter_raw``) and decode them here with
zlib's ``max_length``: at most ``STEP`` bytes come out at a time, and reading stops as soon as
the decoded total passes the limit. A decompression bomb costs at most the limit plus one step.

The clients ask for ``gzip`` and ``deflate`` only (``ACCEPT_ENCODING``: what zlib decodes with a
bound). A body in an encoding the client did not ask for (``br``, ``zstd``, anything else) is
an ``httpx.DecodingError``, as httpx raises for a body it cannot decode: the client reports it
as an APIConnectionError, and a kickoff's as KickoffMayHaveStarted.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import httpx

from ._config import ACCEPT_ENCODING
from ._responses import too_large

__all__ = ["STEP", "Body"]

STEP = 64 * 1024  # decoded bytes per zlib call


class _Inflate:
    """One gzip or deflate layer, decoded ``STEP`` bytes at a time."""

    __slots__ = ("_decoder", "_first", "_raw_fallback")

    def __init__(self, encoding: str) -> None:
        gzip = encoding in ("gzip", "x-gzip")
        self._decoder = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)
        # "deflate" is zlib-wrapped by the RFC, and raw deflate from some servers (httpx's rule).
        self._raw_fallback = not gzip
        self._first = True

    def decode(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                out = self._decoder.decompress(data, STEP)
            except zlib.error:
                if not (self._first and self._raw_fallback):
                    raise
                self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                self._raw_fallback = False
                continue
            self._first = False
            if out:
                yield out
            data = self._decoder.unconsumed_tail
            if not data and len(out) < STEP:  # all input taken, nothing left pending
                return


class Body:
    """The body of one response, fed raw chunks; ResponseTooLarge once the wire bytes or the
    decoded bytes pass ``limit`` (at once, before reading, when Content-Length says more)."""

    __slots__ = ("_chunks", "_layers", "_limit", "_response", "_size", "_wire")

    def __init__(self, response: httpx.Response, limit: int) -> None:
        self._response = response
        self._limit = limit
        self._chunks: list[bytes] = []
        self._size = 0
        self._wire = 0
        self._layers: list[_Inflate] = []
        headers = response.headers
        header = headers.get("content-encoding")
        if not header or header.strip().lower() == "identity":
            # Only an identity body's Content-Length says what it holds.
            announced = headers.get("content-length")
            if announced is not None and announced.isdigit() and int(announced) > limit:
                raise too_large(response, limit, int(announced), announced=True)
            return
        if header:
            for encoding in (part.strip().lower() for part in header.split(",")):
                if encoding in ("gzip", "x-gzip", "deflate"):
                    self._layers.append(_Inflate(encoding))
                elif encoding not in ("", "identity"):
                    raise httpx.DecodingError(
                        f"the body is encoded with {encoding[:40]!r}, which the client did not ask "
                        f"for (it accepts {ACCEPT_ENCODING})",
                        request=response.request,
                    )
            # The header lists the encodings in the order they were applied: undo the last first.
            self._layers.reverse()

    def feed(self, raw: bytes) -> None:
        self._wire += len(raw)
        if self._wire > self._limit:
            raise too_large(self._response, self._limit, self._wire, announced=False)
        if not self._layers:
            self._add(raw)
            return
        try:
            for piece in self._decoded(raw, 0):
                self._add(piece)
        except zlib.error as exc:
            raise httpx.DecodingError(
                f"the body is not valid {self._response.headers.get('content-encoding', '')}: {exc}",
                request=self._response.request,
            ) from None

    def add_decoded(self, content: bytes) -> None:
        """A body the transport has already read and decoded: only counted."""
        self._add(content)

    def _decoded(self, data: bytes, layer: int) -> Iterator[bytes]:
        if layer == len(self._layers):
            yield data
            return
        for piece in self._layers[layer].decode(data):
            yield from self._decoded(piece, layer + 1)

    def _add(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._size > self._limit:
            raise too_large(self._response, self._limit, self._size, announced=False)
        self._chunks.append(piece)

    def content(self) -> bytes:
        chunks = self._chunks
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
