"""`crewai-amp webhooks listen` shows deployed AMP's deliveries: the legacy task/step/crew payloads
and each event of a streamed batch, with --json and without."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

TOKEN = "listen-t0ken"
K = "kick-1"
LEGACY = [
    {
        "description": "d",
        "name": "research",
        "expected_output": "e",
        "agent": "Analyst",
        "output": "Found it.",
        "kickoff_id": K,
    },
    {
        "prompt": "p",
        "thought": "look it up",
        "tool": "search",
        "tool_input": "{}",
        "result": "3 hits",
        "kickoff_id": K,
    },
    {"kickoff_id": K, "result": "Final report", "result_json": None, "token_usage": {"total_tokens": 9}},
]
BATCH = {
    "events": [
        {
            "id": "ev-1",
            "execution_id": "exec-9",
            "timestamp": "2026-01-01T00:00:00Z",
            "type": "llm_call_started",
            "data": {"n": 1},
        }
    ]
}


@pytest.fixture
def listener(request: pytest.FixtureRequest) -> Iterator[tuple[subprocess.Popen[str], str]]:
    argv = [sys.executable, "-m", "crewai_amp", "webhooks", "listen", "--port", "0", "--bearer", TOKEN]
    argv += request.param
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if "--json" in argv:
            url = json.loads(process.stderr.readline())["listening"]["url"]  # type: ignore[union-attr]
        else:
            url = process.stdout.readline().split()[2].rstrip(",")  # type: ignore[union-attr]
        yield process, url
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(20)


def deliver(url: str, payload: object) -> None:
    with httpx.Client(trust_env=False, timeout=30) as http:
        response = http.post(
            url,
            content=json.dumps(payload).encode(),
            headers={"authorization": f"Bearer {TOKEN}", "content-type": "application/json"},
        )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("listener", [["--json"]], indirect=True)
def test_json_lines_for_legacy_and_streamed_deliveries(listener: tuple[subprocess.Popen[str], str]) -> None:
    process, url = listener
    for payload in [*LEGACY, BATCH]:
        deliver(url, payload)
    lines = [json.loads(process.stdout.readline()) for _ in range(4)]  # type: ignore[union-attr]
    assert [line["channel"] for line in lines] == ["task", "step", "crew", "stream"]
    assert lines[0]["event"]["name"] == "research" and lines[2]["event"]["token_usage"]["total_tokens"] == 9
    assert lines[3]["event"]["type"] == "llm_call_started" and lines[3]["event"]["execution_id"] == "exec-9"


@pytest.mark.parametrize("listener", [[]], indirect=True)
def test_pretty_lines_for_legacy_and_streamed_deliveries(listener: tuple[subprocess.Popen[str], str]) -> None:
    process, url = listener
    out = process.stdout
    assert out is not None
    while not out.readline().startswith("  crewai-amp kickoff"):
        pass
    expected = [
        ("task research by Analyst  [kickoff kick-1]", "    Found it."),
        ("step ? tool  [kickoff kick-1]", "    search -> 3 hits"),
        ("crew finished  [kickoff kick-1]", "    Final report"),
        ("llm_call_started ev-1  [kickoff exec-9]", '    {"n": 1}'),
    ]
    for payload, (head, body) in zip([*LEGACY, BATCH], expected, strict=True):
        deliver(url, payload)
        assert (out.readline().rstrip("\n"), out.readline().rstrip("\n")) == (head, body)
