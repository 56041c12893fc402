"""The pipeline, run as a maintainer runs it: `python -m generator ...` in a subprocess.

Bad specs fail with the file and location in the message and leave the output untouched;
regeneration is deterministic; overlays apply. The specs broken here are the frozen fixture
(tests/fixtures/specs/v1), never specs/: only the drift check reads the live specs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.specs import REPO, V1, copy_specs
from support.specs import V1_EVENTS as EVENTS_SPEC
from support.specs import V1_REST as REST_SPEC

GENERATED = REPO / "generated"


def run_generator(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def v1_generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The frozen fixture specs, generated once."""
    out = tmp_path_factory.mktemp("v1") / "generated"
    result = run_generator("generate", "--specs", V1, "--output", out)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def workspace(tmp_path: Path, v1_generated: Path) -> Path:
    """A copy of the fixture specs (with their overlays/) and of their generated tree to break things in."""
    copy_specs(V1, tmp_path / "specs")
    shutil.copytree(v1_generated, tmp_path / "generated", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _edit_yaml(path: Path, edit: object) -> None:
    data = yaml.safe_load(path.read_text("utf-8"))
    edit(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")


def _dangling_rest_ref(data: dict) -> None:  # type: ignore[type-arg]
    schema = data["components"]["schemas"]["StatusCompleted"]["properties"]["result"]["properties"]["tasks"]
    schema["items"]["$ref"] = "#/components/schemas/TaskResultz"


def _dangling_events_ref(data: dict) -> None:  # type: ignore[type-arg]
    data["components"]["messages"]["StepEvent"]["payload"]["$ref"] = "#/components/schemas/NoSuchPayload"


def _wrong_type_rest(data: dict) -> None:  # type: ignore[type-arg]
    data["components"]["schemas"]["InputsResponse"]["type"] = 42


def _wrong_type_events(data: dict) -> None:  # type: ignore[type-arg]
    data["components"]["schemas"]["TaskCompletedPayload"]["required"] = "kickoff_id"


def _tag_without_name(data: dict) -> None:  # type: ignore[type-arg]
    del data["tags"][0]["name"]  # openapi-spec-validator itself crashed with a KeyError


def _message_without_payload(data: dict) -> None:  # type: ignore[type-arg]
    del data["components"]["messages"]["CrewCompleted"]["payload"]


def _multi_format_payload(data: dict) -> None:  # type: ignore[type-arg]
    message = data["components"]["messages"]["CrewCompleted"]
    message["payload"] = {
        "schemaFormat": "application/schema+json;version=draft-07",
        "schema": message["payload"],
    }


@pytest.mark.parametrize(
    ("spec", "edit", "expected"),
    [
        pytest.param(
            REST_SPEC.name, _tag_without_name, "at /tags/0: 'name' is a required", id="rest-tag-no-name"
        ),
        # Both generated `CrewCompletedPayload(RootModel[Any])` without a word: an untyped event.
        pytest.param(
            EVENTS_SPEC.name,
            _message_without_payload,
            "/components/messages/CrewCompleted: message has no payload",
            id="events-message-without-payload",
        ),
        pytest.param(
            EVENTS_SPEC.name,
            _multi_format_payload,
            "/components/messages/CrewCompleted/payload/schemaFormat",
            id="events-multi-format-payload",
        ),
        pytest.param(REST_SPEC.name, _dangling_rest_ref, "TaskResultz", id="rest-dangling-ref"),
        pytest.param(EVENTS_SPEC.name, _dangling_events_ref, "NoSuchPayload", id="events-dangling-ref"),
        pytest.param(
            REST_SPEC.name, _wrong_type_rest, "/components/schemas/InputsResponse", id="rest-wrong-type"
        ),
        pytest.param(
            EVENTS_SPEC.name,
            _wrong_type_events,
            "/components/schemas/TaskCompletedPayload",
            id="events-wrong-type",
        ),
    ],
)
def test_a_bad_spec_fails_naming_file_and_location_and_leaves_output_untouched(
    workspace: Path, spec: str, edit: object, expected: str
) -> None:
    _edit_yaml(workspace / "specs" / spec, edit)
    before = snapshot(workspace / "generated")
    result = run_generator("generate", "--specs", workspace / "specs", "--output", workspace / "generated")
    assert result.returncode != 0
    assert spec in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(workspace / "generated") == before


def test_a_message_defined_inline_in_a_channel_gets_a_model_too(tmp_path: Path, workspace: Path) -> None:
    def add_inline_message(data: dict) -> None:  # type: ignore[type-arg]
        data["channels"]["crewEvents"]["messages"]["crewStarted"] = {
            "name": "CrewStarted",
            "payload": {"type": "object", "properties": {"kickoff_id": {"type": "string"}}},
        }

    _edit_yaml(workspace / "specs" / EVENTS_SPEC.name, add_inline_message)
    out = tmp_path / "out"
    result = run_generator("generate", "--specs", workspace / "specs", "--output", out)
    assert result.returncode == 0, result.stderr
    models = (out / "crewai_amp_events" / "models.py").read_text("utf-8")
    assert "class CrewStartedPayload(BaseModel):" in models  # it was silently left out
    assert "class CrewCompletedPayload(BaseModel):" in models


def test_component_references_and_nullable_unions_in_payloads_make_typed_importable_models(
    tmp_path: Path, workspace: Path
) -> None:
    def add_shapes(data: dict) -> None:  # type: ignore[type-arg]
        schemas = data["components"]["schemas"]
        schemas["Cost"] = {
            "type": "object",
            "required": ["amount"],
            "properties": {"amount": {"type": "number"}},
        }
        schemas["Started"] = {"type": "object", "properties": {"at": {"type": "string"}}}
        schemas["TaskCompletedPayload"]["properties"].update(
            {
                "cost": {"$ref": "#/components/schemas/Cost"},
                "maybe_cost": {"anyOf": [{"$ref": "#/components/schemas/Cost"}, {"type": "null"}]},
                "seen": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
            }
        )
        data["channels"]["crewEvents"]["messages"]["either"] = {
            "name": "Either",
            "payload": {
                "oneOf": [{"$ref": "#/components/schemas/Cost"}, {"$ref": "#/components/schemas/Started"}]
            },
        }

    _edit_yaml(workspace / "specs" / EVENTS_SPEC.name, add_shapes)
    out = tmp_path / "out"
    result = run_generator("generate", "--specs", workspace / "specs", "--output", out)
    assert result.returncode == 0, result.stderr
    models = (out / "crewai_amp_events" / "models.py").read_text("utf-8")
    assert "RootModel[Any]" not in models  # a reference the payloads' JSON Schema did not hold
    assert "class Cost(BaseModel):" in models and "class Started(BaseModel):" in models
    code = (
        "import crewai_amp_events as m\n"
        "p = m.TaskCompletedPayload.model_validate({'kickoff_id': 'k', 'task_id': 't', 'status': 'completed',"
        " 'cost': {'amount': 1}, 'maybe_cost': None, 'seen': '2026-01-01T00:00:00Z'})\n"
        "assert type(p.cost) is m.Cost and p.maybe_cost is None and p.seen.year == 2026\n"
        "assert type(m.EitherPayload.model_validate({'amount': 2}).root) is m.Cost\n"
    )
    imported = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(out)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr


def test_a_nullable_reference_to_a_component_without_a_type_makes_an_importable_optional(
    tmp_path: Path, workspace: Path
) -> None:
    # As an "X or null" union the field got Field(union_mode="left_to_right"), which pydantic
    # refuses on an optional enum or model: the event models did not import.
    def add_typeless(data: dict) -> None:  # type: ignore[type-arg]
        schemas = data["components"]["schemas"]
        schemas["Kind"] = {"enum": ["x", "y"]}
        schemas["Level"] = {"enum": [1, 2.5]}
        schemas["Both"] = {
            "allOf": [
                {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
                {"properties": {"b": {"type": "integer"}}},
            ]
        }
        schemas["Either"] = {
            "oneOf": [
                {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
                {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
            ]
        }
        schemas["Anything"] = {"description": "Says nothing about its type."}

        def nullable(name: str, key: str = "anyOf") -> dict:  # type: ignore[type-arg]
            return {key: [{"$ref": f"#/components/schemas/{name}"}, {"type": "null"}]}

        schemas["TaskCompletedPayload"]["properties"].update(
            {
                "kind": nullable("Kind", "oneOf"),
                "level": nullable("Level"),
                "both": nullable("Both"),
                "either": nullable("Either", "oneOf"),
                "anything": nullable("Anything"),
            }
        )
        schemas["TaskCompletedPayload"]["required"].append("kind")  # required, still nullable

    _edit_yaml(workspace / "specs" / EVENTS_SPEC.name, add_typeless)
    out = tmp_path / "out"
    result = run_generator("generate", "--specs", workspace / "specs", "--output", out)
    assert result.returncode == 0, result.stderr
    models = (out / "crewai_amp_events" / "models.py").read_text("utf-8")
    assert "    kind: Kind | None\n" in models and "    both: Both | None = None\n" in models
    code = (
        "import crewai_amp_events as m\n"
        "base = {'kickoff_id': 'k', 'task_id': 't', 'status': 'completed'}\n"
        "none = m.TaskCompletedPayload.model_validate({**base, 'kind': None, 'level': None, 'both': None,"
        " 'either': None, 'anything': None})\n"
        "assert none.kind is none.level is none.both is none.either is none.anything is None\n"
        "p = m.TaskCompletedPayload.model_validate({**base, 'kind': 'y', 'level': 2.5, 'both': {'a': 'q', 'b': 1},"
        " 'either': {'n': 3}, 'anything': [1]})\n"
        "assert p.kind is m.Kind.y and p.level is m.Level(2.5), (p.kind, p.level)\n"
        "assert type(p.both) is m.Both and p.both.a == 'q' and p.both.b == 1, p.both\n"
        "assert type(p.either) is m.Either and p.either.root.n == 3, p.either\n"
        "assert p.anything is not None\n"
        "import pydantic\n"
        "try:\n"
        "    m.TaskCompletedPayload.model_validate(base)\n"
        "except pydantic.ValidationError:\n"
        "    pass\n"
        "else:\n"
        "    raise AssertionError('kind is required')\n"
    )
    imported = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(out)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    # The shipped JSON Schema still says what each field takes: an object, the enum's types.
    schema = json.loads((out / "crewai_amp_events" / "events.schema.json").read_text("utf-8"))
    fields = schema["$defs"]["TaskCompletedPayload"]["properties"]
    assert fields["both"]["type"] == fields["either"]["type"] == ["object", "null"]
    assert fields["kind"]["type"] == ["string", "null"]
    assert fields["level"]["type"] == ["integer", "number", "null"]
    assert fields["kind"]["allOf"] == [{"$ref": "#/$defs/Kind"}]


def test_two_payloads_under_one_model_name_are_refused(tmp_path: Path, workspace: Path) -> None:
    def add_clash(data: dict) -> None:  # type: ignore[type-arg]
        data["channels"]["crewEvents"]["messages"]["one"] = {"name": "Extra", "payload": {"type": "object"}}
        data["channels"]["taskEvents"]["messages"]["two"] = {
            "name": "Extra",
            "payload": {"type": "object", "properties": {"n": {"type": "integer"}}},
        }

    _edit_yaml(workspace / "specs" / EVENTS_SPEC.name, add_clash)
    before = snapshot(workspace / "generated")
    result = run_generator("generate", "--specs", workspace / "specs", "--output", workspace / "generated")
    assert result.returncode != 0
    assert "ExtraPayload" in result.stderr and "'one'" in result.stderr and "'two'" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(workspace / "generated") == before


def test_a_component_named_like_an_inline_payloads_model_is_refused(tmp_path: Path, workspace: Path) -> None:
    # The inline message `cost` makes a model CostPayload; a field's $ref to the component
    # CostPayload silently got the message's payload instead of the component.
    def add_clash(data: dict) -> None:  # type: ignore[type-arg]
        data["channels"]["crewEvents"]["messages"]["cost"] = {
            "name": "Cost",
            "payload": {"type": "object", "properties": {"kickoff_id": {"type": "string"}}},
        }
        schemas = data["components"]["schemas"]
        schemas["CostPayload"] = {"type": "object", "properties": {"amount": {"type": "number"}}}
        schemas["TaskCompletedPayload"]["properties"]["cost"] = {"$ref": "#/components/schemas/CostPayload"}

    _edit_yaml(workspace / "specs" / EVENTS_SPEC.name, add_clash)
    before = snapshot(workspace / "generated")
    result = run_generator("generate", "--specs", workspace / "specs", "--output", workspace / "generated")
    assert result.returncode != 0
    assert "#/components/schemas/CostPayload" in result.stderr and "message 'cost'" in result.stderr
    assert "a model named CostPayload" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(workspace / "generated") == before


def test_a_field_may_refer_to_the_component_a_message_payload_refers_to(
    tmp_path: Path, workspace: Path
) -> None:
    def add_reference(data: dict) -> None:  # type: ignore[type-arg]
        data["components"]["schemas"]["CrewCompletedPayload"]["properties"]["last_task"] = {
            "$ref": "#/components/schemas/TaskCompletedPayload"
        }

    _edit_yaml(workspace / "specs" / EVENTS_SPEC.name, add_reference)
    out = tmp_path / "out"
    result = run_generator("generate", "--specs", workspace / "specs", "--output", out)
    assert result.returncode == 0, result.stderr
    models = (out / "crewai_amp_events" / "models.py").read_text("utf-8")
    assert "    last_task: TaskCompletedPayload | None = None\n" in models


@pytest.mark.parametrize(("source", "target"), [(REST_SPEC, EVENTS_SPEC), (EVENTS_SPEC, REST_SPEC)])
def test_a_spec_under_the_other_specs_name_is_refused(
    tmp_path: Path, workspace: Path, source: Path, target: Path
) -> None:
    # OpenAPI under the AsyncAPI name generated with exit 0 and no event models at all.
    shutil.copyfile(source, workspace / "specs" / target.name)
    before = snapshot(workspace / "generated")
    args = (
        "--specs",
        workspace / "specs",
        "--overlays",
        tmp_path / "none",
        "--output",
        workspace / "generated",
    )
    (tmp_path / "none").mkdir()
    result = run_generator("generate", *args)
    assert result.returncode == 1
    assert f"{target.name}:1 at /: expected the" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(workspace / "generated") == before


def test_a_duplicated_key_names_both_lines(workspace: Path) -> None:
    # PyYAML kept the second TaskResult and dropped the first without a word.
    path = workspace / "specs" / REST_SPEC.name
    lines = path.read_text("utf-8").splitlines()
    at = lines.index("    TaskResult:")
    lines[at:at] = ["    TaskResult:", "      type: object"]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    before = snapshot(workspace / "generated")
    result = run_generator("generate", "--specs", workspace / "specs", "--output", workspace / "generated")
    assert result.returncode == 1
    expected = f"{REST_SPEC.name}:{at + 3} at /components/schemas/TaskResult: duplicate key 'TaskResult'"
    assert expected in result.stderr and f"(first on line {at + 1})" in result.stderr
    assert snapshot(workspace / "generated") == before


def test_an_unquoted_date_is_a_string_and_an_unquoted_status_code_a_clear_error(
    tmp_path: Path, workspace: Path
) -> None:
    # Both were TypeError tracebacks: PyYAML reads `2024-01-01` as a date (JSON has none) and
    # `200:` as an int key (OpenAPI requires it quoted).
    path = workspace / "specs" / REST_SPEC.name
    text = path.read_text("utf-8")
    dated = text.replace(
        "    TaskResult:\n", "    TaskResult:\n      example: {task_id: t-1, day: 2024-01-01}\n", 1
    )
    path.write_text(dated, "utf-8")
    result = run_generator("generate", "--specs", workspace / "specs", "--output", tmp_path / "out")
    assert result.returncode == 0, result.stderr

    path.write_text(text.replace("'200':", "200:", 1), "utf-8")
    before = snapshot(workspace / "generated")
    result = run_generator("generate", "--specs", workspace / "specs", "--output", workspace / "generated")
    assert result.returncode == 1
    assert "/responses/200: key 200 is not a string; quote it ('200')" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(workspace / "generated") == before


def test_overlays_from_outside_the_repository(tmp_path: Path, workspace: Path) -> None:
    # `--overlays DIR` outside the repo generated everything, then failed writing MANIFEST.json.
    overlays = tmp_path / "overlays"
    shutil.copytree(workspace / "specs" / "overlays", overlays)
    before = (workspace / "generated" / "MANIFEST.json").read_bytes()
    args = ("--specs", workspace / "specs", "--overlays", overlays, "--output", workspace / "generated")
    result = run_generator("generate", *args)
    assert result.returncode == 0, result.stderr
    assert (workspace / "generated" / "MANIFEST.json").read_bytes() == before
    assert run_generator("generate", "--if-changed", *args).stdout.startswith("up to date:")


def test_an_overlay_patches_only_the_place_it_targets_even_through_yaml_aliases(
    tmp_path: Path, workspace: Path
) -> None:
    # With `kickoff_id: &kid` and `*kid`, the three kickoff_ids were one dict: the first action
    # of the shipped overlay removed all three formats and the second "selected nothing".
    path = workspace / "specs" / EVENTS_SPEC.name
    text = path.read_text("utf-8")
    kickoff_id = "        kickoff_id:\n          type: string\n          format: uuid\n"
    assert text.count(kickoff_id) == 3
    text = text.replace(kickoff_id, kickoff_id.replace("kickoff_id:", "kickoff_id: &kid"), 1)
    path.write_text(text.replace(kickoff_id, "        kickoff_id: *kid\n"), "utf-8")
    result = run_generator("generate", "--specs", workspace / "specs", "--output", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    schema = (tmp_path / "out" / "crewai_amp_events" / "events.schema.json").read_text("utf-8")
    assert '"uuid"' not in schema

    (tmp_path / "overlays").mkdir()
    (tmp_path / "overlays" / "one.overlay.yaml").write_text(
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nextends: crewai-amp-webhooks.asyncapi.yml\n"
        "actions:\n  - target: $..kickoff_id.format\n    remove: true\n",  # it raised KeyError: 'format'
        "utf-8",
    )
    args = ("--specs", workspace / "specs", "--overlays", tmp_path / "overlays", "--output", tmp_path / "two")
    result = run_generator("generate", *args)
    assert result.returncode == 0, result.stderr


def test_a_generator_failure_names_the_spec(workspace: Path) -> None:
    # openapi-python-client's message named only its temporary openapi.json.
    path = workspace / "specs" / REST_SPEC.name
    text = path.read_text("utf-8")
    body = text.index("requestBody:")
    at = text.index("application/json", body)
    path.write_text(text[:at] + "application/xml" + text[at + len("application/json") :], "utf-8")
    before = snapshot(workspace / "generated")
    result = run_generator("generate", "--specs", workspace / "specs", "--output", workspace / "generated")
    assert result.returncode == 1
    assert f"error: {path}: openapi-python-client failed:" in result.stderr
    assert "application/xml" in result.stderr
    assert snapshot(workspace / "generated") == before


def test_invalid_yaml_names_the_line(workspace: Path) -> None:
    path = workspace / "specs" / REST_SPEC.name
    lines = path.read_text("utf-8").splitlines()
    at = lines.index(next(line for line in lines if line.startswith("  title:")))
    lines[at] = "  title: [unclosed"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    before = snapshot(workspace / "generated")
    result = run_generator("generate", "--specs", workspace / "specs", "--output", workspace / "generated")
    assert result.returncode != 0
    assert f"{REST_SPEC.name}:" in result.stderr
    assert "invalid YAML" in result.stderr
    assert snapshot(workspace / "generated") == before


def test_an_overlay_whose_target_vanished_fails_clearly(tmp_path: Path, workspace: Path) -> None:
    overlays = tmp_path / "overlays"
    overlays.mkdir()
    (overlays / "stale.overlay.yaml").write_text(
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nextends: crewai-amp-rest-api.openapi.yml\n"
        "actions:\n  - target: $.components.schemas.Gone.properties.x\n    remove: true\n",
        "utf-8",
    )
    before = snapshot(workspace / "generated")
    result = run_generator(
        "generate",
        "--specs",
        workspace / "specs",
        "--overlays",
        overlays,
        "--output",
        workspace / "generated",
    )
    assert result.returncode != 0
    assert "stale.overlay.yaml" in result.stderr
    assert "selects nothing" in result.stderr
    assert snapshot(workspace / "generated") == before


def test_validate_applies_the_overlays_as_generate_does(tmp_path: Path) -> None:
    # `validate` said "specs and overlays are valid" for an overlay that `generate` then refused.
    overlays = tmp_path / "overlays"
    overlays.mkdir()
    stale = overlays / "stale.overlay.yaml"
    head = "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nextends: crewai-amp-rest-api.openapi.yml\n"
    for target, expected in [
        ("$.components.schemas.Gone.properties.x", "selects nothing"),
        ("$[[[", "invalid JSONPath"),
    ]:
        stale.write_text(head + f"actions:\n  - target: '{target}'\n    remove: true\n", "utf-8")
        result = run_generator("validate", "--overlays", overlays)
        assert result.returncode == 1, result.stdout
        assert "stale.overlay.yaml" in result.stderr and expected in result.stderr
        assert "Traceback" not in result.stderr
    assert run_generator("validate").returncode == 0


@pytest.mark.parametrize(
    "action",
    [
        "{target: '$..required[*]', remove: true}",  # `required: true` of a parameter, wrapped in a list
        "{target: '$.info.title[0]', update: X}",  # a character of a string
        "{target: '$.info.title.`len`', update: 3}",  # a computed value (it replaced the whole spec)
    ],
)
def test_an_overlay_target_that_is_not_a_node_fails_clearly(
    tmp_path: Path, workspace: Path, action: str
) -> None:
    overlays = tmp_path / "overlays"
    overlays.mkdir()
    (overlays / "odd.overlay.yaml").write_text(
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nextends: crewai-amp-rest-api.openapi.yml\n"
        f"actions:\n  - {action}\n",
        "utf-8",
    )
    before = snapshot(workspace / "generated")
    args = ("--specs", workspace / "specs", "--overlays", overlays, "--output", workspace / "generated")
    result = run_generator("generate", *args)
    assert result.returncode == 1
    assert "odd.overlay.yaml" in result.stderr and "/actions/0/target" in result.stderr
    assert "which is not a node of crewai-amp-rest-api.openapi.yml" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(workspace / "generated") == before


def test_a_missing_overlays_directory_is_an_error_not_no_overlays(tmp_path: Path) -> None:
    # It generated without the spec overlays (kickoff_id back to a UUID), exit 0.
    result = run_generator("generate", "--overlays", tmp_path / "nope", "--output", tmp_path / "out")
    assert result.returncode == 1
    assert f"{tmp_path / 'nope'}: no such overlays directory" in result.stderr
    assert not (tmp_path / "out").exists()


def test_if_changed_ignores_byte_code_caches(workspace: Path) -> None:
    # Importing generated/ from source leaves __pycache__/ there; it regenerated every time.
    cache = workspace / "generated" / "crewai_amp_api" / "__pycache__"
    cache.mkdir()
    (cache / "client.cpython-311.pyc").write_bytes(b"\x00")
    result = run_generator(
        "generate", "--if-changed", "--specs", workspace / "specs", "--output", workspace / "generated"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("up to date:"), result.stdout


@pytest.mark.parametrize("kind", ["directory", "file"])
def test_generate_never_replaces_an_output_that_is_not_a_generated_tree(tmp_path: Path, kind: str) -> None:
    # `--output DIR` replaced whatever DIR was (a file, a directory of someone's work) with generated/.
    out = tmp_path / "out"
    if kind == "directory":
        out.mkdir()
        (out / "notes.txt").write_text("precious", "utf-8")
    else:
        out.write_text("precious", "utf-8")
    before = snapshot(tmp_path)
    result = run_generator("generate", "--output", out)
    assert result.returncode == 1
    assert f"{out}: exists and is not a generated tree" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before


def test_regeneration_is_deterministic_and_matches_the_committed_tree(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    assert run_generator("generate", "--output", first).returncode == 0
    assert run_generator("generate", "--output", second).returncode == 0
    assert snapshot(first) == snapshot(second)
    committed = {k: v for k, v in snapshot(GENERATED).items() if "__pycache__" not in k}
    assert snapshot(first) == committed


def test_if_changed_skips_when_the_manifest_matches(workspace: Path) -> None:
    result = run_generator(
        "generate", "--specs", workspace / "specs", "--output", workspace / "generated", "--if-changed"
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_every_generated_python_file_names_its_spec_and_hash() -> None:
    manifest = (GENERATED / "MANIFEST.json").read_text("utf-8")
    for path in GENERATED.rglob("*.py"):
        head = path.read_text("utf-8").splitlines()[:2]
        assert head[0].startswith("# Generated from specs/crewai-amp-"), path
        assert "sha256" in head[0] and "Do not edit" in head[1], path
        spec_hash = head[0].split("sha256 ")[1][:16]
        assert spec_hash in manifest
