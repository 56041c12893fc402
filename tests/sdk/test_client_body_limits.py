"""max_response_bytes bounds the bytes read from the wire and the bytes they decode to, and
decoding a compressed body holds no more than the limit in memory (a decompression bomb is a
ResponseTooLarge, not hundreds of MB)."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from crewai_amp import APIConnectionError, ResponseTooLarge
from support.client import KICKOFF_ID, RUNNING, async_client, call, sync_client

LIMIT = 1_000_000


@pytest.fixture(params=[sync_client, async_client], ids=["sync", "async"])
def factory(request: pytest.FixtureRequest) -> Any:
    return request.param


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body streamed in the given raw chunks (not read up front, as a network body is)."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.sent += len(chunk)
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.sent += len(chunk)
            yield chunk


def streamed(body: bytes, encoding: str | None, chunk: int | None = None) -> Any:
    """A handler answering ``body`` (already encoded) in raw chunks of ``chunk`` bytes (one chunk
    when None)."""
    pieces = [body] if chunk is None else [body[i : i + chunk] for i in range(0, len(body), chunk)]
    headers = {"content-encoding": encoding} if encoding else {}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Chunks(*pieces), headers=headers)

    return handler


def deflate(data: bytes, *, raw: bool) -> bytes:
    encoder = zlib.compressobj(wbits=-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    return encoder.compress(data) + encoder.flush()


def bomb(inflated: int) -> bytes:
    return gzip.compress(b'{"inputs": ["' + b"a" * inflated + b'"]}')


def test_a_bomb_in_one_raw_chunk_is_refused_without_inflating_it(factory: Any) -> None:
    # 60 MB of JSON in ~60 KB of gzip, handed over as a single chunk: httpx would inflate all of
    # it at once before anything could count it.
    client = factory(streamed(bomb(60_000_000), "gzip"), max_response_bytes=LIMIT)
    call(factory(streamed(gzip.compress(b'{"inputs": []}'), "gzip")), "inputs")  # imports done
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge) as caught:
            call(client, "inputs")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.limit == LIMIT
    assert LIMIT < caught.value.received <= LIMIT + 64 * 1024  # stopped one step past the limit
    assert peak < 4 * LIMIT, f"decoding held {peak} bytes"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", lambda data: deflate(data, raw=False)),
        ("deflate", lambda data: deflate(data, raw=True)),  # what some servers send for "deflate"
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
        ("identity", lambda data: data),
    ],
)
@pytest.mark.parametrize("chunk", [None, 7, 4096])
def test_encoded_bodies_within_the_limit_decode_whole(
    factory: Any, encoding: str, encode: Any, chunk: Any
) -> None:
    status = {**RUNNING, "padding": "x" * 300_000}
    handler = streamed(encode(json.dumps(status).encode()), encoding, chunk)
    parsed = call(factory(handler, max_response_bytes=LIMIT), "status", KICKOFF_ID)
    assert parsed.status == "running"
    assert parsed.additional_properties["padding"] == status["padding"]


def test_the_decoded_limit_holds_across_layers(factory: Any) -> None:
    layered = gzip.compress(bomb(20_000_000))
    with pytest.raises(ResponseTooLarge):
        call(factory(streamed(layered, "gzip, gzip"), max_response_bytes=LIMIT), "inputs")


def test_the_wire_bytes_count_too(factory: Any) -> None:
    # Incompressible noise grows under gzip: the wire bytes pass the limit before the decoded ones.
    noise = bytes(range(256)) * 8000
    encoded = gzip.compress(noise, compresslevel=0) + b"\0" * 100_000  # trailing bytes never decode
    stream = Chunks(*[encoded[i : i + 65536] for i in range(0, len(encoded), 65536)])
    handler = lambda request: httpx.Response(200, stream=stream, headers={"content-encoding": "gzip"})  # noqa: E731
    with pytest.raises(ResponseTooLarge) as caught:
        call(factory(handler, max_response_bytes=len(noise) + 1000), "inputs")
    assert caught.value.received > len(noise) + 1000
    assert stream.sent < len(encoded)  # reading stopped there


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress"])
def test_an_encoding_the_client_did_not_ask_for_is_a_clear_error(factory: Any, encoding: str) -> None:
    with pytest.raises(APIConnectionError, match=f"encoded with '{encoding}'.*gzip, deflate"):
        call(factory(streamed(b"\x00\x01", encoding)), "inputs")


def test_a_corrupt_gzip_body_is_a_decoding_error(factory: Any) -> None:
    with pytest.raises(APIConnectionError, match="DecodingError"):
        call(factory(streamed(b"\x1f\x8b\x08\x00garbage" * 10, "gzip")), "inputs")


def test_the_client_asks_only_for_encodings_it_decodes_with_a_bound(factory: Any) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["accept-encoding"])
        return httpx.Response(200, json={"inputs": []})

    call(factory(handler), "inputs")  # a caller's httpx client: the header is added per request
    assert seen == ["gzip, deflate"]
