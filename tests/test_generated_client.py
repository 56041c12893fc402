"""All four operations work through the *generated* client (crewai_amp_api), sync and async,
against an in-process transport answering with the spec's own examples."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from conftest import REST_SPEC, load_yaml
from crewai_amp_api import AuthenticatedClient
from crewai_amp_api.api.inputs import list_inputs
from crewai_amp_api.api.kickoff import kickoff_crew
from crewai_amp_api.api.resume import resume_kickoff
from crewai_amp_api.api.status import get_kickoff_status
from crewai_amp_api.models import (
    InputsResponse,
    KickoffRequest,
    KickoffResponse,
    ResumeRequest,
    ResumeResponse,
    StatusCompleted,
    StatusError,
    StatusRunning,
)

REST = load_yaml(REST_SPEC)
BASE = "https://my-crew.crewai.test"
TOKEN = "test-token"


def _example(path: str, method: str, name: str, status: str | None = None) -> Any:
    op = REST["paths"][path][method]
    if status is None:
        node = op["requestBody"]["content"]["application/json"]
    else:
        node = op["responses"][status]["content"]["application/json"]
    return node["examples"][name]["value"]


class Recorder:
    """A MockTransport handler answering each route with one spec example, recording requests."""

    def __init__(self, status_example: str = "completed") -> None:
        self.requests: list[httpx.Request] = []
        self.status_example = status_example

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = (request.method, request.url.path.split("/")[1])
        answers = {
            ("GET", "inputs"): _example("/inputs", "get", "research", "200"),
            ("POST", "kickoff"): _example("/kickoff", "post", "accepted", "200"),
            ("GET", "status"): _example("/status/{kickoff_id}", "get", self.status_example, "200"),
            ("POST", "resume"): _example("/resume", "post", "resumed", "200"),
        }
        return httpx.Response(200, json=answers[route])


def _client(handler: Recorder, *, asynchronous: bool = False) -> AuthenticatedClient:
    client = AuthenticatedClient(base_url=BASE, token=TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if asynchronous:
        client.set_async_httpx_client(
            httpx.AsyncClient(base_url=BASE, headers=headers, transport=httpx.MockTransport(handler))
        )
    else:
        client.set_httpx_client(
            httpx.Client(base_url=BASE, headers=headers, transport=httpx.MockTransport(handler))
        )
    return client


def test_list_inputs() -> None:
    handler = Recorder()
    result = list_inputs.sync(client=_client(handler))
    assert isinstance(result, InputsResponse)
    assert result.inputs == _example("/inputs", "get", "research", "200")["inputs"]
    assert handler.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("name", ["minimal", "webhooks"])
def test_kickoff_sends_the_spec_example_body(name: str) -> None:
    handler = Recorder()
    body = KickoffRequest.from_dict(_example("/kickoff", "post", name))
    result = kickoff_crew.sync(client=_client(handler), body=body)
    assert isinstance(result, KickoffResponse)
    sent = handler.requests[0]
    assert (sent.method, sent.url.path) == ("POST", "/kickoff")
    assert json.loads(sent.content) == _example("/kickoff", "post", name)


@pytest.mark.parametrize(
    ("name", "model"), [("running", StatusRunning), ("completed", StatusCompleted), ("error", StatusError)]
)
def test_status_parses_each_variant(name: str, model: type) -> None:
    handler = Recorder(status_example=name)
    kickoff_id = _example("/kickoff", "post", "accepted", "200")["kickoff_id"]
    result = get_kickoff_status.sync(kickoff_id, client=_client(handler))
    assert isinstance(result, model)
    assert handler.requests[0].url.path == f"/status/{kickoff_id}"


@pytest.mark.parametrize("name", ["approve", "retry"])
def test_resume(name: str) -> None:
    handler = Recorder()
    body = ResumeRequest.from_dict(_example("/resume", "post", name))
    result = resume_kickoff.sync(client=_client(handler), body=body)
    assert isinstance(result, ResumeResponse)
    assert json.loads(handler.requests[0].content) == _example("/resume", "post", name)


async def test_all_four_operations_async() -> None:
    handler = Recorder()
    client = _client(handler, asynchronous=True)
    inputs = await list_inputs.asyncio(client=client)
    kicked = await kickoff_crew.asyncio(
        client=client, body=KickoffRequest.from_dict(_example("/kickoff", "post", "minimal"))
    )
    assert isinstance(kicked, KickoffResponse)
    status = await get_kickoff_status.asyncio(kicked.kickoff_id, client=client)
    resumed = await resume_kickoff.asyncio(
        client=client, body=ResumeRequest.from_dict(_example("/resume", "post", "approve"))
    )
    assert isinstance(inputs, InputsResponse)
    assert isinstance(status, StatusCompleted)
    assert isinstance(resumed, ResumeResponse)
    assert [r.method for r in handler.requests] == ["GET", "POST", "GET", "POST"]
