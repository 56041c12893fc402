"""Every operation of the live REST spec works through the *generated* client (crewai_amp_api),
sync and async, against an in-process transport answering with the spec's own examples.

Nothing here names an operation, a model or an example: all of it is read from specs/, so an
operation, variant or example AMP adds is exercised with no edit to this file.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import crewai_amp_api.models
import httpx
import pytest
from crewai_amp_api import AuthenticatedClient
from support.paths import REST_SPEC, load_yaml

REST = load_yaml(REST_SPEC)
BASE = "https://my-crew.crewai.test"
TOKEN = "test-token"
PATH_VALUE = "abcd1234-5678"
METHODS = ("get", "put", "post", "delete", "patch")


def _snake(name: str) -> str:
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name))
    return re.sub(r"[^0-9a-zA-Z]+", "_", words).strip("_").lower()


def _ref(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _models_for(schema: dict[str, Any], value: Any) -> set[str]:
    """The generated model names an example may parse to: the schema's own, or for a union the
    member its discriminator (or any member) names."""
    name = _ref(schema)
    target = REST["components"]["schemas"].get(name, {}) if name else schema
    members = [_ref(m) for m in target.get("oneOf", []) + target.get("anyOf", [])]
    if not members:
        return {name} if name else set()
    discriminator = target.get("discriminator", {})
    mapping = discriminator.get("mapping", {})
    if isinstance(value, dict) and value.get(discriminator.get("propertyName")) in mapping:
        return {mapping[value[discriminator["propertyName"]]].rsplit("/", 1)[-1]}
    return {m for m in members if m}


@dataclass
class Case:
    method: str
    path: str
    module: ModuleType
    params: dict[str, Any]
    request: Any  # a request example, or None
    request_model: str | None
    response: Any  # a 200 response example
    models: set[str]


def _cases() -> list[Case]:
    cases = []
    for path, item in REST["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            tag = (op.get("tags") or ["default"])[0]
            module = importlib.import_module(f"crewai_amp_api.api.{_snake(tag)}.{_snake(op['operationId'])}")
            params = {
                _snake(p["name"]): PATH_VALUE for p in op.get("parameters", []) if p.get("in") == "path"
            }
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            requests = [e["value"] for e in body.get("examples", {}).values()] or [None]
            answer = op.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
            for example in answer.get("examples", {}).values():
                cases.extend(
                    Case(
                        method.upper(),
                        path,
                        module,
                        params,
                        request,
                        _ref(body.get("schema", {})),
                        example["value"],
                        _models_for(answer["schema"], example["value"]),
                    )
                    for request in requests
                )
    return cases


CASE_LIST = _cases()
CASES = [pytest.param(case, id=f"{case.method} {case.path} #{i}") for i, case in enumerate(CASE_LIST)]


def test_the_spec_has_operations_with_examples_to_call() -> None:
    # A guard: without examples the parametrized tests below would silently vanish.
    assert CASE_LIST
    assert {case.models != set() for case in CASE_LIST} == {True}


class Recorder:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=self.answer)


def _client(handler: Recorder, *, asynchronous: bool) -> AuthenticatedClient:
    client = AuthenticatedClient(base_url=BASE, token=TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    transport = httpx.MockTransport(handler)
    if asynchronous:
        client.set_async_httpx_client(httpx.AsyncClient(base_url=BASE, headers=headers, transport=transport))
    else:
        client.set_httpx_client(httpx.Client(base_url=BASE, headers=headers, transport=transport))
    return client


def _kwargs(case: Case) -> dict[str, Any]:
    kwargs = dict(case.params)
    if case.request is not None and case.request_model is not None:
        kwargs["body"] = getattr(crewai_amp_api.models, case.request_model).from_dict(case.request)
    return kwargs


def _check(case: Case, handler: Recorder, result: Any) -> None:
    sent = handler.requests[0]
    expected_path = re.sub(r"\{[^}]+\}", PATH_VALUE, case.path)
    assert (sent.method, sent.url.path) == (case.method, expected_path)
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    if case.request is not None:
        sent_body = json.loads(sent.content)
        if sent_body != case.request and case.request_model is not None:
            model = getattr(crewai_amp_api.models, case.request_model)
            assert model.from_dict(sent_body) == model.from_dict(case.request)
    assert type(result).__name__ in case.models, (type(result).__name__, case.models)
    # Equal as data; a formatted value may be re-spelt ("Z" -> "+00:00"), never lost.
    dumped = result.to_dict()
    assert dumped == case.response or type(result).from_dict(dumped) == type(result).from_dict(case.response)


@pytest.mark.parametrize("case", CASES)
def test_each_operation_sync(case: Case) -> None:
    handler = Recorder(case.response)
    result = case.module.sync(client=_client(handler, asynchronous=False), **_kwargs(case))
    _check(case, handler, result)


@pytest.mark.parametrize("case", CASES)
async def test_each_operation_async(case: Case) -> None:
    handler = Recorder(case.response)
    result = await case.module.asyncio(client=_client(handler, asynchronous=True), **_kwargs(case))
    _check(case, handler, result)
