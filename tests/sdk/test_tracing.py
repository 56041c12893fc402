"""OpenTelemetry spans (the ``otel`` extra), read with the SDK's InMemorySpanExporter: one CLIENT
span per request attempt following the HTTP client conventions, a ``crewai_amp.wait`` span
holding the status checks, a ``crewai_amp.run`` span holding the kickoff and the wait (one per
run of ``run_many``), each with its operation, kickoff id, attempt and outcome; no secret and no
body in any attribute. Without opentelemetry installed nothing of it is imported (a child
process that cannot import it runs everything), and with the API but no SDK nothing is built."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from crewai_amp import AmpClient, AmpError, AsyncAmpClient, ExecutionError, WaitTimeout, _tracing
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from support.cli import child_env
from support.client import (
    BASE,
    COMPLETED,
    ERROR,
    KICKOFF_ID,
    REST,
    RUNNING,
    TOKEN,
    FakeClock,
    Script,
    async_client,
    call,
    json_response,
    sync_client,
)
from support.tracing import Spans, attrs, parent_of, values

FACTORIES = pytest.mark.parametrize("factory", [sync_client, async_client], ids=["sync", "async"])
Factory = Callable[..., Any]
KICKED = {"kickoff_id": KICKOFF_ID}
# The spec's own path of the status operation, as url.template and the span name carry it.
STATUS_ROUTE = next(path for path in REST["paths"] if path.startswith("/status/"))
STATUS_SPAN = f"GET {STATUS_ROUTE}"
SECRET_TEXT = "body-text-that-must-stay-out-of-spans"


def _sent_correlation_id(script: Script) -> str:
    kickoff = next(r for r in script.requests if r.url.path == "/kickoff")
    value: str = json.loads(kickoff.content)["meta"]["crewai_amp_correlation_id"]
    return value


@FACTORIES
def test_run_holds_the_kickoff_and_the_wait_which_holds_the_status_checks(
    factory: Factory, spans: Spans
) -> None:
    script = Script(json_response(KICKED), json_response(RUNNING), json_response(COMPLETED))
    call(factory(script), "run", {"topic": "AI"})
    every = spans.all()
    run, wait, kickoff = spans.one("crewai_amp.run"), spans.one("crewai_amp.wait"), spans.one("POST /kickoff")
    checks = spans.named(STATUS_SPAN)
    assert len(checks) == 2 and len(every) == 5
    assert run.parent is None
    assert parent_of(kickoff, every) is run and parent_of(wait, every) is run
    assert all(parent_of(check, every) is wait for check in checks)
    assert attrs(run) == {
        "crewai_amp.operation": "run",
        "crewai_amp.kickoff_id": KICKOFF_ID,
        "crewai_amp.outcome": "completed",
    }
    assert attrs(wait) == {
        "crewai_amp.operation": "wait",
        "crewai_amp.kickoff_id": KICKOFF_ID,
        "crewai_amp.outcome": "completed",
    }
    assert kickoff.kind is SpanKind.CLIENT and kickoff.status.status_code is StatusCode.UNSET
    assert attrs(kickoff) == {
        "http.request.method": "POST",
        "server.address": httpx.URL(BASE).host,
        "server.port": 443,
        "url.full": f"{BASE}/kickoff",
        "url.template": "/kickoff",
        "http.response.status_code": 200,
        "crewai_amp.operation": "kickoff",
        "crewai_amp.attempt": 1,
        "crewai_amp.kickoff_id": KICKOFF_ID,
        "crewai_amp.correlation_id": _sent_correlation_id(script),
        "crewai_amp.outcome": "ok",
    }
    for check in checks:
        assert check.kind is SpanKind.CLIENT
        assert attrs(check) == {
            "http.request.method": "GET",
            "server.address": httpx.URL(BASE).host,
            "server.port": 443,
            "url.full": f"{BASE}/status/{KICKOFF_ID}",
            "url.template": STATUS_ROUTE,
            "http.response.status_code": 200,
            "crewai_amp.operation": "status",
            "crewai_amp.attempt": 1,
            "crewai_amp.kickoff_id": KICKOFF_ID,
            "crewai_amp.outcome": "ok",
        }
    assert all(span.events == () for span in every)  # no exception event: it would carry a message


@FACTORIES
def test_each_attempt_is_a_span_retries_counted_and_failures_typed(factory: Factory, spans: Spans) -> None:
    script = Script(httpx.Response(503), httpx.ConnectError("refused"), json_response(RUNNING))
    call(factory(script, max_retries=2), "status", KICKOFF_ID)
    first, second, third = sorted(
        spans.named(STATUS_SPAN), key=lambda span: attrs(span)["crewai_amp.attempt"]
    )
    assert [attrs(s)["crewai_amp.attempt"] for s in (first, second, third)] == [1, 2, 3]
    assert [attrs(s).get("http.request.resend_count") for s in (first, second, third)] == [None, 1, 2]
    assert [attrs(s)["crewai_amp.outcome"] for s in (first, second, third)] == ["retry", "retry", "ok"]
    assert [attrs(s).get("error.type") for s in (first, second, third)] == ["503", "ConnectError", None]
    assert [attrs(s).get("http.response.status_code") for s in (first, second, third)] == [503, None, 200]
    assert [s.status.status_code for s in (first, second, third)] == [
        StatusCode.ERROR,
        StatusCode.ERROR,
        StatusCode.UNSET,
    ]


@FACTORIES
@pytest.mark.parametrize(
    ("method", "args", "answer", "outcome", "error"),
    [
        ("status", (KICKOFF_ID,), json_response({"error": SECRET_TEXT}, 404), "not_found", "404"),
        ("inputs", (), json_response({"error": SECRET_TEXT}, 401), "error", "401"),
        ("inputs", (), httpx.Response(200, text=SECRET_TEXT), "error", "ResponseValidationError"),
        ("kickoff", ({"topic": "AI"},), httpx.ReadTimeout("lost"), "may_have_started", "ReadTimeout"),
        ("kickoff", ({"topic": "AI"},), httpx.ConnectError("refused"), "error", "ConnectError"),
    ],
    ids=["404", "401", "not-json", "lost-kickoff", "refused"],
)
def test_a_failed_request_says_how_without_its_body(
    factory: Factory, spans: Spans, method: str, args: tuple[Any, ...], answer: Any, outcome: str, error: str
) -> None:
    with pytest.raises(AmpError):
        call(factory(Script(answer), max_retries=0), method, *args)
    (span,) = spans.all()
    assert attrs(span)["crewai_amp.outcome"] == outcome
    assert attrs(span)["error.type"] == error
    assert span.status.status_code is StatusCode.ERROR and not span.status.description
    assert SECRET_TEXT not in values([span]) and TOKEN not in values([span]) and span.events == ()


@FACTORIES
@pytest.mark.parametrize(
    ("body", "timeout", "outcome", "error"),
    [(ERROR, 600, "failed", "ExecutionError"), (RUNNING, 0, "timeout", "WaitTimeout")],
    ids=["crew-failed", "timed-out"],
)
def test_a_wait_and_a_run_that_fail_say_how(
    factory: Factory, spans: Spans, body: dict[str, Any], timeout: float, outcome: str, error: str
) -> None:
    script = Script(json_response(KICKED), json_response(body))
    with pytest.raises((ExecutionError, WaitTimeout)):
        call(factory(script, clock=FakeClock()), "run", {"topic": "AI"}, timeout=timeout)
    for name in ("crewai_amp.run", "crewai_amp.wait"):
        span = spans.one(name)
        assert (attrs(span)["crewai_amp.outcome"], attrs(span)["error.type"]) == (outcome, error)
        assert attrs(span)["crewai_amp.kickoff_id"] == KICKOFF_ID
        assert span.status.status_code is StatusCode.ERROR
    (check,) = spans.named(STATUS_SPAN)
    assert attrs(check)["crewai_amp.outcome"] == "ok"  # the request itself went fine


def test_a_cancelled_async_wait_says_cancelled(spans: Spans) -> None:
    def cancel(status: object) -> None:
        raise asyncio.CancelledError

    script = Script(json_response(RUNNING))
    with pytest.raises(asyncio.CancelledError):
        call(async_client(script), "wait", KICKOFF_ID, on_status=cancel)
    wait = spans.one("crewai_amp.wait")
    assert (attrs(wait)["crewai_amp.outcome"], attrs(wait)["error.type"]) == ("cancelled", "CancelledError")


@FACTORIES
def test_the_applications_span_is_the_parent(factory: Factory, spans: Spans) -> None:
    script = Script(json_response(KICKED), json_response(COMPLETED))
    tracer = trace.get_tracer("app")
    with tracer.start_as_current_span("handle request") as outer:
        call(factory(script), "run", {"topic": "AI"})
    run = spans.one("crewai_amp.run")
    assert run.parent is not None and run.parent.span_id == outer.get_span_context().span_id
    assert {span.context.trace_id for span in spans.all()} == {outer.get_span_context().trace_id}


def _many(handler: Callable[[httpx.Request], httpx.Response], asynchronous: bool) -> list[Any]:
    """run_many over three inputs inside an application span; the outcomes."""
    tracer = trace.get_tracer("app")
    inputs = [{"topic": "a"}, {"topic": "refused"}, {"topic": "c"}]
    with tracer.start_as_current_span("batch"):
        if not asynchronous:
            with AmpClient(
                base_url=BASE, token=TOKEN, http_client=httpx.Client(transport=httpx.MockTransport(handler))
            ) as client:
                client._clock = FakeClock()
                return list(client.run_many(inputs, concurrency=2))

        async def main() -> list[Any]:
            http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
            async with AsyncAmpClient(base_url=BASE, token=TOKEN, http_client=http) as client:
                client._clock = FakeClock()
                return [outcome async for outcome in client.run_many(inputs, concurrency=2)]

        return asyncio.run(main())


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_each_run_of_run_many_is_a_run_span_under_the_callers(spans: Spans, asynchronous: bool) -> None:
    ids: dict[str, str] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/kickoff":
            topic = json.loads(request.content)["inputs"]["topic"]
            if topic == "refused":
                return json_response({"error": "bad inputs"}, 400)
            ids[topic] = str(uuid.uuid4())
            return json_response({"kickoff_id": ids[topic]})
        return json_response(COMPLETED)

    outcomes = _many(handler, asynchronous)
    assert sorted(outcome.ok for outcome in outcomes) == [False, True, True]
    every = spans.all()
    batch = spans.one("batch")
    runs = {attrs(run)["crewai_amp.index"]: run for run in spans.named("crewai_amp.run")}
    assert sorted(runs) == [0, 1, 2]
    for index, run in runs.items():
        assert parent_of(run, every) is batch
        assert attrs(run)["crewai_amp.operation"] == "run_many"
        kinds = sorted(child.name for child in spans.children(run))
        if index == 1:
            assert (attrs(run)["crewai_amp.outcome"], attrs(run)["error.type"]) == (
                "error",
                "BadRequestError",
            )
            assert "crewai_amp.kickoff_id" not in attrs(run) and kinds == ["POST /kickoff"]
        else:
            assert attrs(run)["crewai_amp.outcome"] == "completed"
            assert attrs(run)["crewai_amp.kickoff_id"] == ids["a" if index == 0 else "c"]
            assert kinds == ["POST /kickoff", "crewai_amp.wait"]


def test_with_the_api_but_no_sdk_nothing_is_built() -> None:
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    built: list[bool] = []

    def attributes() -> dict[str, str]:
        built.append(True)
        return {}

    with _tracing.span("x", attributes) as span:
        assert span is _tracing.NOOP
    assert built == [] and _tracing.current_context() is None


def test_no_secret_reaches_a_span(spans: Spans) -> None:
    script = Script(
        json_response(KICKED),
        json_response({"error": f"Bearer {TOKEN} {SECRET_TEXT}"}, 503),
        json_response({"state": "FAILED", "status": f"{SECRET_TEXT} {TOKEN}"}),
    )
    with pytest.raises(ExecutionError):
        call(
            sync_client(script),
            "run",
            {"topic": "AI"},
            webhooks={
                "url": "https://h.test",
                "authentication": {"strategy": "bearer", "token": "wh-secret-token-9f"},
            },
        )
    text = values(spans.all())
    assert spans.all() and TOKEN not in text and SECRET_TEXT not in text and "wh-secret-token-9f" not in text


# --- without opentelemetry ----------------------------------------------------------------------------

WITHOUT = r"""
import asyncio, importlib.abc, json, logging, sys

class NoOpenTelemetry(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "opentelemetry":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoOpenTelemetry())
try:
    import opentelemetry  # noqa
except ModuleNotFoundError:
    pass
else:
    raise SystemExit("opentelemetry is still importable")
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)

import httpx
from crewai_amp import AmpClient, AsyncAmpClient
from crewai_amp.testing import AmpEmulator
from crewai_amp.webhooks import asgi_app, sign

INPUTS = {"topic": "AI", "target_audience": "devs", "depth": "short"}
with AmpEmulator(scale=0.01) as amp:
    with AmpClient(base_url=amp.base_url, token=amp.token) as client:
        done = client.run(INPUTS)
        kicked = client.kickoff(INPUTS)
        client.wait(kicked.kickoff_id)
        outcomes = list(client.run_many([INPUTS, INPUTS], concurrency=2))

    async def main():
        async with AsyncAmpClient(base_url=amp.base_url, token=amp.token) as client:
            await client.run(INPUTS)
            return [o async for o in client.run_many([INPUTS], concurrency=1)]

    more = asyncio.run(main())
    seen = []
    app = asgi_app(secret=amp.webhook_secret, on_task=seen.append)
    body = json.dumps({"kickoff_id": "k", "task_id": "t", "status": "completed"}).encode()

    async def deliver():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as http:
            return (await http.post("/", content=body, headers=sign(body, secret=amp.webhook_secret))).status_code

    delivered = asyncio.run(deliver())

loaded = sorted(m for m in sys.modules if m.partition(".")[0] == "opentelemetry")
print(json.dumps({
    "completed": done.status.value if hasattr(done.status, "value") else str(done.status),
    "outcomes": [o.ok for o in outcomes + more],
    "delivered": delivered,
    "handled": len(seen),
    "loaded": loaded,
}))
"""


def test_without_opentelemetry_everything_runs_and_nothing_of_it_is_imported() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", WITHOUT],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-4000:]
    result = json.loads(ran.stdout.strip().splitlines()[-1])
    assert result == {
        "completed": "completed",
        "outcomes": [True, True, True],
        "delivered": 200,
        "handled": 1,
        "loaded": [],
    }
    assert "GET /status/" in ran.stderr  # the DEBUG records still come


def test_with_spans_recorded_the_client_still_answers_alike(spans: Spans) -> None:
    """The same calls, the same values, with an SDK recording (nothing but reporting changes)."""
    script = Script(json_response(KICKED), json_response(COMPLETED))
    done = call(sync_client(script), "run", {"topic": "AI"})
    assert done.to_dict()["status"] == "completed" and len(spans.all()) == 4
