"""Webhook signing and verification (Standard Webhooks) and the bearer check.

The `standardwebhooks` reference package is the oracle for interop; "now" is injected (the
`now=` keyword or a patched clock), never waited for.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import standardwebhooks
from crewai_amp import AmpError, EventParseError, WebhookVerificationError
from crewai_amp import webhooks as wh
from crewai_amp.webhooks import generate_secret, parse_event, sign, unwrap, verify, verify_bearer
from crewai_amp_events import (
    CrewCompletedPayload,
    StepEventPayload,
    StepEventPayloadStepType,
    TaskCompletedPayload,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

KEY = b"0123456789abcdef0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
OTHER = "whsec_" + base64.b64encode(b"another-secret-key-for-rotation!").decode()
NOW = 1_700_000_000
TASK = {"kickoff_id": "k-1", "task_id": "t-1", "status": "completed", "agent": "Researcher", "output": "done"}
STEP = {"kickoff_id": "k-1", "task_id": "t-1", "step": {"type": "thought", "content": "hmm"}}
CREW = {
    "kickoff_id": "k-1",
    "status": "completed",
    "result": {"output": "report", "tasks": [{"task_id": "t-1"}]},
}
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def signed(payload: dict[str, Any] = TASK, **kw: Any) -> tuple[bytes, dict[str, str]]:
    body = body_of(payload)
    return body, sign(
        body, secret=kw.pop("secret", SECRET), msg_id=kw.pop("msg_id", "msg_1"), timestamp=NOW, **kw
    )


def refused(body: Any, headers: Any, secret: Any = SECRET, **kw: Any) -> WebhookVerificationError:
    with pytest.raises(WebhookVerificationError) as raised:
        verify(body, headers, secret=secret, **{"now": NOW, **kw})
    return raised.value


# --- interop with the reference package -------------------------------------------------


@pytest.mark.parametrize("payload", [TASK, STEP, CREW], ids=["task", "step", "crew"])
def test_we_sign_and_standardwebhooks_verifies(payload: dict[str, Any]) -> None:
    body = body_of(payload)
    headers = sign(body, secret=SECRET)  # now: the reference checks against its own clock
    assert standardwebhooks.Webhook(SECRET).verify(body, headers) == payload


@pytest.mark.parametrize(
    ("payload", "model"),
    [(TASK, TaskCompletedPayload), (STEP, StepEventPayload), (CREW, CrewCompletedPayload)],
    ids=["task", "step", "crew"],
)
def test_standardwebhooks_signs_and_we_verify_and_parse(payload: dict[str, Any], model: type) -> None:
    body = body_of(payload)
    moment = datetime.datetime.now(tz=datetime.timezone.utc)
    headers = {
        "Webhook-Id": "msg_ref",
        "Webhook-Timestamp": str(int(moment.timestamp())),
        "Webhook-Signature": standardwebhooks.Webhook(SECRET).sign("msg_ref", moment, body.decode()),
    }
    event = unwrap(body, headers, secret=SECRET)
    assert type(event) is model
    if isinstance(event, StepEventPayload):
        assert event.step.type is StepEventPayloadStepType.thought


@settings(FUZZ, max_examples=150)
@given(
    text=st.text(max_size=300),
    key=st.binary(min_size=1, max_size=100),
    msg_id=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30),
    unpadded=st.booleans(),
)
def test_interop_both_ways_over_bodies_keys_and_ids(
    text: str, key: bytes, msg_id: str, unpadded: bool
) -> None:
    encoded = base64.b64encode(key).decode()
    secret = "whsec_" + (encoded.rstrip("=") if unpadded else encoded)
    reference = standardwebhooks.Webhook(secret)
    ours = sign(text, secret=secret, msg_id=msg_id)
    reference.verify(text.encode(), ours, json_parse=False)
    moment = datetime.datetime.fromtimestamp(int(ours["webhook-timestamp"]), tz=datetime.timezone.utc)
    assert reference.sign(msg_id, moment, text) == ours["webhook-signature"]
    verify(text.encode(), ours, secret=secret)


def test_secret_forms_agree_prefix_bare_unpadded_and_raw_bytes() -> None:
    key = b"sixteen-byte-key!"  # 17 bytes: base64 has padding to leave off
    padded = base64.b64encode(key).decode()
    assert padded.endswith("=")
    forms = ["whsec_" + padded, padded, "whsec_" + padded.rstrip("="), padded.rstrip("="), key]
    signatures = {sign(b"{}", secret=form, msg_id="m", timestamp=NOW)["webhook-signature"] for form in forms}
    assert len(signatures) == 1
    assert (
        standardwebhooks.Webhook(padded.rstrip("=")).sign(
            "m", datetime.datetime.fromtimestamp(NOW, tz=datetime.timezone.utc), "{}"
        )
        == signatures.pop()
    )


@settings(FUZZ, max_examples=150)
@given(key=st.binary(min_size=1, max_size=200), parts=st.lists(st.binary(max_size=300), max_size=4))
def test_the_verifier_signs_hmac_sha256_of_id_timestamp_body(key: bytes, parts: list[bytes]) -> None:
    body = b"".join(parts)
    headers = wh.Verifier(key).sign(body, msg_id="msg_x", timestamp=NOW)
    expected = base64.b64encode(hmac.digest(key, b"msg_x." + str(NOW).encode() + b"." + body, "sha256"))
    assert headers["webhook-signature"] == "v1," + expected.decode()


# --- sign ---------------------------------------------------------------------------------


def test_sign_defaults_a_fresh_id_and_the_current_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: NOW + 0.9)
    first, second = sign(b"{}", secret=SECRET), sign("{}", secret=SECRET)
    assert first["webhook-timestamp"] == second["webhook-timestamp"] == str(NOW)
    assert first["webhook-id"].startswith("msg_") and first["webhook-id"] != second["webhook-id"]
    assert set(first) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    verify("{}", first, secret=SECRET, now=NOW)  # str and bytes bodies sign alike


def test_sign_computes_the_standard_webhooks_signature() -> None:
    headers = sign(b'{"a":1}', secret=SECRET, msg_id="msg_2", timestamp=NOW)
    digest = hmac.new(KEY, f'msg_2.{NOW}.{{"a":1}}'.encode(), hashlib.sha256).digest()
    assert headers == {
        "webhook-id": "msg_2",
        "webhook-timestamp": str(NOW),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


@pytest.mark.parametrize(
    "kwargs",
    [{"timestamp": "soon"}, {"timestamp": float("inf")}, {"msg_id": 5}, {"secret": "whsec_!!"}],
)
def test_sign_refuses_bad_arguments_with_a_typed_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(WebhookVerificationError):
        sign(b"{}", **{"secret": SECRET, **kwargs})
    with pytest.raises(WebhookVerificationError):
        sign(12, secret=SECRET)  # type: ignore[arg-type]


def test_generated_secrets_are_fresh_and_round_trip() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert secret != generate_secret()
    body = body_of(CREW)
    assert isinstance(unwrap(body, sign(body, secret=secret), secret=secret), CrewCompletedPayload)
    standardwebhooks.Webhook(secret).verify(body, sign(body, secret=secret))


# --- tolerance -------------------------------------------------------------------------------


@pytest.mark.parametrize("tolerance", [300, 10, 0])
def test_tolerance_edges_both_ways(tolerance: int) -> None:
    body, headers = signed()
    verify(body, headers, secret=SECRET, tolerance=tolerance, now=NOW + tolerance)  # exactly at: accepted
    verify(body, headers, secret=SECRET, tolerance=tolerance, now=NOW - tolerance)
    for now in (NOW + tolerance + 1, NOW - tolerance - 1, NOW + tolerance + 0.001):
        assert "tolerance" in str(refused(body, headers, tolerance=tolerance, now=now))


def test_the_default_clock_and_tolerance_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    body, headers = signed()
    for offset, ok in [(300, True), (-300, True), (301, False), (-301, False)]:
        monkeypatch.setattr(time, "time", lambda offset=offset: float(NOW + offset))
        if ok:
            verify(body, headers, secret=SECRET)
            assert isinstance(unwrap(body, headers, secret=SECRET), TaskCompletedPayload)
        else:
            with pytest.raises(WebhookVerificationError, match="tolerance"):
                unwrap(body, headers, secret=SECRET)


def test_unwrap_passes_tolerance_and_now_through() -> None:
    body, headers = signed()
    unwrap(body, headers, secret=SECRET, tolerance=5, now=NOW + 5)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        unwrap(body, headers, secret=SECRET, tolerance=5, now=NOW + 6)


# --- rotation, several signatures, headers -------------------------------------------------------


def test_rotation_any_listed_secret_may_match() -> None:
    body, headers = signed(secret=OTHER)
    for secrets in ([SECRET, OTHER], (OTHER,), iter([SECRET, OTHER]), [KEY, OTHER]):
        verify(body, headers, secret=secrets, now=NOW)
    refused(body, headers, secret=SECRET)
    refused(body, headers, secret=[SECRET])
    assert "no webhook secret" in str(refused(body, headers, secret=[]))


def test_several_signatures_in_the_header() -> None:
    body, headers = signed(secret=OTHER)
    theirs = headers["webhook-signature"]
    ours = sign(body, secret=SECRET, msg_id="msg_1", timestamp=NOW)["webhook-signature"]
    junk = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,xyz v1a,abc v1, , garbage"
    for value in (f"{junk} {ours}", f"{theirs}  {ours}", f"{ours} {ours}", f"\t{ours} "):
        verify(body, {**headers, "webhook-signature": value}, secret=SECRET, now=NOW)
    refused(body, {**headers, "webhook-signature": junk})
    assert "whitespace" in str(refused(body, {**headers, "webhook-signature": f"{ours}\t{junk}"}))
    # The same header given twice (a list of pairs) counts as one list of candidates.
    pairs = [("webhook-id", "msg_1"), ("webhook-timestamp", str(NOW))]
    pairs += [("webhook-signature", theirs), ("Webhook-Signature", ours)]
    verify(body, pairs, secret=SECRET, now=NOW)


def test_a_non_v1_version_with_the_right_digest_is_ignored() -> None:
    body, headers = signed()
    digest = headers["webhook-signature"].removeprefix("v1,")
    for version in ("v2", "V1", "v1a", ""):
        refused(body, {**headers, "webhook-signature": f"{version},{digest}"})


def test_non_canonical_base64_is_refused() -> None:
    body, headers = signed()
    good = headers["webhook-signature"].removeprefix("v1,")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = good[-2]  # 32 bytes -> 43 characters and one '=': the last one carries 2 unused bits
    twin = good[:-2] + alphabet[alphabet.index(last) ^ 1] + "="
    assert base64.b64decode(twin) == base64.b64decode(good) and twin != good
    for spelling in (twin, good.rstrip("="), good + "=", good.replace("+", "-").replace("/", "_") + " "):
        if spelling.strip() != good:
            refused(body, {**headers, "webhook-signature": f"v1,{spelling}"})


def test_header_names_are_case_insensitive_in_every_container() -> None:
    body, headers = signed()
    containers: list[Any] = [
        {k.upper(): v for k, v in headers.items()},
        {k.title(): v for k, v in headers.items()},
        list(headers.items()),
        [(k.encode(), v.encode()) for k, v in headers.items()],  # raw ASGI headers
        httpx.Headers({k.upper(): v for k, v in headers.items()}),
        {**headers, "Content-Type": "application/json", "X-Other": 5},  # other headers: ignored
    ]
    starlette = pytest.importorskip("starlette.datastructures")
    containers.append(starlette.Headers(raw=[(k.title().encode(), v.encode()) for k, v in headers.items()]))
    for container in containers:
        verify(body, container, secret=SECRET, now=NOW)


def test_a_repeated_id_or_timestamp_header_is_refused() -> None:
    body, headers = signed()
    for name in ("webhook-id", "webhook-timestamp"):
        pairs = [*headers.items(), (name.upper(), headers[name])]
        assert "repeated" in str(refused(body, pairs))


# --- malformed input: typed errors with a reason ---------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"webhook-id": ""}, "missing webhook-id"),
        ({"webhook-id": "   "}, "missing webhook-id"),
        ({"webhook-timestamp": ""}, "missing webhook-timestamp"),
        ({"webhook-signature": ""}, "missing webhook-signature"),
        ({"webhook-timestamp": "abc"}, "timestamp"),
        ({"webhook-timestamp": "9" * 400}, "timestamp"),
        ({"webhook-timestamp": "1" + "0" * 4300}, "timestamp"),
        ({"webhook-timestamp": "-5"}, "timestamp"),
        ({"webhook-timestamp": f"{NOW}.5"}, "timestamp"),
        ({"webhook-timestamp": "1e9"}, "timestamp"),
        ({"webhook-timestamp": "١٧٠٠٠٠٠٠٠٠"}, "timestamp"),  # non-ASCII digits
        ({"webhook-timestamp": "0x65"}, "timestamp"),
        ({"webhook-signature": "v1,not base64!!"}, "no valid"),
        ({"webhook-signature": "v1,"}, "no valid"),
        ({"webhook-signature": "v1"}, "no valid"),
        ({"webhook-signature": "v2,abc="}, "no valid"),
        ({"webhook-signature": "v1," + base64.b64encode(b"short").decode()}, "no valid"),
        ({"webhook-signature": "v1," + base64.b64encode(b"x" * 31).decode()}, "no valid"),  # truncated
        ({"webhook-signature": "v1," + "é" * 44}, "no valid"),
        ({"webhook-signature": "v1,abc " * 2000}, "too long"),
        ({"webhook-signature": "v1," + "A" * 43 + "="}, "no signature matches"),
    ],
)
def test_malformed_headers_raise_a_typed_error_with_a_reason(change: dict[str, str], reason: str) -> None:
    body, headers = signed()
    assert reason in str(refused(body, {**headers, **change}))


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header_is_named(missing: str) -> None:
    body, headers = signed()
    del headers[missing]
    assert f"missing {missing}" in str(refused(body, headers))


@pytest.mark.parametrize(
    "headers",
    [
        None,
        42,
        "webhook-id: x",
        [("a", "b", "c")],
        [1, 2],
        {"webhook-id": 5},
        {"webhook-id": None},
        {b"webhook-id": object()},
        [(None, "x")],
        {"webhook-id": "msg_\udc80"},
    ],
)
def test_odd_header_containers_and_values_are_typed_errors(headers: Any) -> None:
    body = body_of(TASK)
    full = (
        headers if not isinstance(headers, dict) else {**sign(body, secret=SECRET, timestamp=NOW), **headers}
    )
    refused(body, full)


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "whsec_",
        "whsec_***",
        "not base64 at all",
        "whsec_A",
        "===",
        "whsec_\udc80abc",
        b"",
        None,
        7,
        [None],
        [[SECRET]],
        [SECRET, "whsec_!"],
        {"a": 1},
    ],
)
def test_bad_secrets_are_typed_errors_that_do_not_echo_the_secret(secret: Any) -> None:
    body, headers = signed()
    for call in (lambda: sign(body, secret=secret), lambda: verify(body, headers, secret=secret, now=NOW)):
        with pytest.raises(WebhookVerificationError) as raised:
            call()
        if isinstance(secret, str) and len(secret) > 3:
            assert secret not in str(raised.value) and secret not in repr(raised.value)


@pytest.mark.parametrize("body", [None, 12, {"a": 1}, ["x"], "text with a lone \udc80 surrogate"])
def test_odd_bodies_are_typed_errors(body: Any) -> None:
    refused(body, sign(b"{}", secret=SECRET, timestamp=NOW))


def test_non_utf8_bodies_verify_as_bytes_and_fail_to_parse_typed() -> None:
    headers = sign(b"\xff\xfe", secret=SECRET, timestamp=NOW)
    verify(b"\xff\xfe", headers, secret=SECRET, now=NOW)
    verify(bytearray(b"\xff\xfe"), headers, secret=SECRET, now=NOW)
    verify(memoryview(b"\xff\xfe"), headers, secret=SECRET, now=NOW)
    with pytest.raises(EventParseError):
        unwrap(b"\xff\xfe", headers, secret=SECRET, now=NOW)


def test_bad_tolerance_or_now_is_a_typed_error() -> None:
    body, headers = signed()
    refused(body, headers, tolerance="300")
    refused(body, headers, now="now")
    refused(body, headers, tolerance=float("nan"))
    refused(body, headers, now=float("nan"))


def test_errors_never_contain_the_secret() -> None:
    body, headers = signed()
    encoded = SECRET.removeprefix("whsec_")
    cases: list[Any] = [
        lambda: verify(body + b" ", headers, secret=SECRET, now=NOW),
        lambda: verify(body, headers, secret=SECRET, now=NOW + 10_000),
        lambda: verify(body, {}, secret=SECRET),
        lambda: verify(body, headers, secret=[OTHER, SECRET + "!"], now=NOW),
        lambda: verify_bearer({"authorization": "Bearer " + SECRET[:-1]}, token=SECRET),
    ]
    for case in cases:
        with pytest.raises(WebhookVerificationError) as raised:
            case()
        text = f"{raised.value} {raised.value!r} {raised.value.args}"
        assert encoded[:12] not in text and KEY.decode() not in text


# --- fuzz: nothing changed is accepted, nothing untyped escapes ----------------------------------

header_text = st.text(max_size=30) | st.sampled_from(["", " ", "v1,", str(NOW), "msg_1"])
sig_headers = st.fixed_dictionaries(
    {},
    optional={
        "webhook-id": header_text,
        "Webhook-Timestamp": st.text(max_size=25)
        | st.integers().map(str)
        | st.integers(NOW - 400, NOW + 400).map(str),
        "WEBHOOK-SIGNATURE": st.text(max_size=120)
        | st.lists(
            st.binary(min_size=30, max_size=34).map(lambda b: "v1," + base64.b64encode(b).decode()),
            max_size=3,
        ).map(" ".join),
    },
)
any_headers = (
    sig_headers
    | st.lists(
        st.tuples(st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature", "x"]), header_text)
    )
    | st.lists(st.tuples(st.binary(max_size=20), st.binary(max_size=60)), max_size=4)
    | st.none()
    | st.integers()
    | st.text(max_size=10)
)
any_secret = (
    st.just(SECRET)
    | st.text(max_size=60)
    | st.binary(max_size=40)
    | st.lists(st.text(max_size=20) | st.just(SECRET), max_size=3)
    | st.none()
)


@settings(FUZZ, max_examples=700)
@given(body=st.binary(max_size=200) | st.text(max_size=100), headers=any_headers, secret=any_secret)
def test_fuzz_junk_never_escapes_untyped(body: Any, headers: Any, secret: Any) -> None:
    try:
        verify(body, headers, secret=secret, now=NOW)
    except WebhookVerificationError as exc:
        assert str(exc)
        return
    raise AssertionError("junk was accepted")


@settings(FUZZ, max_examples=600)
@given(
    body=st.binary(max_size=200),
    replacement=st.binary(max_size=200),
    new_id=st.text(min_size=1, max_size=30).filter(lambda s: s.strip() == s and s != "msg_x"),
    shift=st.integers(-300, 300).filter(lambda n: n != 0),
    field=st.sampled_from(["body", "id", "timestamp", "id+timestamp"]),
)
def test_fuzz_nothing_changed_is_accepted(
    body: bytes, replacement: bytes, new_id: str, shift: int, field: str
) -> None:
    headers = sign(body, secret=SECRET, msg_id="msg_x", timestamp=NOW)
    verify(body, headers, secret=SECRET, now=NOW)
    if field == "body":
        assume(replacement != body)
        body = replacement
    if "id" in field.split("+"):
        headers["webhook-id"] = new_id
    if "timestamp" in field:
        headers["webhook-timestamp"] = str(NOW + shift)  # still inside the tolerance
    with pytest.raises(WebhookVerificationError):
        verify(body, headers, secret=SECRET, now=NOW)


# --- the bearer strategy -------------------------------------------------------------------------

TOKEN = "amp-t0ken-5ecret"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {TOKEN}"},
        {"authorization": f"bearer {TOKEN}"},
        {"AUTHORIZATION": f"  Bearer   {TOKEN}  "},
        [(b"authorization", f"Bearer {TOKEN}".encode())],
        httpx.Headers({"Authorization": f"Bearer {TOKEN}"}),
    ],
)
def test_bearer_accepts(headers: Any) -> None:
    verify_bearer(headers, token=TOKEN)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"authorization": ""}, "missing"),
        ({"authorization": "Bearer"}, "missing"),
        ({"authorization": TOKEN}, "missing"),
        ({"authorization": f"Basic {TOKEN}"}, "missing"),
        ({"authorization": f"Bearer {TOKEN[:-1]}"}, "does not match"),
        ({"authorization": f"Bearer {TOKEN}x"}, "does not match"),
        ({"authorization": "Bearer \udc80"}, "does not match"),
        ({"authorization": 5}, "str or bytes"),
        (None, "mapping"),
    ],
)
def test_bearer_refuses_with_a_reason_and_never_echoes_the_token(headers: Any, reason: str) -> None:
    with pytest.raises(WebhookVerificationError, match=reason) as raised:
        verify_bearer(headers, token=TOKEN)
    assert TOKEN not in str(raised.value) and TOKEN[:-1] not in repr(raised.value)


@pytest.mark.parametrize("token", ["", None, 5])
def test_bearer_without_a_usable_token_refuses(token: Any) -> None:
    with pytest.raises(WebhookVerificationError, match="no bearer token"):
        verify_bearer({"authorization": "Bearer "}, token=token)


# --- errors and import cost ------------------------------------------------------------------------


def test_error_types() -> None:
    assert issubclass(WebhookVerificationError, AmpError)
    assert issubclass(EventParseError, AmpError) and issubclass(EventParseError, ValueError)
    assert wh.WebhookVerificationError is WebhookVerificationError and wh.EventParseError is EventParseError


def test_importing_webhooks_does_not_load_pydantic_and_the_package_does_not_load_webhooks() -> None:
    code = (
        "import sys, crewai_amp; assert 'crewai_amp.webhooks' not in sys.modules, 'package'\n"
        "from crewai_amp.webhooks import sign, verify\n"
        "h = sign(b'{}', secret='whsec_"
        + SECRET[6:]
        + "'); verify(b'{}', h, secret='whsec_"
        + SECRET[6:]
        + "')\n"
        "loaded = {'pydantic', 'crewai_amp_events', 'crewai_amp.webhooks._receiver', 'crewai_amp.webhooks._dedupe'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
        'from crewai_amp.webhooks import parse_event; parse_event(b\'{"kickoff_id": "k", "status": "x"}\')\n'
        "assert 'pydantic' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_lazy_names_resolve() -> None:
    assert callable(wh.asgi_app) and wh.WebhookReceiver.__name__ == "WebhookReceiver"
    with pytest.raises(AttributeError):
        wh.no_such_name  # noqa: B018


def iter_events() -> Iterator[bytes]:  # used by the parse tests module too
    yield from (body_of(TASK), body_of(STEP), body_of(CREW))


def test_unwrap_parses_after_verifying() -> None:
    for body in iter_events():
        headers = sign(body, secret=SECRET, timestamp=NOW)
        assert parse_event(body) == unwrap(body, headers, secret=SECRET, now=NOW)
    body, headers = signed()
    with pytest.raises(WebhookVerificationError):
        unwrap(b'{"not": "signed"}', headers, secret=SECRET, now=NOW)  # refused before parsing
    with pytest.raises(EventParseError, match="step"):
        unwrap(body, headers, secret=SECRET, channel="step", now=NOW)
