"""Spec overlays by rule, and the overlap rule: in-process, on the live specs and overlays.

- The kickoff-id overlays are rules (JSONPath recursive descent and filters): every
  kickoff_id/execution_id a spec has or gains (a property at any depth, a parameter of any
  operation, a new message's field) stays an opaque string, and a rule that selects nothing
  does not fail generation: `nox -s diff` reports the overlay as stale.
- The status-nulls overlay is a rule narrowed to the status answer (`x-amp-within`) and to
  optional properties (`x-amp-optional-only`): a property, variant or referenced schema a later
  spec adds there accepts null; a required field, a request body or another answer does not.
- When upstream starts defining what an overlay patches, enums and properties unite and where
  they disagree the overlay wins, citing its source; the diff names each overlap.
"""

from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.paths import REPO, SPECS
from support.specs import EVENTS_NAME, REST_NAME

if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from generator import overlay, pipeline, specs
from generator.release import sides
from generator.release.report import render_markdown

OVERLAYS = overlay.load_overlays(SPECS / "overlays")
IDS = ("kickoff_id", "execution_id")


def spec_with(name: str, change: Any) -> specs.Spec:
    spec = specs.load(SPECS / name)
    change(spec.data)
    return spec


def formats_of_ids(node: Any, where: str = "") -> list[str]:
    """Every kickoff_id/execution_id property or parameter in a document that still has a format."""
    found = []
    if isinstance(node, dict):
        for name, schema in (node.get("properties") or {}).items():
            if name in IDS and isinstance(schema, dict) and "format" in schema:
                found.append(f"{where}/properties/{name}")
        if node.get("name") in IDS and isinstance(node.get("schema"), dict) and "format" in node["schema"]:
            found.append(f"{where} (parameter {node['name']})")
        for key, value in node.items():
            found += formats_of_ids(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += formats_of_ids(value, f"{where}/{index}")
    return found


def uuid_ids_everywhere(rest: dict[str, Any]) -> None:
    """Upstream adds kickoff ids in new places: a nested array item, a new operation's path,
    query and header parameters, a shared parameter, a nullable union."""
    schemas = rest["components"]["schemas"]
    uuid = {"type": "string", "format": "uuid"}
    schemas["RunList"] = {
        "type": "object",
        "properties": {
            "runs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"kickoff_id": dict(uuid), "note": {"type": "string"}},
                },
            },
            "execution_id": {"type": ["string", "null"], "format": "uuid"},
        },
    }
    rest.setdefault("components", {}).setdefault("parameters", {})["Execution"] = {
        "in": "query",
        "name": "execution_id",
        "schema": dict(uuid),
    }
    rest["paths"]["/runs/{kickoff_id}"] = {
        "parameters": [{"in": "header", "name": "execution_id", "schema": dict(uuid)}],
        "get": {
            "operationId": "listRuns",
            "parameters": [
                {"in": "path", "name": "kickoff_id", "required": True, "schema": dict(uuid)},
                {"$ref": "#/components/parameters/Execution"},
            ],
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunList"}}},
                }
            },
        },
    }


def a_message_with_a_uuid_kickoff_id(events: dict[str, Any]) -> None:
    events["components"]["schemas"]["CrewPausedPayload"] = {
        "type": "object",
        "required": ["kickoff_id"],
        "properties": {
            "kickoff_id": {"type": "string", "format": "uuid"},
            "detail": {
                "type": "object",
                "properties": {"execution_id": {"type": "string", "format": "uuid"}},
            },
        },
    }


def test_every_kickoff_id_today_and_in_new_places_is_an_opaque_string() -> None:
    rest = spec_with(REST_NAME, uuid_ids_everywhere)
    events = spec_with(EVENTS_NAME, a_message_with_a_uuid_kickoff_id)
    assert formats_of_ids(rest.data) and formats_of_ids(events.data)  # the raw specs do say uuid
    notes = overlay.Notes()
    assert formats_of_ids(overlay.apply_overlays(rest, OVERLAYS, notes)) == []
    assert formats_of_ids(overlay.apply_overlays(events, OVERLAYS, notes)) == []
    assert notes.stale_rules == []
    # Other uuids are left alone: the rule is about the kickoff id only.
    live = overlay.apply_overlays(specs.load(SPECS / REST_NAME), OVERLAYS)
    kickoff = live["components"]["schemas"]["KickoffRequest"]["properties"]
    assert kickoff["restoreFromStateId"]["format"] == "uuid"


def test_a_rule_that_selects_nothing_does_not_fail_and_is_reported_stale(tmp_path: Path) -> None:
    # Upstream fixed its spec: no id has a format any more.
    fixed = tmp_path / "specs"
    shutil.copytree(SPECS, fixed)
    for name in (REST_NAME, EVENTS_NAME):
        data = yaml.safe_load((fixed / name).read_text("utf-8"))
        strip_id_formats(data)
        (fixed / name).write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    notes = overlay.Notes()
    inputs = pipeline.load_inputs(fixed, fixed / "overlays")
    pipeline.overlaid(inputs, notes)  # no SpecError: a rule may select nothing
    rules = sorted(o.name for o in OVERLAYS if o.name.startswith("kickoff-id-not-uuid."))
    assert sorted(notes.stale_rules) == rules  # status-nulls still finds optional status fields
    report = sides.build_report(SPECS, fixed, python_api=False)
    text = render_markdown(report)
    for name in rules:
        assert f"spec overlay {name}: its rules select nothing any more" in text


def strip_id_formats(node: Any) -> None:
    if isinstance(node, dict):
        for name, schema in (node.get("properties") or {}).items():
            if name in IDS and isinstance(schema, dict):
                schema.pop("format", None)
        if node.get("name") in IDS and isinstance(node.get("schema"), dict):
            node["schema"].pop("format", None)
        for value in node.values():
            strip_id_formats(value)
    elif isinstance(node, list):
        for value in node:
            strip_id_formats(value)


def a_patched_overlay(tmp_path: Path, text: str) -> overlay.Overlay:
    path = tmp_path / "x.openapi.overlay.yaml"
    path.write_text(text, "utf-8")
    return overlay.load_overlay(path)


def test_a_patch_that_selects_nothing_still_fails(tmp_path: Path) -> None:
    patch = a_patched_overlay(
        tmp_path,
        f"overlay: 1.0.0\ninfo: {{title: t, version: '1'}}\nextends: {REST_NAME}\n"
        "actions:\n  - target: $.components.schemas.Gone.properties\n    remove: true\n",
    )
    with pytest.raises(specs.SpecError, match="selects nothing"):
        overlay.apply_overlays(specs.load(SPECS / REST_NAME), [patch])


def upstream_defines_webhooks_bearer_only(rest: dict[str, Any]) -> None:
    rest["components"]["schemas"]["KickoffRequest"]["properties"]["webhooks"] = {
        "type": "object",
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "secret": {"type": "string", "description": "upstream's own new field"},
            "authentication": {
                "type": "object",
                "required": ["strategy", "token"],
                "properties": {
                    "strategy": {"type": "string", "enum": ["bearer"]},
                    "token": {"type": "string"},
                },
            },
        },
    }


def overlaid_rest(change: Any) -> tuple[dict[str, Any], overlay.Notes]:
    notes = overlay.Notes()
    return overlay.apply_overlays(spec_with(REST_NAME, change), OVERLAYS, notes), notes


def validator(document: dict[str, Any], name: str) -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    )


def test_upstream_defining_what_an_overlay_adds_keeps_the_overlay_where_they_disagree() -> None:
    document, notes = overlaid_rest(upstream_defines_webhooks_bearer_only)
    kickoff = validator(document, "KickoffRequest")
    auth = {"url": "https://hooks.example.com/stream"}
    for credential in (
        {"strategy": "bearer", "token": "t"},
        {"strategy": "basic", "username": "u", "password": "p"},
    ):
        body = {"inputs": {}, "webhooks": {**auth, "authentication": credential}}
        assert kickoff.is_valid(body), list(kickoff.iter_errors(body))
    # Properties unite: upstream's new field is kept beside the overlay's.
    webhooks = overlay._resolve(
        document, document["components"]["schemas"]["KickoffRequest"]["properties"]["webhooks"]
    )
    assert {"secret", "url", "events", "realtime", "authentication"} <= set(webhooks["properties"])
    [overlap] = [o for o in notes.overlaps if o.overlay.startswith("kickoff-options")]
    text = overlap.describe()
    assert text.startswith(
        "spec overlay kickoff-options.openapi.overlay.yaml now overlaps upstream at"
        " /components/schemas/KickoffRequest/properties/webhooks"
    )
    assert "overlay wins" in text and overlap.source.startswith("https://docs.crewai.com/")


def test_enums_unite_and_an_identical_definition_says_the_overlay_can_go() -> None:
    def upstream_adds_the_pause_variant(rest: dict[str, Any]) -> None:
        live = overlay.apply_overlays(specs.load(SPECS / REST_NAME), OVERLAYS)
        schemas = rest["components"]["schemas"]
        schemas["StatusPendingHumanInput"] = copy.deepcopy(
            live["components"]["schemas"]["StatusPendingHumanInput"]
        )
        status = schemas["StatusPendingHumanInput"]["properties"]["status"]
        status["enum"] = ["paused", *status["enum"]]  # upstream has one more value
        union = schemas["StatusResponse"]
        union["oneOf"].append({"$ref": "#/components/schemas/StatusPendingHumanInput"})
        union["discriminator"]["mapping"]["pending_human_input"] = (
            "#/components/schemas/StatusPendingHumanInput"
        )

    document, notes = overlaid_rest(upstream_adds_the_pause_variant)
    schema = document["components"]["schemas"]["StatusPendingHumanInput"]["properties"]["status"]
    assert schema["enum"] == ["paused", "pending_human_input"]
    refs = [m["$ref"] for m in document["components"]["schemas"]["StatusResponse"]["oneOf"]]
    assert len(refs) == len(set(refs))  # not appended twice
    described = [o.describe() for o in notes.overlaps if o.overlay.startswith("observed-pending")]
    assert any("can be retired" in text for text in described), described
    assert any("/components/schemas/StatusPendingHumanInput" in text for text in described)


def test_nox_diff_names_each_overlap(tmp_path: Path) -> None:
    new = tmp_path / "specs"
    shutil.copytree(SPECS, new)
    data = yaml.safe_load((new / REST_NAME).read_text("utf-8"))
    upstream_defines_webhooks_bearer_only(data)
    (new / REST_NAME).write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    text = render_markdown(sides.build_report(SPECS, new, python_api=False))
    assert "## Spec overlays to review" in text
    assert (
        "spec overlay kickoff-options.openapi.overlay.yaml now overlaps upstream at"
        " /components/schemas/KickoffRequest/properties/webhooks" in text
    )


def test_nox_diff_reports_only_the_overlaps_a_new_spec_brings(tmp_path: Path) -> None:
    # The platform overlays patch definitions upstream already had when they were written
    # (a completed run's result.output made nullable): that is the overlay's job, not news.
    standing = {o.at for o in sides.overlay_notes(sides.load_side(SPECS, tmp_path / "work")).overlaps}
    assert standing, "the shipped overlays patch some upstream definitions"
    same = tmp_path / "specs"
    shutil.copytree(SPECS, same)
    assert "now overlaps upstream" not in render_markdown(sides.build_report(SPECS, same, python_api=False))


def status_fields_everywhere(rest: dict[str, Any]) -> None:
    """Upstream adds optional fields to status shapes: a number on a variant, a nested object
    on another, a field of a new schema a variant reaches through $ref, a new
    variant with a required field; and an optional field on a request body and on another answer."""
    schemas = rest["components"]["schemas"]
    schemas["StatusRunning"]["properties"]["eta"] = {"type": "number"}
    schemas["StatusError"]["properties"]["retry"] = {
        "type": "object",
        "required": ["after"],
        "properties": {"after": {"type": "integer"}, "reason": {"type": "string"}},
    }
    schemas["Cost"] = {"type": "object", "properties": {"usd": {"type": "number"}}}
    schemas["TaskResult"]["properties"]["cost"] = {"$ref": "#/components/schemas/Cost"}
    schemas["StatusQueued"] = {
        "type": "object",
        "required": ["status", "position"],
        "properties": {
            "status": {"type": "string", "enum": ["queued"]},
            "position": {"type": "integer"},
            "since": {"type": "string", "format": "date-time"},
        },
    }
    schemas["StatusResponse"]["oneOf"].append({"$ref": "#/components/schemas/StatusQueued"})
    schemas["StatusResponse"]["discriminator"]["mapping"]["queued"] = "#/components/schemas/StatusQueued"
    schemas["KickoffRequest"]["properties"]["priority"] = {"type": "integer"}
    schemas["ResumeResponse"]["properties"]["note"] = {"type": "string"}


def test_every_optional_status_field_a_spec_adds_accepts_null() -> None:
    document, notes = overlaid_rest(status_fields_everywhere)
    schemas = document["components"]["schemas"]
    accepts_null = [
        ("StatusRunning", "eta"),
        ("StatusError", "retry"),
        ("Cost", "usd"),
        ("StatusQueued", "since"),
    ]
    for name, field in accepts_null:
        check = validator(document, name)
        base = {"status": "queued", "position": 1} if name == "StatusQueued" else {}
        if name.startswith("Status") and name != "StatusQueued":
            base = {"status": schemas[name]["properties"]["status"]["enum"][0]}
        assert check.is_valid({**base, field: None}), (name, field, schemas[name]["properties"][field])
    # Nested: an optional field of the new object accepts null, its required one keeps its type.
    retry = schemas["StatusError"]["properties"]["retry"]["properties"]
    assert "null" in retry["reason"]["type"] and retry["after"]["type"] == "integer"
    # Required fields stay as they are: the discriminator and a new variant's own.
    assert schemas["StatusQueued"]["properties"]["status"] == {"type": "string", "enum": ["queued"]}
    assert schemas["StatusQueued"]["properties"]["position"] == {"type": "integer"}
    for variant in ("StatusRunning", "StatusCompleted", "StatusError", "StatusPendingHumanInput"):
        assert schemas[variant]["properties"]["status"]["type"] == "string"
    assert schemas["ObservedStatus"]["properties"]["state"] == {
        "type": "string",
        "description": "The run's state, e.g. SUCCESS.",
    }
    # Outside the status answer nothing changes: a request body, another answer.
    assert schemas["KickoffRequest"]["properties"]["priority"] == {"type": "integer"}
    assert schemas["ResumeResponse"]["properties"]["note"] == {"type": "string"}
    # A rule matching upstream's fields is its job, not an overlap for `nox -s diff`.
    assert not [o for o in notes.overlaps if o.overlay.startswith("status-nulls")]


def test_a_rule_is_narrowed_within_what_a_path_reaches_and_to_optional_properties(tmp_path: Path) -> None:
    rule = a_patched_overlay(
        tmp_path,
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nextends: x.yml\nactions:\n"
        "  - target: $..properties[?(@.type)]\n    x-amp-rule: true\n"
        "    x-amp-within: $.paths.*.get.schema\n    x-amp-optional-only: true\n"
        "    update: {type: ['null']}\n",
    )
    document = {
        "paths": {"/a": {"get": {"schema": {"$ref": "#/components/schemas/A"}}}},
        "components": {
            "schemas": {
                "A": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "string"}, "b": {"$ref": "#/components/schemas/B"}},
                },
                "B": {
                    "type": "object",
                    "properties": {"n": {"type": "integer"}, "a": {"$ref": "#/components/schemas/A"}},
                },
                "Other": {"type": "object", "properties": {"n": {"type": "integer"}}},
            }
        },
    }
    result = overlay.apply_overlay(document, rule)
    schemas = result["components"]["schemas"]
    assert schemas["A"]["properties"]["id"] == {"type": "string"}  # required
    assert schemas["B"]["properties"]["n"] == {"type": ["integer", "null"]}  # reached, even in a cycle
    assert schemas["Other"]["properties"]["n"] == {"type": "integer"}  # not reached
    assert document["components"]["schemas"]["B"]["properties"]["n"] == {"type": "integer"}  # a copy


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("x-amp-within: 3\n    x-amp-rule: true", "'x-amp-within' is a JSONPath"),
        ("x-amp-optional-only: yes please\n    x-amp-rule: true", "is true or false"),
        ("x-amp-optional-only: true", "narrow a rule"),
    ],
)
def test_narrowing_keys_are_checked_when_an_overlay_loads(tmp_path: Path, keys: str, message: str) -> None:
    with pytest.raises(specs.SpecError, match=message):
        a_patched_overlay(
            tmp_path,
            "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nextends: x.yml\nactions:\n"
            f"  - target: $..properties\n    {keys}\n    update: {{}}\n",
        )
