"""`crewai-amp status`, `wait` and `kickoff --wait` (and --json) against a crew answering in the
observed dialect and with the human-review pause of either dialect: the same results and exit
codes as the spec dialect, a paused run announced once with the exact resume command, and NOT
FOUND reported at once. The client behind the CLI runs on an httpx.MockTransport and a fake clock."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from crewai_amp.cli import _commands, main
from support.client import COMPLETED, KICKOFF_ID, RUNNING, Script, json_response, sync_client
from support.observed import OBSERVED_PAUSE, SPEC_PAUSE, observed

BASE_FLAG = "http://127.0.0.1:8765"


@pytest.fixture
def crew(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Script the crew's answers: crew(*responses) makes the CLI's client replay them."""

    def answer(*answers: Any) -> Script:
        script = Script(*answers)
        monkeypatch.setattr(_commands, "connect", lambda args, out: sync_client(script))
        return script

    return answer


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def kickoff_then(*statuses: dict[str, Any]) -> Any:
    """A crew that accepts a kickoff, then answers the status checks in order (the last repeats)."""
    answers = iter(statuses)
    last: list[dict[str, Any]] = [statuses[-1]]

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/kickoff":
            return json_response({"kickoff_id": KICKOFF_ID})
        last[0] = next(answers, last[0])
        return json_response(last[0])

    return handle


# --- status ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [observed("SUCCESS", "The report."), observed("success", "The report.")])
def test_status_of_an_observed_success_shows_completed_and_the_text(
    capsys: pytest.CaptureFixture[str], crew: Any, body: dict[str, Any]
) -> None:
    crew(json_response(body))
    code, out, _ = run(capsys, "status", KICKOFF_ID)
    assert code == 0
    assert out.splitlines() == ["completed", "The report."]


def test_status_json_of_an_observed_success_is_the_completed_document(
    capsys: pytest.CaptureFixture[str], crew: Any
) -> None:
    crew(json_response(observed("SUCCESS", "The report.", {"task": "Write"})))
    code, out, _ = run(capsys, "status", KICKOFF_ID, "--json")
    assert code == 0
    document = json.loads(out)
    assert document["kickoff_id"] == KICKOFF_ID
    assert document["status"] == "completed"
    assert document["result"] == {"output": "The report.", "output_json": None}
    assert document["state"] == "SUCCESS" and document["last_step"] == {"task": "Write"}


@pytest.mark.parametrize("state", ["FAILED", "Failure", "REVOKED"])
def test_status_of_an_observed_failure_exits_1(
    capsys: pytest.CaptureFixture[str], crew: Any, state: str
) -> None:
    crew(json_response(observed(state, "Tool timeout")))
    code, out, _ = run(capsys, "status", KICKOFF_ID)
    assert code == 1
    assert out.strip() == "ended in error: Tool timeout"


@pytest.mark.parametrize("state", ["RUNNING", "pending", "Started"])
def test_status_of_an_observed_running_run(capsys: pytest.CaptureFixture[str], crew: Any, state: str) -> None:
    crew(json_response(observed(state, None, {"task": "Research AI"})))
    code, out, _ = run(capsys, "status", KICKOFF_ID)
    assert (code, out.strip()) == (0, "running: Research AI")


@pytest.mark.parametrize(
    ("body", "task"),
    [(OBSERVED_PAUSE, "t-2"), (SPEC_PAUSE, "t-2"), (observed("Pending Human Input"), None)],
    ids=["observed", "spec", "observed-no-task"],
)
def test_status_of_a_paused_run_says_so_and_prints_the_resume_command(
    capsys: pytest.CaptureFixture[str], crew: Any, body: dict[str, Any], task: str | None
) -> None:
    crew(json_response(body))
    code, out, err = run(capsys, "status", KICKOFF_ID, "--base-url", BASE_FLAG)
    assert code == 0
    assert out.startswith("waiting for human input")
    assert "running" not in out
    expected = f'crewai-amp resume {KICKOFF_ID} --task {task or "TASK_ID"} --feedback "..." --approve --base-url {BASE_FLAG}'
    assert err.count(expected) == 1, err


def test_status_json_of_a_paused_run(capsys: pytest.CaptureFixture[str], crew: Any) -> None:
    crew(json_response(OBSERVED_PAUSE))
    code, out, err = run(capsys, "status", KICKOFF_ID, "--json")
    assert code == 0
    document = json.loads(out)
    assert (document["status"], document["task_id"]) == ("pending_human_input", "t-2")
    notice = json.loads(err)
    assert notice["notice"] == "waiting for human input"
    assert notice["task_id"] == "t-2"
    assert notice["resume"].startswith(f"crewai-amp resume {KICKOFF_ID} --task t-2 ")


@pytest.mark.parametrize("flag", [[], ["--json"]], ids=["text", "json"])
def test_status_not_found_is_an_api_error(
    capsys: pytest.CaptureFixture[str], crew: Any, flag: list[str]
) -> None:
    crew(json_response(observed("NOT FOUND")))
    code, _, err = run(capsys, "status", KICKOFF_ID, *flag)
    assert code == 3
    assert "NOT FOUND" in err and KICKOFF_ID in err
    if flag:
        assert json.loads(err)["error"]["type"] == "RunNotFoundError"


# --- wait and kickoff --wait ----------------------------------------------------------------------


def test_wait_announces_a_pause_once_then_finishes(capsys: pytest.CaptureFixture[str], crew: Any) -> None:
    script = crew(
        json_response(observed("RUNNING", None, {"task": "Research"})),
        json_response(OBSERVED_PAUSE),
        json_response(OBSERVED_PAUSE),
        json_response(OBSERVED_PAUSE),
        json_response(observed("RUNNING", None, {"task": "Write"})),
        json_response(observed("SUCCESS", "All done.")),
    )
    code, out, err = run(capsys, "wait", KICKOFF_ID)
    assert code == 0
    assert len(script.requests) == 6
    lines = out.splitlines()
    assert sum("waiting for human input" in line for line in lines) == 1
    assert not any("running 2/4" in line for line in lines)
    assert err.count(f"crewai-amp resume {KICKOFF_ID} --task t-2 ") == 1
    assert lines[-1] == "All done."


def test_wait_announces_each_review_of_a_spec_dialect_run(
    capsys: pytest.CaptureFixture[str], crew: Any
) -> None:
    second = {**SPEC_PAUSE, "task_id": "t-3", "current_task": "Edit"}
    crew(*(json_response(b) for b in (RUNNING, SPEC_PAUSE, SPEC_PAUSE, RUNNING, second, COMPLETED)))
    code, out, err = run(capsys, "wait", KICKOFF_ID)
    assert code == 0
    assert "waiting for human input on Write the report (1/3 tasks done)" in out
    assert err.count("--task t-2 ") == 1 and err.count("--task t-3 ") == 1


def test_wait_not_found_fails_without_a_resume_waiting_hint(
    capsys: pytest.CaptureFixture[str], crew: Any
) -> None:
    script = crew(json_response(observed("NOT FOUND")))
    code, _, err = run(capsys, "wait", KICKOFF_ID, "--json", "--not-found-grace", "0")
    assert code == 3
    assert len(script.requests) == 1
    error = json.loads(err.splitlines()[-1])["error"]
    assert error["type"] == "RunNotFoundError"
    assert error["kickoff_id"] == KICKOFF_ID
    assert "keep waiting" not in err and "crewai-amp wait" not in err


def test_kickoff_wait_json_returns_the_observed_result(capsys: pytest.CaptureFixture[str], crew: Any) -> None:
    crew(kickoff_then(observed("PENDING"), observed("RUNNING"), observed("SUCCESS", "Report on AI.")))
    code, out, _ = run(capsys, "kickoff", "--input", "topic=AI", "--wait", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["kickoff_id"] == KICKOFF_ID
    assert document["status"] == "completed"
    assert document["result"]["output"] == "Report on AI."


def test_kickoff_wait_of_an_observed_failure_exits_1(capsys: pytest.CaptureFixture[str], crew: Any) -> None:
    crew(kickoff_then(observed("STARTED"), observed("FAILURE", "LLM quota exceeded")))
    code, out, err = run(capsys, "kickoff", "--input", "topic=AI", "--wait")
    assert code == 1
    assert "ended in error: LLM quota exceeded" in out
    assert "LLM quota exceeded" in err


def test_kickoff_wait_through_a_pause_in_json_mode(capsys: pytest.CaptureFixture[str], crew: Any) -> None:
    crew(kickoff_then(observed("RUNNING"), OBSERVED_PAUSE, OBSERVED_PAUSE, observed("SUCCESS", "ok")))
    code, out, err = run(capsys, "kickoff", "--input", "topic=AI", "--wait", "--json")
    assert code == 0
    assert json.loads(out)["result"]["output"] == "ok"
    kicked, *notices = [json.loads(line) for line in err.splitlines()]
    assert kicked["notice"] == "kicked off"
    assert [n["task_id"] for n in notices] == ["t-2"]


# --- the platform guide's body (crewAIInc/skills, references/api-contract.md) ----------------------


def platform(state: str, **fields: Any) -> dict[str, Any]:
    """A platform-guide status body: every documented field null unless given."""
    names = ("status", "result", "result_json", "usage_metrics", "progress", "last_event", "events")
    names += ("events_count", "events_by_type", "triggered_by", "execution_origin", "last_step")
    return {"state": state, **dict.fromkeys((*names, "last_executed_task", "flow_id", "source")), **fields}


@pytest.mark.parametrize(
    ("progress", "shown"),
    [
        (
            {"unit": "step", "completed": 3, "total": None, "remaining": None, "current": "draft"},
            "running: draft (3 steps done)",
        ),
        (
            {"unit": "task", "completed": 1, "total": 3, "remaining": 2, "current": "research"},
            "running: research (1/3 tasks done)",
        ),
        (None, "running"),
    ],
    ids=["flow", "crew", "old-deployment"],
)
def test_status_of_a_platform_run_shows_its_progress(
    capsys: pytest.CaptureFixture[str], crew: Any, progress: Any, shown: str
) -> None:
    crew(json_response(platform("RUNNING", status="Task is Running", progress=progress)))
    code, out, _ = run(capsys, "status", KICKOFF_ID)
    assert (code, out.strip()) == (0, shown)


@pytest.mark.parametrize(
    "result_json", [{"title": "AI"}, [1, 2], '{"title": "AI"}'], ids=["object", "array", "text"]
)
def test_status_json_of_a_platform_success_has_the_parsed_result_json(
    capsys: pytest.CaptureFixture[str], crew: Any, result_json: Any
) -> None:
    usage = {"total_tokens": 12, "prompt_tokens": None, "cost": 0.1}  # a null count, an unknown key
    crew(json_response(platform("SUCCESS", result="text", result_json=result_json, usage_metrics=usage)))
    code, out, _ = run(capsys, "status", KICKOFF_ID, "--json")
    document = json.loads(out)
    assert (code, document["status"], document["result"]["output"]) == (0, "completed", "text")
    assert document["result"]["output_json"] == (
        json.loads(result_json) if isinstance(result_json, str) else result_json
    )
    assert document["usage_metrics"] == usage and document["state"] == "SUCCESS"


def test_kickoff_wait_reads_a_platform_run_through_not_found_to_the_end(
    capsys: pytest.CaptureFixture[str], crew: Any
) -> None:
    not_found = observed("NOT FOUND", status="Task not found or Invalid kickoff id")
    crew(
        kickoff_then(
            not_found,
            platform("PENDING", status="Task is pending"),
            platform(
                "RUNNING", current_task=None, progress={"unit": "task", "completed": None, "total": None}
            ),
            platform("SUCCESS", result=None, result_json={"ok": True}, execution_time=None),
        )
    )
    code, out, _ = run(capsys, "kickoff", "--input", "topic=AI", "--wait", "--json")
    assert code == 0
    assert json.loads(out)["result"] == {"output": '{"ok": true}', "output_json": {"ok": True}}
