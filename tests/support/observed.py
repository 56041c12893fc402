"""Bodies in the observed dialect (what deployed AMP crews send), shared by the client and CLI
tests: status as {"state", "result", "last_step"}, inputs as a name -> type map."""

from __future__ import annotations

from typing import Any


def observed(state: Any, result: Any = None, last_step: Any = None, **extra: Any) -> dict[str, Any]:
    return {"state": state, "result": result, "last_step": last_step, **extra}


# The states public clients document, each in several spellings AMP (or a proxy) may use.
SUCCESS_STATES = ["SUCCESS", "success", "Success", " SUCCESS ", "COMPLETED", "completed"]
FAILED_STATES = ["FAILED", "failed", "FAILURE", "Failure", "REVOKED", "revoked", "ERROR", "error"]
RUNNING_STATES = ["PENDING", "pending", "STARTED", "Started", "RUNNING", "running", "QUEUED", "queued"]
NOT_FOUND_STATES = ["NOT FOUND", "not found", "Not Found", "NOT_FOUND", "not-found"]
# PAUSED (the platform guide) and "Pending Human Input" (CrewAI's HITL guide names the paused
# state so), in several spellings.
PAUSED_STATES = [
    "PAUSED",
    "paused",
    "Paused",
    "PENDING HUMAN INPUT",
    "Pending Human Input",
    "pending_human_input",
]
# States no public source documents: kept as StatusUnknown, and polled through.
UNKNOWN_STATES = [
    "CANCELLING",
    "",
    "HUMAN INPUT RECEIVED",
    "AWAITING HUMAN INPUT",
    "Waiting for human feedback",
]

# What the emulator's observed dialect sends during a review pause, and the spec-dialect body.
OBSERVED_PAUSE = observed("PAUSED", None, {"task_id": "t-2"})
SPEC_PAUSE: dict[str, Any] = {
    "status": "pending_human_input",
    "task_id": "t-2",
    "current_task": "Write the report",
    "progress": {"completed_tasks": 1, "total_tasks": 3},
}
OBSERVED_INPUTS: dict[str, Any] = {"inputs": {"topic": "str", "target_audience": "str", "depth": "int"}}

# Bodies that fit neither dialect: each must be a ResponseValidationError.
JUNK_STATUS: list[Any] = [
    {"state": 3},
    {"state": None},
    {"state": ["SUCCESS"]},
    {"state": {"name": "SUCCESS"}},
    {"state": True},
    {"state": "SUCCESS", "result": 5},
    {"state": "SUCCESS", "result": ["a"]},
    {"state": "SUCCESS", "result": True},
    {"state": "RUNNING", "last_step": "a step"},
    {"state": "RUNNING", "last_step": 3},
    {"state": "FAILED", "last_step": [1]},
    {"result": "done"},
    {},
    ["SUCCESS"],
    "SUCCESS",
]
JUNK_INPUTS: list[Any] = [
    {"inputs": "topic"},
    {"inputs": 3},
    {"inputs": None},
    {"names": ["topic"]},
]
# What a crew says of each input is its own business (a type name today, maybe a description
# later): only the names are read, so any value is accepted.
OTHER_INPUT_VALUES: list[Any] = [1, None, {"type": "str", "required": True}, ["str"]]
