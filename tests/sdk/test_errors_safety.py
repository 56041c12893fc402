"""Error messages are safe to show: server text capped, tokens and URL credentials masked; and
a response body larger than max_response_bytes is a typed error, not unbounded memory."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crewai_amp import (
    AmpClient,
    AmpError,
    APIStatusError,
    AsyncAmpClient,
    ConfigurationError,
    ExecutionError,
    KickoffMayHaveStarted,
    NotFoundError,
    ResponseTooLarge,
    ResponseValidationError,
    WaitTimeout,
)
from crewai_amp.errors import MAX_SERVER_TEXT, clip, safe_text
from support.client import (
    BASE,
    KICKOFF_ID,
    TOKEN,
    AnyClient,
    Script,
    async_client,
    call,
    json_response,
    sync_client,
)

FACTORIES = [sync_client, async_client]


@pytest.fixture(params=FACTORIES, ids=["sync", "async"])
def factory(request: pytest.FixtureRequest) -> Any:
    return request.param


# --- caps ---------------------------------------------------------------------------------


def test_clip_says_how_much_was_cut() -> None:
    assert clip("short") == "short"
    cut = clip("x" * 5000)
    assert cut.startswith("x" * MAX_SERVER_TEXT)
    assert f"{5000 - MAX_SERVER_TEXT} more characters cut" in cut


@pytest.mark.parametrize(
    "body",
    [
        {"error": "E" * 3_000_000},  # an error detail
        "T" * 3_000_000,  # a non-JSON body
    ],
    ids=["json-detail", "text"],
)
def test_a_huge_server_error_makes_a_short_message_and_keeps_the_body(factory: Any, body: Any) -> None:
    answer = json_response(body, 400) if isinstance(body, dict) else httpx.Response(400, text=body)
    with pytest.raises(APIStatusError) as caught:
        call(factory(Script(answer)), "status", KICKOFF_ID)
    assert len(str(caught.value)) < MAX_SERVER_TEXT + 500
    assert caught.value.body == body  # nothing lost


def test_a_huge_invalid_body_makes_a_short_message_and_keeps_the_raw_text(factory: Any) -> None:
    junk = {"status": "completed", "result": {"output": 1, "tasks": "Z" * 3_000_000}}
    with pytest.raises(ResponseValidationError) as caught:
        call(factory(Script(json_response(junk))), "status", KICKOFF_ID)
    assert len(str(caught.value)) < MAX_SERVER_TEXT + 500
    assert "Z" * 1000 in caught.value.raw


def test_a_huge_crew_error_and_an_unknown_status_are_capped(factory: Any) -> None:
    failed = {"status": "error", "error": "boom " * 100_000}
    with pytest.raises(ExecutionError) as caught:
        call(factory(Script(json_response(failed))), "wait", KICKOFF_ID, timeout=5)
    assert len(str(caught.value)) < MAX_SERVER_TEXT + 500
    assert caught.value.status.error == failed["error"]

    odd = {"status": "s" * 100_000}
    with pytest.raises(WaitTimeout) as timed_out:
        call(factory(Script(json_response(odd))), "wait", KICKOFF_ID, timeout=0)
    assert len(str(timed_out.value)) < MAX_SERVER_TEXT + 500


# --- redaction ----------------------------------------------------------------------------


def echo_authorization(status: int) -> Any:
    """A server that puts the request's Authorization header into its error."""

    def handle(request: httpx.Request) -> httpx.Response:
        return json_response({"error": f"rejected {request.headers['authorization']}"}, status)

    return handle


@pytest.mark.parametrize("status", [400, 401, 500])
def test_an_echoed_authorization_header_never_reaches_the_message(factory: Any, status: int) -> None:
    with pytest.raises(APIStatusError) as caught:
        call(factory(Script(echo_authorization(status)), max_retries=0), "inputs")
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)
    assert "Bearer ***" in str(caught.value)


def test_the_configured_token_is_masked_even_without_bearer(factory: Any) -> None:
    answer = json_response({"error": f"token {TOKEN} is revoked"}, 403)
    with pytest.raises(APIStatusError) as caught:
        call(factory(Script(answer)), "inputs")
    assert TOKEN not in str(caught.value)
    assert "token *** is revoked" in str(caught.value)


def test_a_transport_error_echoing_a_token_is_masked(factory: Any) -> None:
    boom = httpx.RemoteProtocolError(f"illegal header: Authorization: Bearer {TOKEN}")
    with pytest.raises(AmpError) as caught:
        call(factory(Script(boom), max_retries=0), "kickoff", {"topic": "AI"})
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer sk-live-123",
        '{"authorization": "bearer ABCdef.ghi"}',
        "proxy https://admin:hunter2@proxy.example/ failed",
        "see ftp://user@files.example/x",
    ],
)
def test_any_error_message_masks_bearer_tokens_and_url_credentials(text: str) -> None:
    for error in (AmpError(text), ConfigurationError(text)):
        assert "sk-live-123" not in str(error) and "ABCdef" not in str(error)
        assert "hunter2" not in str(error) and "admin" not in str(error) and "user@" not in str(error)


@pytest.mark.parametrize(
    "credential", ["abcdefgh", "token-abc123", "token.eyJhbGciOi", "sk_live_XYZ", "x7", "Zm9vOmJhcg=="]
)
def test_any_bearer_credential_is_masked(credential: str) -> None:
    for text in (
        f"Authorization: Bearer {credential}",
        f"bearer {credential} rejected",
        f'"Bearer {credential}"',
    ):
        assert credential not in safe_text(text).replace("rejected", ""), text


@pytest.mark.parametrize(
    "prose",
    [
        "Invalid bearer token",
        "Invalid bearer token.",
        "Missing bearer token (Authorization: Bearer <token>)",
        "bearer authentication is required",
    ],
)
def test_prose_about_bearer_tokens_is_left_alone(prose: str) -> None:
    assert safe_text(prose) == prose


@pytest.mark.parametrize(
    "url",
    [
        "ftp://alice:s3cr3t-pw@crew.example",
        "https://alice:s3cr3t-pw@crew.example/?q=1",
        "https://alice:s3cr3t-pw@crew.example",
        "https://alice:s3cr3t-pw@",
        "https://alice:s3cr3t pw@crew.example",
    ],
)
def test_configuration_errors_never_echo_a_password_in_the_base_url(url: str) -> None:
    for cls in (AmpClient, AsyncAmpClient):
        with pytest.raises(ConfigurationError) as caught:
            cls(base_url=url, token=TOKEN)
        assert "s3cr3t" not in str(caught.value)


# --- max_response_bytes -------------------------------------------------------------------


class Streamed(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body of ``total`` bytes in 64 KiB chunks, counting what was read."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0

    def _chunks(self) -> Iterator[bytes]:
        while self.sent < self.total:
            chunk = b"x" * min(65536, self.total - self.sent)
            self.sent += len(chunk)
            yield chunk

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks()

    async def __aiter__(self) -> Any:
        for chunk in self._chunks():
            yield chunk


def test_a_body_over_the_limit_stops_reading_there(factory: Any) -> None:
    stream = Streamed(50 * 1024 * 1024)
    client: AnyClient = factory(
        lambda request: httpx.Response(200, stream=stream), max_response_bytes=1_000_000
    )
    with pytest.raises(ResponseTooLarge) as caught:
        call(client, "status", KICKOFF_ID)
    assert stream.sent < 1_000_000 + 2 * 65536  # read up to the limit, not the 50 MB
    assert caught.value.limit == 1_000_000
    assert caught.value.received > 1_000_000
    assert caught.value.status_code == 200
    assert isinstance(caught.value, AmpError)


def test_a_content_length_over_the_limit_is_refused_before_reading(factory: Any) -> None:
    stream = Streamed(5_000_000)
    answer = lambda request: httpx.Response(200, stream=stream, headers={"content-length": "5000000"})  # noqa: E731
    with pytest.raises(ResponseTooLarge, match="Content-Length says 5000000"):
        call(factory(answer, max_response_bytes=4096), "inputs")
    assert stream.sent == 0


def test_the_limit_counts_decompressed_bytes(factory: Any) -> None:
    bomb = gzip.compress(b"{" + b" " * 20_000_000 + b"}")
    answer = lambda request: httpx.Response(200, content=bomb, headers={"content-encoding": "gzip"})  # noqa: E731
    with pytest.raises(ResponseTooLarge):
        call(factory(answer, max_response_bytes=100_000), "inputs")


def test_a_body_within_the_limit_is_read_whole(factory: Any) -> None:
    body = {"inputs": ["x" * 1000]}
    assert call(factory(Script(json_response(body)), max_response_bytes=2000), "inputs") == body["inputs"]


def test_a_too_large_kickoff_answer_is_not_retried(factory: Any) -> None:
    script = Script(httpx.Response(200, content=b"{" + b" " * 10_000 + b"}"))
    with pytest.raises(KickoffMayHaveStarted) as caught:  # AMP accepted it: a run may have started
        call(factory(script, max_response_bytes=100), "kickoff", {"topic": "AI"})
    assert isinstance(caught.value.__cause__, ResponseTooLarge)
    assert len(script.requests) == 1


@pytest.mark.parametrize("value", [0, -1, 1.5, "1MB", None])
def test_max_response_bytes_must_be_a_positive_integer(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_response_bytes"):
        AmpClient(base_url=BASE, token=TOKEN, max_response_bytes=value)


def test_a_short_secret_is_masked_where_it_stands_alone_without_garbling_the_message() -> None:
    from crewai_amp.errors import safe_text

    masked = safe_text("GET /status/abc answered 500: token t rejected (attempt 2)", ["t"])
    assert masked == "GET /status/abc answered 500: token *** rejected (attempt 2)"
    assert safe_text("the key is k3y-long-enough!", ["k3y-long-enough!"]) == "the key is ***"


# --- the token echoed in a crew error or a status value ---------------------------------------


def test_a_crew_error_echoing_the_token_is_masked_in_the_execution_error(factory: Any) -> None:
    failed = {"status": "error", "error": f"tool call refused: token={TOKEN} is not allowed here"}
    with pytest.raises(ExecutionError) as caught:
        call(factory(Script(json_response(failed))), "wait", KICKOFF_ID, timeout=10)
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
    assert "token=*** is not allowed" in str(caught.value)
    assert caught.value.status.error == failed["error"]  # the data stays as received


def test_a_status_value_echoing_the_token_is_masked_in_the_wait_timeout(factory: Any) -> None:
    odd = {"status": f"waiting-for-{TOKEN}"}
    with pytest.raises(WaitTimeout) as caught:
        call(factory(Script(json_response(odd))), "wait", KICKOFF_ID, timeout=0)
    assert TOKEN not in str(caught.value)
    assert "waiting-for-***" in str(caught.value)


# --- pickled errors carry no credential header ------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [json_response({"error": "nope"}, 404), httpx.ReadError("reset")],
    ids=["APIStatusError", "APIConnectionError"],
)
def test_a_pickled_error_keeps_no_authorization_header(factory: Any, answer: Any) -> None:
    import pickle

    with pytest.raises(AmpError) as caught:
        call(factory(Script(answer), max_retries=0), "status", KICKOFF_ID)
    error: Any = caught.value

    def request_of(err: Any) -> httpx.Request:
        return err.response.request if isinstance(err, APIStatusError) else err.request

    data = pickle.dumps(error)
    assert TOKEN.encode() not in data
    copy = pickle.loads(data)  # noqa: S301 - the test's own bytes
    assert "authorization" not in request_of(copy).headers
    assert request_of(copy).url == request_of(error).url
    assert str(copy) == str(error)
    # the error in hand is untouched: its request is the one sent
    assert request_of(error).headers["authorization"] == f"Bearer {TOKEN}"


# --- one masking rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret", "masked"),
    [
        (
            "error: cannot reach AMP at http://127.0.0.1:1",
            "e",
            "error: cannot reach AMP at http://127.0.0.1:1",
        ),
        ("the token is e, refused", "e", "the token is ***, refused"),
        ("key=abc123; more", "abc123", "key=***; more"),
        ("abc1234 inside xabc1234y", "abc1234", "*** inside xabc1234y"),
        ("long-secret-1 inside xlong-secret-1y", "long-secret-1", "*** inside x***y"),
    ],
)
def test_short_secrets_are_masked_only_as_whole_words_long_ones_everywhere(
    text: str, secret: str, masked: str
) -> None:
    from crewai_amp.errors import mask_secrets

    assert mask_secrets(text, [secret]) == masked
    assert safe_text(text, [secret]) == masked


# --- messages read as sentences --------------------------------------------------------------------

HINT_404 = (
    "check that the base URL is the deployment that issued this id; deployed AMP also answers NOT "
    "FOUND for a run waiting for human input"
)
HINT_5XX = (
    "a status check that keeps failing can mean the run itself failed: check the deployment's logs "
    "(the run may also still be going: wait on its kickoff id again later)"
)


def clean(message: str) -> str:
    assert ".;" not in message and ".." not in message and ". (" not in message, message
    return message


def test_a_lost_kickoff_answer_reads_as_one_sentence(factory: Any) -> None:
    script = Script(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    with pytest.raises(KickoffMayHaveStarted) as caught:
        call(factory(script), "kickoff", {"topic": "AI"})
    assert clean(str(caught.value)) == (
        "POST /kickoff: RemoteProtocolError: Server disconnected without sending a response; the "
        "kickoff's answer was lost, so a paid crew run may have started: look for meta "
        f"crewai_amp_correlation_id={caught.value.correlation_id} in AMP's webhooks or dashboard "
        "before kicking off again"
    )


def test_an_unreadable_kickoff_answer_reads_as_one_sentence(factory: Any) -> None:
    answer = httpx.Response(200, text="<html>", headers={"x-request-id": "req-5"})
    with pytest.raises(KickoffMayHaveStarted) as caught:
        call(factory(Script(answer)), "kickoff", {"topic": "AI"})
    assert clean(str(caught.value)) == (
        "POST /kickoff answered 200 with a body that does not match the spec: the body is not JSON "
        "(request id req-5); AMP accepted the kickoff, but no kickoff id could be read from its "
        "answer, so a paid crew run may have started: look for meta "
        f"crewai_amp_correlation_id={caught.value.correlation_id} in AMP's webhooks or dashboard "
        "before kicking off again"
    )


def test_a_status_error_whose_server_text_ends_a_sentence_reads_as_one(factory: Any) -> None:
    answer = json_response({"error": "Internal error.", "message": "Try again later."}, 500)
    with pytest.raises(APIStatusError) as caught:
        call(factory(Script(answer), max_retries=0), "status", KICKOFF_ID)
    assert clean(str(caught.value)) == (
        f"GET /status/{KICKOFF_ID} answered 500 Internal Server Error: Internal error; Try again later; "
        + HINT_5XX
    )


def test_a_404_with_a_request_id_reads_as_one_sentence(factory: Any) -> None:
    answer = json_response({"detail": "Run not found."}, 404, headers={"x-request-id": "req-9"})
    with pytest.raises(NotFoundError) as caught:
        call(factory(Script(answer)), "status", KICKOFF_ID)
    assert clean(str(caught.value)) == (
        f"GET /status/{KICKOFF_ID} answered 404 Not Found: Run not found; {HINT_404} (request id req-9)"
    )


def test_a_kickoff_refused_with_sentences_reads_as_one(factory: Any) -> None:
    answer = json_response({"error": "Bad request.", "message": "Inputs are invalid."}, 400)
    with pytest.raises(APIStatusError) as caught:
        call(factory(Script(answer)), "kickoff", {"topic": "AI"})
    # The last sentence keeps its period: the server's words, as written.
    expected = "POST /kickoff answered 400 Bad Request: Bad request; Inputs are invalid."
    assert clean(str(caught.value)) == expected
