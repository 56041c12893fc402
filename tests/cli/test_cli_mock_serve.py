"""`crewai-amp mock serve` options: a stable `--token`, `--print-env`, `--dialect`, the request log
(one line per request, never the token), and usage errors said once."""

from __future__ import annotations

import json
import shlex
import signal
import sys
from collections.abc import Iterator

import httpx
import pytest
from crewai_amp.cli import main
from support.cli_servers import Cli, start

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture
def clis() -> Iterator[list[Cli]]:
    started: list[Cli] = []
    try:
        yield started
    finally:
        for cli in started:
            cli.close()


def exports(line: str) -> dict[str, str]:
    words = shlex.split(line)
    assert words[0] == "export"
    return dict(word.split("=", 1) for word in words[1:])


def test_print_env_writes_only_the_exports_and_a_stable_token_then_serves(clis: list[Cli]) -> None:
    server = start(
        clis, "mock", "serve", "--port", "0", "--scale", "0.01", "--token", "dev token's", "--print-env"
    )
    env = exports(server.stdout_line())
    assert env["CREWAI_AMP_TOKEN"] == "dev token's"
    assert env["CREWAI_AMP_BASE_URL"].startswith("http://127.0.0.1:")
    assert env["CREWAI_AMP_WEBHOOK_SECRET"].startswith("whsec_")
    while "Try it" not in server.stderr_line():  # the banner went to stderr
        pass
    with httpx.Client(base_url=env["CREWAI_AMP_BASE_URL"], trust_env=False) as http:
        assert http.get("/inputs", headers={"Authorization": "Bearer dev token's"}).status_code == 200
    assert server.stop(signal.SIGINT) == 0
    assert server.rest(server.out) == []  # nothing else ever reached stdout


def test_one_log_line_per_request_never_the_token(clis: list[Cli]) -> None:
    server = start(
        clis, "mock", "serve", "--port", "0", "--scale", "0.01", "--token", "tok-123", "--print-env"
    )
    env = exports(server.stdout_line())
    with httpx.Client(base_url=env["CREWAI_AMP_BASE_URL"], trust_env=False) as http:
        http.get("/inputs", headers={"Authorization": "Bearer tok-123"})
        http.post("/kickoff", json={"inputs": {}}, headers={"Authorization": "Bearer tok-123"})
        http.get("/status/nope?x=1", headers={"Authorization": "Bearer tok-123"})
        http.get("/inputs")
    # A request is logged once its answer is sent: read the four lines before stopping the server.
    while sum(line.split()[:1] in (["GET"], ["POST"]) for line in server.seen_err) < 4:
        server.stderr_line()
    assert server.stop(signal.SIGINT) == 0
    lines = server.seen_err + server.rest(server.err)
    logged = [line.split() for line in lines if line.split()[:1] in (["GET"], ["POST"])]
    assert [(m, p, s) for m, p, s, *_ in logged] == [
        ("GET", "/inputs", "200"),
        ("POST", "/kickoff", "422"),
        ("GET", "/status/nope", "404"),
        ("GET", "/inputs", "401"),
    ]
    assert all(entry[-1] == "ms" for entry in logged)
    request_lines = [" ".join(entry) for entry in logged]
    assert not any("tok-123" in line for line in request_lines)


def test_dialect_observed(clis: list[Cli]) -> None:
    server = start(clis, "mock", "serve", "--port", "0", "--dialect", "observed", "--json")
    document = json.loads("\n".join(server.stdout_until("}")))
    assert document["dialect"] == "observed"
    assert document["webhook_token"]
    with httpx.Client(base_url=document["base_url"], trust_env=False) as http:
        answer = http.get("/inputs", headers={"Authorization": f"Bearer {document['token']}"}).json()
    assert answer == {"inputs": {"topic": "str", "target_audience": "str", "depth": "str"}}
    assert server.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize("flag", ["--review", "--fail-at"])
def test_an_unknown_task_is_said_once(capsys: pytest.CaptureFixture[str], flag: str) -> None:
    assert main(["mock", "serve", "--port", "0", flag, "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert err.count("nosuch") == 1
    assert err.count("research, outline, write, review") == 1


@pytest.mark.parametrize("token", ["", "  "])
def test_an_empty_token_is_a_usage_error(capsys: pytest.CaptureFixture[str], token: str) -> None:
    assert main(["mock", "serve", "--port", "0", "--token", token]) == 2
    assert "--token is empty" in capsys.readouterr().err


def test_max_body_bytes_bounds_what_the_served_emulator_reads(clis: list[Cli]) -> None:
    server = start(clis, "mock", "serve", "--port", "0", "--json", "--max-body-bytes", "5000")
    document = json.loads("\n".join(server.stdout_until("}")))
    with httpx.Client(base_url=document["base_url"], trust_env=False) as http:
        answer = http.post(
            "/kickoff",
            json={"inputs": {"topic": "x" * 10_000, "target_audience": "devs", "depth": "short"}},
            headers={"Authorization": f"Bearer {document['token']}"},
        )
    assert answer.status_code == 413
    assert server.stop(signal.SIGTERM) == 0
