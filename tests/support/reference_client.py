"""The reading and polling rules of AMP's reference client, reproduced for the tests as an oracle.

Source: crewAIInc/skills, skills/call-deployed-crew/references/python-client.md (the
``DeployedCrew`` client) and references/api-contract.md ("Client rules that cover both"). Not
its code: the same decisions, written here so the tests can hold the SDK (and the emulator)
to them.

- the state is ``state``, else ``status``, as text, trimmed and lower-cased; an empty or missing
  one is ``""``;
- success is ``success``/``completed``; failure ``failed``/``failure``/``error``/``revoked``
  (its reason: ``error``, else ``status``, else ``result``); ``paused`` waits for a human; a
  404 to a status check is ``not_found``, tolerated a few times (3) and then an error; anything
  else keeps polling until the deadline;
- the result is ``result_json`` when it is not null, else ``result.output`` when ``result`` is
  an object with an ``output``, else ``result``;
- a kickoff wraps the inputs in ``{"inputs": ...}`` with every non-string value sent as JSON
  text, after checking them against ``GET /inputs`` (a list of names; a name -> type map gives
  its names).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

SUCCESS = frozenset({"success", "completed"})
FAILURE = frozenset({"failed", "failure", "error", "revoked"})
PAUSED = frozenset({"paused"})
NOT_FOUND = "not_found"


class ReferenceClientError(Exception):
    def __init__(self, message: str, kickoff_id: str | None = None, payload: Any = None) -> None:
        super().__init__(message)
        self.kickoff_id = kickoff_id
        self.payload = payload


class RunFailed(ReferenceClientError):
    pass


class RunPaused(ReferenceClientError):
    pass


class RunTimeout(ReferenceClientError):
    pass


def state_of(payload: dict[str, Any]) -> str:
    value = payload.get("state") or payload.get("status") or ""
    return str(value).strip().lower()


def result_of(payload: dict[str, Any]) -> Any:
    if payload.get("result_json") is not None:
        return payload["result_json"]
    result = payload.get("result")
    if isinstance(result, dict) and "output" in result:
        return result["output"]
    return result


def failure_reason(payload: dict[str, Any]) -> Any:
    return payload.get("error") or payload.get("status") or payload.get("result")


class ReferenceClient:
    """The reference client's calls over httpx, its sleeps scaled by ``pace``."""

    def __init__(self, base_url: str, token: str, *, pace: float = 0.01, not_found_grace: int = 3) -> None:
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            trust_env=False,
        )
        self.pace = pace
        self.not_found_grace = not_found_grace

    def __enter__(self) -> ReferenceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def _json(self, response: httpx.Response, what: str, kickoff_id: str | None = None) -> Any:
        if response.status_code >= 400:
            raise ReferenceClientError(f"{what}: HTTP {response.status_code}", kickoff_id, response.text)
        return response.json()

    def inputs(self) -> list[str]:
        return list(self._json(self.http.get("/inputs"), "GET /inputs").get("inputs", []))

    def kickoff(self, inputs: dict[str, Any], required: list[str] | None = None, **top: Any) -> str:
        missing = [name for name in required or () if name not in inputs]
        if missing:
            raise ReferenceClientError(f"missing required inputs: {missing}")
        body = {"inputs": {k: v if isinstance(v, str) else json.dumps(v) for k, v in inputs.items()}, **top}
        kickoff_id: str = self._json(self.http.post("/kickoff", json=body), "POST /kickoff")["kickoff_id"]
        return kickoff_id

    def status(self, kickoff_id: str) -> dict[str, Any]:
        response = self.http.get(f"/status/{kickoff_id}")
        if response.status_code == 404:
            return {"state": NOT_FOUND}
        payload: dict[str, Any] = self._json(response, "GET /status", kickoff_id)
        return payload

    def wait(self, kickoff_id: str, *, polls: int = 2000) -> dict[str, Any]:
        not_found = 0
        for _ in range(polls):
            payload = self.status(kickoff_id)
            state = state_of(payload)
            if state in SUCCESS:
                return payload
            if state in FAILURE:
                raise RunFailed(
                    f"run {kickoff_id} ended {state}: {failure_reason(payload)}", kickoff_id, payload
                )
            if state in PAUSED:
                raise RunPaused(f"run {kickoff_id} is waiting for human feedback", kickoff_id, payload)
            if state == NOT_FOUND:
                not_found += 1
                if not_found > self.not_found_grace:
                    raise ReferenceClientError(f"kickoff_id {kickoff_id} not found", kickoff_id)
            time.sleep(self.pace)
        raise RunTimeout(f"run {kickoff_id} not finished after {polls} checks", kickoff_id)

    def run(self, inputs: dict[str, Any], **top: Any) -> Any:
        kickoff_id = self.kickoff(inputs, self.inputs(), **top)
        return result_of(self.wait(kickoff_id))
