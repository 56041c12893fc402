"""A spec update flows through by regeneration alone.

A copy of the frozen fixture specs (tests/fixtures/specs/v1, never specs/, so an upstream update
cannot collide with the additions) gains a new operation (POST /cancel/{kickoff_id}), a new status variant
(StatusPaused in the StatusResponse oneOf), new fields (TaskResult.token_usage,
TaskCompletedPayload.attempt) and a new enum value (step type "handoff"), each with examples.
`python -m generator generate` regenerates into a temporary directory, as a maintainer runs it,
and the new packages are checked in a subprocess that imports them from there: every example of
the new specs round-trips through the models, and every operation — the new one included — is
called through the generated client against httpx.MockTransport. No file is edited by hand.

Then the API diff on the same specs: this change is additive (exit 0, a minor bump); a removal is
breaking (exit 1 unless --allow-breaking); and the changelog entry it writes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.specs import REPO, V1, V1_OVERLAYS, load_yaml
from support.specs import V1_EVENTS as EVENTS_SPEC
from support.specs import V1_REST as REST_SPEC

if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from generator import release
from generator.release import apidiff


def evolve_rest(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    spec["info"]["version"] = "1.1"
    schemas = spec["components"]["schemas"]
    spec["paths"]["/cancel/{kickoff_id}"] = {
        "post": {
            "tags": ["Kickoff"],
            "operationId": "cancelKickoff",
            "summary": "Cancel a running kickoff",
            "parameters": [
                {"in": "path", "name": "kickoff_id", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {
                    "description": "Cancellation accepted.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/CancelResponse"},
                            "examples": {
                                "cancelled": {"value": {"status": "cancelled", "kickoff_id": "abcd1234-5678"}}
                            },
                        }
                    },
                },
                "404": {"$ref": "#/components/responses/NotFound"},
            },
        }
    }
    schemas["CancelResponse"] = {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string", "enum": ["cancelled"]}, "kickoff_id": {"type": "string"}},
    }
    schemas["StatusPaused"] = {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["paused"]},
            "task_id": {"type": "string", "description": "The task awaiting human feedback."},
        },
    }
    schemas["StatusResponse"]["oneOf"].append({"$ref": "#/components/schemas/StatusPaused"})
    schemas["StatusResponse"]["discriminator"]["mapping"]["paused"] = "#/components/schemas/StatusPaused"
    status_examples = spec["paths"]["/status/{kickoff_id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]
    status_examples["examples"]["paused"] = {"value": {"status": "paused", "task_id": "t-3"}}
    schemas["TaskResult"]["properties"]["token_usage"] = {"type": "integer", "minimum": 0}
    completed = status_examples["examples"]["completed"]["value"]
    completed["result"]["tasks"][0]["token_usage"] = 1234
    return spec


def evolve_events(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]
    schemas["TaskCompletedPayload"]["properties"]["attempt"] = {"type": "integer", "minimum": 1}
    schemas["StepEventPayload"]["properties"]["step"]["properties"]["type"]["enum"].append("handoff")
    messages = spec["components"]["messages"]
    messages["TaskCompleted"]["examples"] = [
        {
            "name": "retried",
            "payload": {"kickoff_id": "abcd1234-5678", "task_id": "t-1", "status": "completed", "attempt": 2},
        }
    ]
    messages["StepEvent"]["examples"] = [
        {
            "name": "handoff",
            "payload": {"kickoff_id": "abcd1234-5678", "step": {"type": "handoff", "content": "to QA"}},
        }
    ]
    return spec


def write_specs(target: Path, rest: dict[str, Any], events: dict[str, Any]) -> Path:
    shutil.copytree(V1_OVERLAYS, target / "overlays")
    (target / REST_SPEC.name).write_text(yaml.safe_dump(rest, sort_keys=False, allow_unicode=True), "utf-8")
    (target / EVENTS_SPEC.name).write_text(
        yaml.safe_dump(events, sort_keys=False, allow_unicode=True), "utf-8"
    )
    return target


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=600, env=env
    )


@pytest.fixture(scope="module")
def evolved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The modified specs, regenerated by `python -m generator generate` into a temp directory."""
    root = tmp_path_factory.mktemp("evolved")
    write_specs(root / "specs", evolve_rest(load_yaml(REST_SPEC)), evolve_events(load_yaml(EVENTS_SPEC)))
    result = run("-m", "generator", "generate", "--specs", root / "specs", "--output", root / "generated")
    assert result.returncode == 0, result.stdout + result.stderr
    return root


# Runs in a subprocess with only the temporary generated/ on PYTHONPATH (ahead of the installed
# wheel). Generic: it knows the new operation and variant only through the spec it reads.
CHECK_GENERATED = r"""
import importlib, json, pkgutil, re, sys
from pathlib import Path

import httpx
import yaml

specs, generated = Path(sys.argv[1]), Path(sys.argv[2])
import crewai_amp_api, crewai_amp_api.api, crewai_amp_api.models, crewai_amp_events
from crewai_amp_api import AuthenticatedClient
for module in (crewai_amp_api, crewai_amp_events):
    assert Path(module.__file__).is_relative_to(generated), module.__file__

REST = yaml.safe_load((specs / "crewai-amp-rest-api.openapi.yml").read_text("utf-8"))
EVENTS = yaml.safe_load((specs / "crewai-amp-webhooks.asyncapi.yml").read_text("utf-8"))

def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

operations = {}
for tag in pkgutil.iter_modules(crewai_amp_api.api.__path__):
    package = importlib.import_module(f"crewai_amp_api.api.{tag.name}")
    for op in pkgutil.iter_modules(package.__path__):
        operations[op.name] = importlib.import_module(f"{package.__name__}.{op.name}")

checked = {"requests": 0, "responses": [], "events": 0, "operations": []}
for path, item in REST["paths"].items():
    for method, op in item.items():
        module = operations[snake(op["operationId"])]
        kwargs = {}
        for param in op.get("parameters", []):
            kwargs[param["name"]] = "abcd1234-5678"
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            model = getattr(crewai_amp_api.models, body["schema"]["$ref"].rsplit("/", 1)[-1])
            for example in body["examples"].values():
                assert model.from_dict(example["value"]).to_dict() == example["value"]
                checked["requests"] += 1
            kwargs["body"] = model.from_dict(next(iter(body["examples"].values()))["value"])
        content = op["responses"]["200"]["content"]["application/json"]
        for name, example in content["examples"].items():
            seen = []
            def answer(request, value=example["value"]):
                seen.append(request)
                return httpx.Response(200, json=value)
            client = AuthenticatedClient(
                base_url="https://my-crew.crewai.test", token="t", httpx_args={"transport": httpx.MockTransport(answer)}
            )
            with client:
                response = module.sync_detailed(client=client, **kwargs)
            expected_path = path.replace("{kickoff_id}", "abcd1234-5678")
            assert (seen[0].method, seen[0].url.path) == (method.upper(), expected_path), seen[0]
            assert seen[0].headers["authorization"] == "Bearer t"
            assert response.status_code == 200
            assert response.parsed.to_dict() == example["value"], (op["operationId"], name, response.parsed)
            checked["responses"].append(f"{op['operationId']}:{name}:{type(response.parsed).__name__}")
        checked["operations"].append(op["operationId"])

for message in EVENTS["components"]["messages"].values():
    model = getattr(crewai_amp_events, message["payload"]["$ref"].rsplit("/", 1)[-1])
    for example in message.get("examples", []):
        parsed = model.model_validate(example["payload"])
        assert parsed.model_dump(by_alias=True, mode="json", exclude_unset=True) == example["payload"], parsed
        checked["events"] += 1

from crewai_amp_events import StepEventPayloadStepType, TaskCompletedPayload
checked["step_types"] = [member.value for member in StepEventPayloadStepType]
checked["task_completed_fields"] = sorted(TaskCompletedPayload.model_fields)
print(json.dumps(checked))
"""


def test_the_new_specs_regenerate_with_no_hand_edits(evolved: Path) -> None:
    generated = evolved / "generated"
    manifest = json.loads((generated / "MANIFEST.json").read_text("utf-8"))
    for spec in (REST_SPEC, EVENTS_SPEC):
        source = (evolved / "specs" / spec.name).read_bytes()
        assert manifest["specs"][f"specs/{spec.name}"] == hashlib.sha256(source).hexdigest()
    assert (generated / "crewai_amp_api" / "api" / "kickoff" / "cancel_kickoff.py").is_file()
    assert (generated / "crewai_amp_api" / "models" / "status_paused.py").is_file()
    assert (generated / "crewai_amp_api" / "models" / "cancel_response.py").is_file()
    # The committed generated/ is untouched by a regeneration elsewhere: it still records specs/.
    committed = json.loads((REPO / "generated" / "MANIFEST.json").read_text("utf-8"))
    for spec in (REST_SPEC, EVENTS_SPEC):
        live = hashlib.sha256((REPO / "specs" / spec.name).read_bytes()).hexdigest()
        assert committed["specs"][f"specs/{spec.name}"] == live


def test_the_regenerated_packages_pass_the_artifact_checks(evolved: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(evolved / "generated")
    result = run("-c", CHECK_GENERATED, evolved / "specs", evolved / "generated", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    checked = json.loads(result.stdout)
    assert "cancelKickoff" in checked["operations"]
    assert len(checked["operations"]) == 5
    assert "cancelKickoff:cancelled:CancelResponse" in checked["responses"]
    assert "getKickoffStatus:paused:StatusPaused" in checked["responses"]
    assert "getKickoffStatus:completed:StatusCompleted" in checked["responses"]  # with token_usage
    assert checked["requests"] >= 4
    assert checked["events"] == 2
    assert "handoff" in checked["step_types"]
    assert "attempt" in checked["task_completed_fields"]


def test_the_diff_of_this_update_is_additive_a_minor_bump(evolved: Path) -> None:
    result = run("-m", "generator.release", "diff", V1, evolved / "specs")
    assert result.returncode == 0, result.stdout + result.stderr
    report = result.stdout
    assert "### Breaking" not in report
    for expected in (
        "`REST POST /cancel/{kickoff_id}`: operation `cancelKickoff` added",
        "oneOf variant StatusPaused added",
        "discriminator value 'paused' added",
        "`REST model TaskResult.token_usage`: optional field `token_usage` added",
        "`Webhooks model TaskCompletedPayload.attempt`: optional field `attempt` added",
        "`Webhooks model StepEventPayload.step.type`: enum value 'handoff' added",
        "No breaking changes in crewai_amp_api or crewai_amp_events.",  # griffe ran on both sides
        "Implied bump: minor",
        # The hand-written client has no method for the new operation yet, and says so.
        "new operation `cancelKickoff` (POST /cancel/{kickoff_id}) has no method on AmpClient yet",
    ):
        assert expected in report, expected


def test_a_removal_is_breaking_and_fails_the_diff_unless_allowed(evolved: Path, tmp_path: Path) -> None:
    rest = load_yaml(evolved / "specs" / REST_SPEC.name)
    events = load_yaml(evolved / "specs" / EVENTS_SPEC.name)
    del rest["paths"]["/resume"]
    del rest["components"]["schemas"]["TaskResult"]["properties"]["agent"]
    events["components"]["schemas"]["CrewCompletedPayload"]["properties"]["status"]["enum"].remove("error")
    broken = write_specs(tmp_path / "specs", rest, events)

    result = run("-m", "generator.release", "diff", V1, broken, "--format", "text")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pass --allow-breaking" in result.stderr
    report = result.stdout
    assert "BREAKING  REST POST /resume: operation `resumeKickoff` removed" in report
    assert "BREAKING  REST model TaskResult.agent: field `agent` removed" in report
    assert "BREAKING  Webhooks model CrewCompletedPayload.status: enum value 'error' removed" in report
    # The generated Python API, compared by griffe, loses the same things.
    assert re.search(r"BREAKING  Python crewai_amp_api\.api\.resume\b", report)
    assert "BREAKING  Python crewai_amp_api.models.task_result.TaskResult.agent" in report
    assert "Implied bump: major" in report
    current = release.read_version()
    assert f"the next version is {apidiff.next_version(current, 'major')}" in report or current[0] != "0"

    allowed = run("-m", "generator.release", "diff", V1, broken, "--allow-breaking", "--no-python-api")
    assert allowed.returncode == 0, allowed.stderr
    assert "### Breaking (2)" in allowed.stdout  # REST: the operation and the field


def test_the_changelog_entry_and_the_version_bump(evolved: Path, tmp_path: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    shutil.copyfile(REPO / "CHANGELOG.md", changelog)
    version_file = tmp_path / "_version.py"
    shutil.copyfile(REPO / "overlays" / "crewai_amp" / "_version.py", version_file)
    current = release.read_version(version_file)
    result = run(
        "-m",
        "generator.release",
        "changelog",
        V1,
        evolved / "specs",
        "--bump",
        "--no-python-api",
        "--date",
        "2030-01-02",
        "--file",
        changelog,
        "--version-file",
        version_file,
    )
    assert result.returncode == 0, result.stderr
    new_version = apidiff.next_version(current, "minor")
    assert release.read_version(version_file) == new_version
    text = changelog.read_text("utf-8")
    heading = f"## [{new_version}] - 2030-01-02"
    assert heading in text
    assert text.index("## [Unreleased]") < text.index(heading) < text.index(f"## [{current}]")
    entry = text[text.index(heading) : text.index(f"## [{current}]")]
    assert "REST API 1.0 → 1.1" in entry
    assert "### Added" in entry and "operation `cancelKickoff` added" in entry
    assert "### Removed" not in entry

    again = run(
        "-m",
        "generator.release",
        "changelog",
        V1,
        evolved / "specs",
        "--version",
        new_version,
        "--no-python-api",
        "--file",
        changelog,
        "--version-file",
        version_file,
    )
    assert again.returncode == 2
    assert "already has a section" in again.stderr
    assert changelog.read_text("utf-8") == text
