"""AmpEmulator over plain HTTP: the four operations and their error codes, status progression,
human review, fault injection and counters, the crew script model."""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crewai_amp.testing import AmpEmulator, Crew, Faults, Step, Task, default_crew
from crewai_amp_api.models import ResumeResponse, StatusCompleted, StatusError, StatusRunning
from support.emulator import (
    INPUTS,
    SCALE,
    client_for,
    paused_status,
    schema_validator,
    shipped_spec,
    wait_for,
    with_options,
)

# --- helpers ---------------------------------------------------------------------------------


def wait_final(http: httpx.Client, kickoff_id: str) -> dict[str, Any]:
    def final() -> dict[str, Any] | None:
        body: dict[str, Any] = http.get(f"/status/{kickoff_id}").json()
        return body if body["status"] not in ("running", PAUSED) else None

    return wait_for(final, what=f"kickoff {kickoff_id} to finish")


_SPEC = shipped_spec()
PAUSED = paused_status(_SPEC)


def assert_valid(body: Any, schema_name: str) -> None:
    """Validate against the REST spec the wheel carries (formats checked)."""
    schema_validator(_SPEC, schema_name).validate(body)


def kickoff(http: httpx.Client, inputs: dict[str, Any] | None = None, **extra: Any) -> str:
    response = http.post("/kickoff", json={"inputs": inputs or INPUTS, **extra})
    assert response.status_code == 200, response.text
    assert_valid(response.json(), "KickoffResponse")
    kickoff_id: str = response.json()["kickoff_id"]
    uuid.UUID(kickoff_id)  # the ids the emulator issues are UUIDs, as AMP's are
    return kickoff_id


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[AmpEmulator]:
    options = getattr(request, "param", {})
    with AmpEmulator(**{"scale": SCALE, **options}) as started:
        yield started


@pytest.fixture
def http(emulator: AmpEmulator) -> Iterator[httpx.Client]:
    with client_for(emulator) as client:
        yield client


# --- lifecycle ---------------------------------------------------------------------------------


def test_context_manager_exposes_url_token_and_secret() -> None:
    with AmpEmulator() as emulator:
        assert emulator.running
        assert emulator.base_url.startswith("http://127.0.0.1:")
        assert emulator.port > 0
        assert emulator.token
        assert emulator.webhook_secret.startswith("whsec_")
        assert len(base64.b64decode(emulator.webhook_secret.removeprefix("whsec_"), validate=True)) >= 24
    assert not emulator.running
    emulator.stop()  # idempotent


def test_start_stop_and_single_use() -> None:
    emulator = AmpEmulator()
    emulator.start()
    try:
        with pytest.raises(RuntimeError):
            emulator.start()
        assert httpx.get(f"{emulator.base_url}/inputs", trust_env=False).status_code == 401
    finally:
        emulator.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{emulator.base_url}/inputs", trust_env=False)


def test_listening_socket_is_tcp_so_answers_are_not_delayed() -> None:
    # Regression: a socket made with proto 0 makes asyncio skip TCP_NODELAY on accepted
    # connections, and each keep-alive answer after the first waited ~40 ms for an ACK.
    with AmpEmulator() as emulator:
        listening = emulator._server._socket
        assert listening is not None
        assert listening.proto == socket.IPPROTO_TCP


def test_serve_forever_returns_once_stopped() -> None:
    emulator = AmpEmulator()
    stopper = threading.Thread(target=lambda: (wait_for(lambda: emulator.running), emulator.stop()))
    stopper.start()
    emulator.serve_forever()  # returns because the other thread stopped it
    stopper.join()
    assert not emulator.running


def test_port_option() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with AmpEmulator(port=port) as emulator:
        assert emulator.port == port
        assert emulator.base_url == f"http://127.0.0.1:{port}"


def test_repr_never_shows_token_or_secret() -> None:
    emulator = AmpEmulator(token="tok-s3cret", webhook_secret="whsec_" + base64.b64encode(b"k" * 24).decode())
    assert "tok-s3cret" not in repr(emulator)
    assert "not started" in repr(emulator)
    with emulator:
        shown = repr(emulator)
        assert emulator.base_url in shown
        assert emulator.token not in shown
        assert emulator.webhook_secret not in shown
        assert emulator.webhook_secret.removeprefix("whsec_") not in shown
        assert emulator.token not in repr(emulator.stats)


def test_custom_credentials() -> None:
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef01234567").decode()
    with AmpEmulator(token="my-token", webhook_secret=secret) as emulator:
        assert emulator.token == "my-token"
        assert emulator.webhook_secret == secret
        response = httpx.get(
            f"{emulator.base_url}/inputs", headers={"Authorization": "Bearer my-token"}, trust_env=False
        )
        assert response.status_code == 200
    with pytest.raises(ValueError, match="whsec_"):
        AmpEmulator(webhook_secret="not-a-secret")


# --- the four operations -------------------------------------------------------------------


def test_inputs(http: httpx.Client) -> None:
    response = http.get("/inputs")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"inputs": ["topic", "target_audience", "depth"]}
    assert_valid(response.json(), "InputsResponse")


@with_options(crew=Crew(inputs=["ticker"], tasks=[Task(id="t-1", agent="Analyst", output="{ticker} up")]))
def test_inputs_of_a_custom_crew(http: httpx.Client) -> None:
    assert http.get("/inputs").json() == {"inputs": ["ticker"]}


REQUESTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/inputs", None),
    ("POST", "/kickoff", {"inputs": INPUTS}),
    ("GET", "/status/7c6d8f8e-0d7b-4f57-9c55-3f3a36a3c0a1", None),
    (
        "POST",
        "/resume",
        {"execution_id": "x", "task_id": "t", "human_feedback": "ok", "is_approve": True},
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS, ids=[r[1].split("/")[1] for r in REQUESTS])
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", "Basic dXNlcjpwYXNz", "Bearer", "Bearer t\xf6k".encode("latin-1")],
    ids=str,
)
def test_every_operation_needs_the_bearer_token(
    emulator: AmpEmulator,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    authorization: str | bytes | None,
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with httpx.Client(base_url=emulator.base_url, trust_env=False) as raw:
        response = raw.request(method, path, json=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert_valid(response.json(), "Error")
    assert emulator.token not in response.text
    assert emulator.stats.kickoffs_started == 0


def test_bearer_scheme_is_case_insensitive(emulator: AmpEmulator) -> None:
    response = httpx.get(
        f"{emulator.base_url}/inputs", headers={"Authorization": f"bearer {emulator.token}"}, trust_env=False
    )
    assert response.status_code == 200


def test_kickoff_returns_a_uuid_and_starts_a_crew(emulator: AmpEmulator, http: httpx.Client) -> None:
    kickoff_id = kickoff(http)
    assert emulator.kickoff_ids == [kickoff_id]
    assert emulator.kickoff_count == 1
    assert emulator.status_of(kickoff_id) in {"running", "completed"}


def test_kickoff_missing_inputs_is_422_naming_them(emulator: AmpEmulator, http: httpx.Client) -> None:
    response = http.post("/kickoff", json={"inputs": {"topic": "AI", "depth": None}})
    assert response.status_code == 422
    body = response.json()
    assert_valid(body, "Error")
    assert body["error"] == "Missing required inputs: target_audience, depth"
    assert body["details"]["missing_inputs"] == ["target_audience", "depth"]  # the kickoff reference's key
    assert emulator.kickoff_ids == []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"inputs"',
        b"{}",
        b'{"inputs": "topic=AI"}',
        b'{"inputs": null}',
        b'{"inputs": {"topic": NaN}}',
        b'{"inputs": {}, "meta": [1]}',
        b'{"inputs": {}, "taskWebhookUrl": 5}',
        b'{"inputs": {}, "stepWebhookUrl": "not a url"}',
        b"[" * 100_000,
    ],
    ids=lambda content: content[:40].decode("latin-1"),
)
def test_malformed_kickoff_is_400(emulator: AmpEmulator, http: httpx.Client, content: bytes) -> None:
    response = http.post("/kickoff", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert_valid(response.json(), "Error")
    assert response.json()["error"]
    assert emulator.kickoff_ids == []


@with_options(webhook_hosts=())  # accepted, never sent: this test stays off the network
def test_kickoff_accepts_webhook_urls_and_unknown_fields(emulator: AmpEmulator, http: httpx.Client) -> None:
    kickoff_id = kickoff(
        http,
        meta={"requestId": "7a2c-9f1b"},
        taskWebhookUrl="https://hooks.example.com/crewai/task?x=1",
        stepWebhookUrl="http://[::1]:8080/step",
        crewWebhookUrl="HTTP://user:pw@127.0.0.1/crew#frag",
        somethingNew=True,
    )
    wait_final(http, kickoff_id)
    events = sum(len(task.steps) + 1 for task in emulator.crew.tasks) + 1  # steps, tasks, crew
    wait_for(lambda: emulator.stats.webhooks_skipped == events, what="all events to be skipped")
    assert emulator.stats.webhook_attempts == 0


def test_status_of_unknown_kickoff_is_404(http: httpx.Client) -> None:
    for kickoff_id in (
        "7c6d8f8e-0d7b-4f57-9c55-3f3a36a3c0a1",
        "abcd1234-5678-90ef-ghij-klmnopqrstuv",
        "x" * 500,
    ):
        response = http.get(f"/status/{kickoff_id}")
        assert response.status_code == 404
        assert_valid(response.json(), "Error")


def test_unknown_path_and_method_answer_json(http: httpx.Client) -> None:
    response = http.get("/nope")
    assert response.status_code == 404
    assert_valid(response.json(), "Error")
    response = http.delete("/inputs")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert_valid(response.json(), "Error")


# --- status progression ------------------------------------------------------------------------


@with_options(crew=default_crew(review=["outline"]))
def test_status_progresses_to_completed(emulator: AmpEmulator, http: httpx.Client) -> None:
    kickoff_id = kickoff(http)
    # The review pause makes the running state observable without racing the crew.
    wait_for(lambda: emulator.awaiting_review(kickoff_id), what="the outline review")
    running = http.get(f"/status/{kickoff_id}").json()
    assert_valid(running, "StatusResponse")
    expected = {
        "status": "running",
        "current_task": "Outline the short report",
        "progress": {"completed_tasks": 1, "total_tasks": 4},
    }
    if PAUSED == "running":
        assert running == expected
        assert StatusRunning.from_dict(running).to_dict() == running
    else:
        assert running == {**expected, "status": PAUSED, "task_id": "outline"}
    http.post(
        "/resume",
        json={"execution_id": kickoff_id, "task_id": "outline", "human_feedback": "ok", "is_approve": True},
    )

    done = wait_final(http, kickoff_id)
    assert_valid(done, "StatusResponse")
    assert StatusCompleted.from_dict(done).to_dict() == done
    assert done["status"] == "completed"
    assert isinstance(done["execution_time"], float)
    tasks = done["result"]["tasks"]
    assert [task["task_id"] for task in tasks] == ["research", "outline", "write", "review"]
    assert [task["agent"] for task in tasks] == [
        "Senior Research Analyst",
        "Content Strategist",
        "Technical Writer",
        "Editor",
    ]
    assert tasks[0]["output"].startswith("Key findings on AI for devs")
    assert all(isinstance(task["execution_time"], float) for task in tasks)
    assert done["result"]["output"] == tasks[-1]["output"]
    assert "AI" in done["result"]["output"] and "devs" in done["result"]["output"]
    assert emulator.status_of(kickoff_id) == "completed"


@with_options(scale=1.0)
def test_status_is_running_right_after_kickoff(http: httpx.Client) -> None:
    # At human pace the first task takes 4 s, far longer than one round trip.
    kickoff_id = kickoff(http)
    body = http.get(f"/status/{kickoff_id}").json()
    assert_valid(body, "StatusResponse")
    assert body["status"] == "running"
    assert body["current_task"] == "Research AI"
    assert body["progress"] == {"completed_tasks": 0, "total_tasks": 4}


@with_options(crew=default_crew(fail_at="write"))
def test_status_progresses_to_error(emulator: AmpEmulator, http: httpx.Client) -> None:
    kickoff_id = kickoff(http)
    done = wait_final(http, kickoff_id)
    assert_valid(done, "StatusResponse")
    assert StatusError.from_dict(done).to_dict() == done
    assert done["status"] == "error"
    assert done["error"] == "Tool timeout in step 4"
    assert isinstance(done["execution_time"], float)
    assert emulator.status_of(kickoff_id) == "error"


def test_crew_output_template_and_failure_message_template() -> None:
    crew = Crew(
        inputs=["name"],
        tasks=[Task(id="a", agent="A", output="hello {name}"), Task(id="b", agent="B", output="bye {name}")],
        output="{name}: done",
    )
    with AmpEmulator(crew, scale=0) as emulator, client_for(emulator) as http:
        done = wait_final(http, kickoff(http, {"name": "Ada", "extra": 1}))
        assert done["result"]["output"] == "Ada: done"
        assert [task["output"] for task in done["result"]["tasks"]] == ["hello Ada", "bye Ada"]
    failing = crew.failing_at("b", "could not reach {name}")
    with AmpEmulator(failing, scale=0) as emulator, client_for(emulator) as http:
        assert wait_final(http, kickoff(http, {"name": "Ada"}))["error"] == "could not reach Ada"


def test_scale_sets_the_pace() -> None:
    # Relative, not timed: at scale 100 the default crew takes ~20 minutes, at 0.01 ~0.13 s.
    with (
        AmpEmulator(scale=100) as slow,
        AmpEmulator(scale=0.01) as fast,
        client_for(slow) as slow_http,
        client_for(fast) as fast_http,
    ):
        slow_id = kickoff(slow_http)
        fast_id = kickoff(fast_http)
        assert wait_final(fast_http, fast_id)["status"] == "completed"
        assert slow_http.get(f"/status/{slow_id}").json()["status"] == "running"
        assert slow.scale == 100


async def test_many_concurrent_runs_complete() -> None:
    with AmpEmulator(scale=0.01) as emulator:
        async with httpx.AsyncClient(
            base_url=emulator.base_url,
            headers={"Authorization": f"Bearer {emulator.token}"},
            timeout=30,
            trust_env=False,
        ) as http:

            async def one() -> str:
                response = await http.post("/kickoff", json={"inputs": INPUTS})
                kickoff_id: str = response.json()["kickoff_id"]
                for _ in range(2000):
                    body = (await http.get(f"/status/{kickoff_id}")).json()
                    if body["status"] != "running":
                        return str(body["status"])
                    await asyncio.sleep(0.01)
                return "timeout"

            results = await asyncio.gather(*(one() for _ in range(100)))
        assert results == ["completed"] * 100
        assert emulator.kickoff_count == 100
        assert len(set(emulator.kickoff_ids)) == 100


# --- human review ----------------------------------------------------------------------------


def resume(http: httpx.Client, kickoff_id: str, task_id: str, feedback: str, approve: bool) -> httpx.Response:
    return http.post(
        "/resume",
        json={
            "execution_id": kickoff_id,
            "task_id": task_id,
            "human_feedback": feedback,
            "is_approve": approve,
        },
    )


@with_options(crew=default_crew(review=["write"]))
def test_review_approved(emulator: AmpEmulator, http: httpx.Client) -> None:
    kickoff_id = kickoff(http)
    assert wait_for(lambda: emulator.awaiting_review(kickoff_id), what="the review") == "write"
    paused = http.get(f"/status/{kickoff_id}").json()
    assert paused["status"] == PAUSED
    assert paused["progress"]["completed_tasks"] == 2

    response = resume(http, kickoff_id, "write", "Looks good, ship it.", True)
    assert response.status_code == 200
    assert_valid(response.json(), "ResumeResponse")
    assert ResumeResponse.from_dict(response.json()).to_dict() == response.json()
    assert response.json() == {"status": "resumed", "message": "Execution resumed at task write"}

    done = wait_final(http, kickoff_id)
    assert done["status"] == "completed"
    write = done["result"]["tasks"][2]
    assert write["output"] == "Draft report on AI for devs (short)."
    # Nothing waits any more: a second resume is a 400.
    again = resume(http, kickoff_id, "write", "again", True)
    assert again.status_code == 400
    assert_valid(again.json(), "Error")


@with_options(crew=default_crew(review=["write"]))
def test_review_retried_then_approved(emulator: AmpEmulator, http: httpx.Client) -> None:
    kickoff_id = kickoff(http)
    wait_for(lambda: emulator.awaiting_review(kickoff_id), what="the review")

    response = resume(http, kickoff_id, "write", "Tone is off, make it more formal.", False)
    assert response.status_code == 200
    assert_valid(response.json(), "ResumeResponse")
    assert response.json()["status"] == "retrying"
    # The same pause cannot be answered twice.
    assert resume(http, kickoff_id, "write", "twice", True).status_code == 400

    # The task runs again and asks for review again.
    assert wait_for(lambda: emulator.awaiting_review(kickoff_id), what="the second review") == "write"
    assert http.get(f"/status/{kickoff_id}").json()["status"] == PAUSED
    assert resume(http, kickoff_id, "write", "Better.", True).json()["status"] == "resumed"

    done = wait_final(http, kickoff_id)
    write = done["result"]["tasks"][2]
    assert write["output"] == (
        "Draft report on AI for devs (short).\n\nRevised after human feedback: Tone is off, make it more formal."
    )


@with_options(crew=default_crew(review=["write"]))
def test_resume_of_a_task_not_waiting_is_400(emulator: AmpEmulator, http: httpx.Client) -> None:
    kickoff_id = kickoff(http)
    wait_for(lambda: emulator.awaiting_review(kickoff_id), what="the review")
    response = resume(http, kickoff_id, "research", "nope", True)
    assert response.status_code == 400
    body = response.json()
    assert_valid(body, "Error")
    assert "'research' is not awaiting human feedback" in body["error"]
    assert body["details"]["awaiting_task_id"] == "write"
    assert emulator.awaiting_review(kickoff_id) == "write"  # still waiting


def test_resume_without_review_is_400(http: httpx.Client) -> None:
    kickoff_id = kickoff(http)
    wait_final(http, kickoff_id)
    response = resume(http, kickoff_id, "review", "ok", True)
    assert response.status_code == 400
    assert response.json()["details"]["status"] == "completed"


def test_resume_unknown_kickoff_is_404(http: httpx.Client) -> None:
    response = resume(http, "7c6d8f8e-0d7b-4f57-9c55-3f3a36a3c0a1", "write", "ok", True)
    assert response.status_code == 404
    assert_valid(response.json(), "Error")


@pytest.mark.parametrize(
    "body",
    [
        [],
        {},
        {"execution_id": "x", "task_id": "t", "human_feedback": "f"},
        {"execution_id": "x", "task_id": "t", "human_feedback": "f", "is_approve": "true"},
        {"execution_id": "x", "task_id": "t", "human_feedback": "f", "is_approve": 1},
        {"execution_id": 1, "task_id": "t", "human_feedback": "f", "is_approve": True},
        {"execution_id": "x", "task_id": None, "human_feedback": "f", "is_approve": True},
        {"execution_id": "x", "task_id": "t", "human_feedback": ["f"], "is_approve": True},
        {
            "execution_id": "x",
            "task_id": "t",
            "human_feedback": "f",
            "is_approve": True,
            "taskWebhookUrl": "x",
        },
    ],
    ids=str,
)
def test_malformed_resume_is_400(http: httpx.Client, body: Any) -> None:
    response = http.post("/resume", json=body)
    assert response.status_code == 400
    assert_valid(response.json(), "Error")


# --- faults and counters ---------------------------------------------------------------------


@with_options(faults=Faults(error_rate=1.0))
def test_error_rate_one_fails_everything_without_running_it(
    emulator: AmpEmulator, http: httpx.Client
) -> None:
    response = http.post("/kickoff", json={"inputs": INPUTS})
    assert response.status_code == 500
    assert_valid(response.json(), "Error")
    assert emulator.kickoff_count == 1
    assert emulator.kickoff_ids == []  # refused before it ran
    assert http.get("/inputs").status_code == 500
    emulator.faults.clear()
    assert http.get("/inputs").status_code == 200
    assert emulator.stats.faults["error"] == 2


def status_codes(seed: int, count: int = 60) -> list[int]:
    with AmpEmulator(seed=seed, faults=Faults(error_rate=0.3)) as emulator, client_for(emulator) as http:
        return [http.get("/inputs").status_code for _ in range(count)]


def test_error_rate_is_a_rate_and_seeded() -> None:
    first = status_codes(seed=7)
    assert set(first) == {200, 500}  # 60 draws at 0.3: both outcomes, for this seed
    assert first == status_codes(seed=7)  # reproducible
    assert first != status_codes(seed=8)


@pytest.mark.parametrize(("kind", "status"), [("rate_limit", 429), ("unavailable", 503)])
def test_rate_limited_and_unavailable_carry_retry_after(
    emulator: AmpEmulator, http: httpx.Client, kind: str, status: int
) -> None:
    emulator.faults.retry_after = 1.5  # sent as whole seconds, rounded up
    setattr(emulator.faults, f"{kind}_rate", 1.0)
    response = http.post("/kickoff", json={"inputs": INPUTS})
    assert response.status_code == status
    assert response.headers["retry-after"] == "2"
    assert_valid(response.json(), "Error")
    assert emulator.kickoff_ids == []
    assert emulator.stats.faults[kind] == 1
    assert emulator.stats.responses[status] == 1


def test_dropped_connection_after_the_kickoff_ran(emulator: AmpEmulator, http: httpx.Client) -> None:
    emulator.faults.inject("drop", route="kickoff")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/kickoff", json={"inputs": INPUTS})
    # The request was read and acted on: the crew started, only the answer was lost.
    assert emulator.kickoff_count == 1
    assert len(emulator.kickoff_ids) == 1
    assert emulator.stats.faults["drop"] == 1
    # The next request goes through on a new connection.
    assert http.get("/inputs").status_code == 200
    assert wait_final(http, emulator.kickoff_ids[0])["status"] == "completed"


def test_drop_rate_on_status(emulator: AmpEmulator, http: httpx.Client) -> None:
    kickoff_id = kickoff(http)
    emulator.faults.drop_rate = 1.0
    emulator.faults.routes = frozenset({"status"})
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(f"/status/{kickoff_id}")
    assert http.get("/inputs").status_code == 200  # other routes unaffected


def test_injected_faults_come_first_and_in_order(emulator: AmpEmulator, http: httpx.Client) -> None:
    emulator.faults.inject("unavailable", times=2, route="status")
    emulator.faults.inject("error", route="kickoff")
    kickoff_id = "7c6d8f8e-0d7b-4f57-9c55-3f3a36a3c0a1"
    assert http.get("/inputs").status_code == 200  # no fault aimed at /inputs
    assert http.post("/kickoff", json={"inputs": INPUTS}).status_code == 500
    assert [http.get(f"/status/{kickoff_id}").status_code for _ in range(3)] == [503, 503, 404]
    assert http.post("/kickoff", json={"inputs": INPUTS}).status_code == 200


def test_latency_still_answers(emulator: AmpEmulator, http: httpx.Client) -> None:
    emulator.faults.latency = 0.05
    assert http.get("/inputs").status_code == 200


def test_faults_validate_their_settings() -> None:
    faults = Faults()
    with pytest.raises(ValueError):
        faults.error_rate = 1.5
    with pytest.raises(ValueError):
        Faults(error_rate=0.6, drop_rate=0.6)
    with pytest.raises(ValueError):
        faults.routes = frozenset({"nope"})
    with pytest.raises(ValueError):
        faults.inject("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        faults.latency = -1
    assert not faults.active
    faults.routes = frozenset({"kickoff"})
    faults.inject("drop")
    assert faults.active


def test_counters(emulator: AmpEmulator, http: httpx.Client) -> None:
    http.get("/inputs")
    kickoff(http)
    http.post("/kickoff", json={"inputs": {}})  # 422
    httpx.post(f"{emulator.base_url}/kickoff", json={"inputs": INPUTS}, trust_env=False)  # 401
    http.get("/kickoff")  # 405: not a kickoff
    http.get("/status/nope")
    stats = emulator.stats
    assert emulator.kickoff_count == 3
    assert stats.kickoffs_received == 3
    assert stats.kickoffs_started == 1
    assert dict(stats.requests) == {"inputs": 1, "kickoff": 4, "status": 1, "resume": 0, "other": 0}
    assert dict(stats.responses) == {200: 2, 401: 1, 404: 1, 405: 1, 422: 1}


# --- the crew script model ----------------------------------------------------------------------


def test_default_crew() -> None:
    crew = default_crew()
    assert crew.inputs == ("topic", "target_audience", "depth")
    assert [task.id for task in crew.tasks] == ["research", "outline", "write", "review"]
    assert not any(task.human_review or task.fail for task in crew.tasks)
    assert 5 <= crew.duration <= 30
    reviewed = default_crew(review=["write", "review"], fail_at="review")
    assert [task.human_review for task in reviewed.tasks] == [False, False, True, True]
    assert reviewed.task("review").fail == "Tool timeout in step 4"
    assert crew.scaled(0.5).duration == crew.duration / 2


def test_crew_validation() -> None:
    task = Task(id="a", agent="A", output="x")
    with pytest.raises(ValueError, match="at least one task"):
        Crew(inputs=[], tasks=[])
    with pytest.raises(ValueError, match="duplicate task ids: a"):
        Crew(inputs=[], tasks=[task, task])
    with pytest.raises(ValueError):
        Task(id="", agent="A", output="x")
    with pytest.raises(ValueError):
        Task(id="a", agent="A", output="x", duration=-1)
    with pytest.raises(ValueError, match=r"Step\.type"):
        Step("shout")
    with pytest.raises(KeyError):
        Crew(inputs=[], tasks=[task]).with_review("b")


def test_templates_fill_names_only() -> None:
    from crewai_amp.testing._crew import render, render_value

    values = {"topic": "AI", "n": 3, "none": None}
    assert render("{topic} x{n} {missing} {none}", values) == "AI x3 {missing} {none}"
    # Only plain names: no attribute or index access into input values.
    assert render("{topic.__class__} {topic[0]}", values) == "{topic.__class__} {topic[0]}"
    assert render_value({"q": ["{topic}", 1, {"k": "{n}"}]}, values) == {"q": ["AI", 1, {"k": "3"}]}
