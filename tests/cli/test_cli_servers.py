"""`crewai-amp mock serve` and `crewai-amp webhooks listen` as a user runs them: subprocesses on
127.0.0.1 (ephemeral ports), read, called, then stopped with Ctrl-C (SIGINT) or SIGTERM."""

from __future__ import annotations

import base64
import json
import signal
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from crewai_amp.cli import main
from support.cli_servers import LINE_TIMEOUT, Cli, start

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # a fixed test secret (base64 of 24 bytes)


@pytest.fixture
def clis() -> Iterator[list[Cli]]:
    """Every Cli started in a test, killed at the end whatever happened."""
    started: list[Cli] = []
    try:
        yield started
    finally:
        for cli in started:
            cli.close()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CREWAI_AMP_BASE_URL", "CREWAI_AMP_TOKEN", "CREWAI_AMP_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)


# --- mock serve ------------------------------------------------------------------------------------


def parse_banner(lines: list[str]) -> dict[str, str]:
    """The exports line mock serve prints: `export NAME=value NAME=value ...`."""
    (export,) = [line.strip() for line in lines if line.strip().startswith("export ")]
    pairs = export.removeprefix("export ").split()
    return dict(pair.split("=", 1) for pair in pairs)


def test_mock_serve_prints_what_to_do_next_and_serves_until_ctrl_c(
    clis: list[Cli], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start(clis, "mock", "serve", "--port", "0", "--scale", "0.01")
    banner = [server.stdout_line()]
    assert banner[0].startswith("AMP emulator listening on http://127.0.0.1:")
    while not banner[-1].strip().startswith("crewai-amp kickoff"):
        banner.append(server.stdout_line())
    env = parse_banner(banner)
    assert env["CREWAI_AMP_BASE_URL"].startswith("http://127.0.0.1:")
    assert env["CREWAI_AMP_TOKEN"] in "\n".join(banner)  # the fake's token IS printed, on purpose
    assert env["CREWAI_AMP_WEBHOOK_SECRET"].startswith("whsec_")
    assert any("local fake" in line for line in banner)
    assert banner[-1].strip() == (
        "crewai-amp kickoff --input topic=AI --input target_audience=devs --input depth=short --wait"
    )

    # The two commands to try next, as printed.
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["inputs"]) == 0
    assert capsys.readouterr().out.split() == ["topic", "target_audience", "depth"]
    assert main(banner[-1].split()[1:]) == 0
    assert "Final report on AI for devs (short)" in capsys.readouterr().out

    assert server.stop(signal.SIGINT) == 0
    assert "emulator stopped" in server.rest(server.err)
    assert "Traceback" not in "\n".join(server.seen_err)


def test_the_readme_walkthrough_is_what_mock_serve_prints() -> None:
    """The README's command-line walkthrough: install the built wheel with [all], `crewai-amp
    mock serve`, then the kickoff command mock serve suggests (which the test above runs),
    its webhooks pointed at `webhooks listen`."""
    from crewai_amp.cli._servers import TRY_KICKOFF
    from support.paths import REPO

    readme = (REPO / "README.md").read_text("utf-8")
    assert 'pip install "$(ls dist/crewai_amp_client-*.whl)[all]"' in readme
    lines = readme.replace("\\\n  ", "").splitlines()  # a command continued with a backslash
    mock = next(line for line in lines if line.startswith("crewai-amp mock serve"))
    listen = next(line for line in lines if line.startswith("crewai-amp webhooks listen"))
    kickoff = next(line for line in lines if line.startswith(TRY_KICKOFF))
    port = listen.split("--port ")[1].split()[0]
    assert f"--port {port}" not in mock  # two servers, two ports
    assert f"--crew-webhook http://127.0.0.1:{port}/" in kickoff
    assert (
        TRY_KICKOFF
        == "crewai-amp kickoff --input topic=AI --input target_audience=devs --input depth=short --wait"
    )


def test_mock_serve_json_and_sigterm(clis: list[Cli]) -> None:
    server = start(clis, "mock", "serve", "--port", "0", "--scale", "0.01", "--review", "write", "--json")
    document = json.loads("\n".join(server.stdout_until("}")))
    assert document["base_url"].startswith("http://127.0.0.1:")
    assert document["review"] == ["write"]
    assert document["tasks"] == ["research", "outline", "write", "review"]
    with httpx.Client(base_url=document["base_url"], trust_env=False) as http:
        response = http.get("/inputs", headers={"Authorization": f"Bearer {document['token']}"})
        assert response.status_code == 200
        assert http.get("/inputs").status_code == 401
    # A request is logged once its answer is sent: read both lines before stopping the server.
    logged = [json.loads(server.stderr_line()) for _ in range(2)]
    assert server.stop(signal.SIGTERM) == 0
    # --json: nothing but JSON on stderr: one request line per request, never the token.
    assert server.rest(server.err) == []
    assert [entry["request"]["status"] for entry in logged] == [200, 401]
    assert all(entry["request"]["path"] == "/inputs" for entry in logged)
    assert document["token"] not in "\n".join(server.seen_err)


def test_mock_serve_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mock", "serve", "--port", "0", "--fail-at", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "research, outline, write, review" in err


# --- webhooks listen -------------------------------------------------------------------------------


def task_event(kickoff_id: str = "7c6d8f8e-0d7b-4f57-9c55-3f3a36a3c0a1") -> bytes:
    return json.dumps(
        {
            "kickoff_id": kickoff_id,
            "task_id": "research",
            "agent": "Senior Research Analyst",
            "status": "completed",
            "output": "Key findings on AI.",
            "execution_time": 1.25,
            "meta": {"requestId": "r-1"},
        }
    ).encode()


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=LINE_TIMEOUT) as http:
        return http.post(url, content=body, headers={"content-type": "application/json", **headers})


def test_webhooks_listen_json_verifies_and_prints_each_event(clis: list[Cli]) -> None:
    from crewai_amp.webhooks import sign

    listener = start(clis, "webhooks", "listen", "--port", "0", "--secret", SECRET, "--json")
    url = json.loads(listener.stderr_line())["listening"]["url"]
    assert url.startswith("http://127.0.0.1:")

    body = task_event()
    response = post(f"{url}/task", body, sign(body, secret=SECRET))
    assert response.status_code < 300, response.text
    line = json.loads(listener.stdout_line())
    assert line["channel"] == "task"
    assert line["event"]["task_id"] == "research"
    assert line["event"]["meta"] == {"requestId": "r-1"}

    tampered = body.replace(b"Key findings", b"Fake findings")
    response = post(f"{url}/task", tampered, sign(body, secret=SECRET))
    assert response.status_code == 401
    rejected = json.loads(listener.stderr_line())["rejected"]
    assert (rejected["status"], rejected["path"]) == (401, "/task")

    assert post(f"{url}/task", body, {}).status_code == 401  # unsigned
    assert json.loads(listener.stderr_line())["rejected"]["status"] == 401

    assert listener.stop(signal.SIGINT) == 0
    assert listener.rest(listener.out) == []  # nothing printed for the rejected ones
    assert SECRET not in "\n".join(listener.seen_out + listener.seen_err + listener.rest(listener.err))


def test_webhooks_listen_pretty_prints_and_a_bearer_receiver(clis: list[Cli]) -> None:
    listener = start(clis, "webhooks", "listen", "--port", "0", "--bearer", "hook-token-9")
    first = listener.stdout_line()
    assert first.startswith("listening on http://127.0.0.1:")
    url = first.split()[2].rstrip(",")
    body = task_event()
    response = post(f"{url}/task", body, {"Authorization": "Bearer hook-token-9"})
    assert response.status_code < 300, response.text
    line = listener.stdout_line()
    while not line.startswith("task "):
        line = listener.stdout_line()
    assert line.startswith("task research completed by Senior Research Analyst")
    assert listener.stdout_line().strip() == "Key findings on AI."
    assert post(f"{url}/task", body, {"Authorization": "Bearer wrong"}).status_code == 401
    assert listener.stderr_line().startswith("rejected POST /task: 401")
    assert listener.stop(signal.SIGTERM) == 0
    assert "hook-token-9" not in "\n".join(listener.seen_out + listener.seen_err)


def test_webhooks_listen_with_basic_authentication(clis: list[Cli]) -> None:
    listener = start(clis, "webhooks", "listen", "--port", "0", "--basic", "amp:pa55-word-7")
    first = listener.stdout_line()
    assert first.startswith("listening on http://127.0.0.1:") and "basic authentication" in first
    url = first.split()[2].rstrip(",")
    body = task_event()
    assert post(f"{url}/task", body, {"Authorization": basic_header("amp", "pa55-word-7")}).status_code < 300
    line = listener.stdout_line()
    while not line.startswith("task "):
        line = listener.stdout_line()
    assert post(f"{url}/task", body, {"Authorization": basic_header("amp", "wrong")}).status_code == 401
    assert post(f"{url}/task", body, {"Authorization": "Bearer pa55-word-7"}).status_code == 401
    assert listener.stop(signal.SIGTERM) == 0
    assert "pa55-word-7" not in "\n".join(listener.seen_out + listener.seen_err)


@pytest.mark.parametrize("value", ["amp", "amp:", ":pw"])
def test_webhooks_listen_basic_needs_a_user_and_a_password(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    assert main(["webhooks", "listen", "--port", "0", "--basic", value]) == 2
    assert "USER:PASSWORD" in capsys.readouterr().err


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_webhooks_listen_needs_a_way_to_verify(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["webhooks", "listen", "--port", "0"]) == 2
    assert "--secret" in capsys.readouterr().err


def test_emulator_webhooks_into_the_listener(
    clis: list[Cli], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walkthrough: mock serve, webhooks listen with its secret, a kickoff pointed at it."""
    server = start(clis, "mock", "serve", "--port", "0", "--scale", "0.01", "--json")
    amp = json.loads("\n".join(server.stdout_until("}")))
    listener = start(clis, "webhooks", "listen", "--port", "0", "--json", "--secret", amp["webhook_secret"])
    url = json.loads(listener.stderr_line())["listening"]["url"]
    monkeypatch.setenv("CREWAI_AMP_BASE_URL", amp["base_url"])
    monkeypatch.setenv("CREWAI_AMP_TOKEN", amp["token"])
    argv = ["kickoff", "--input", "topic=AI", "--input", "target_audience=devs", "--input", "depth=short"]
    argv += ["--meta", "requestId=walk-1", "--task-webhook", f"{url}/task", "--crew-webhook", f"{url}/crew"]
    assert main([*argv, "--wait", "--json"]) == 0
    kickoff = json.loads(capsys.readouterr().out)["kickoff_id"]
    events: list[dict[str, Any]] = []
    while not events or events[-1]["channel"] != "crew":
        events.append(json.loads(listener.stdout_line()))
    assert [event["event"]["task_id"] for event in events if event["channel"] == "task"] == [
        "research",
        "outline",
        "write",
        "review",
    ]
    assert all(event["event"]["kickoff_id"] == kickoff for event in events)
    meta = events[-1]["event"]["meta"]
    assert meta.pop("crewai_amp_correlation_id")  # every kickoff carries one (docs/client.md)
    assert meta == {"requestId": "walk-1"}
    assert listener.stop() == 0
    assert server.stop() == 0
