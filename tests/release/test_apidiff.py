"""The API diff's rules, as pure functions over spec dicts (generator/release/).

Each case edits a copy of the frozen fixture specs (tests/fixtures/specs/v1, never specs/) and
checks the classification from the client's side: what the client *sends* (requests, parameters)
and what it *reads* (responses, webhooks).
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.specs import REPO, V1, load_yaml
from support.specs import V1_EVENTS as EVENTS_SPEC
from support.specs import V1_REST as REST_SPEC

if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from generator.release import apidiff
from generator.release.changes import Change
from generator.release.openapi import HTTP_METHODS

REST = load_yaml(REST_SPEC)
EVENTS = load_yaml(EVENTS_SPEC)
Edit = Callable[[dict[str, Any]], None]


def changed(base: dict[str, Any], edit: Edit) -> list[Change]:
    new = copy.deepcopy(base)
    edit(new)
    return apidiff.diff_specs(base, new)


def only(changes: list[Change]) -> Change:
    assert len(changes) == 1, changes
    return changes[0]


def schemas(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = doc["components"]["schemas"]
    return result


def test_the_same_specs_have_no_changes_and_need_no_release() -> None:
    assert apidiff.diff_specs(REST, copy.deepcopy(REST)) == []
    assert apidiff.diff_specs(EVENTS, copy.deepcopy(EVENTS)) == []
    assert apidiff.implied_bump([]) == "none"


# -- fields and required-ness: direction matters ------------------------------------------------


def _add_required_request_field(d: dict[str, Any]) -> None:
    schemas(d)["KickoffRequest"]["properties"]["priority"] = {"type": "integer"}
    schemas(d)["KickoffRequest"]["required"].append("priority")


def _add_required_response_field(d: dict[str, Any]) -> None:
    schemas(d)["KickoffResponse"]["properties"]["created_at"] = {"type": "string"}
    schemas(d)["KickoffResponse"]["required"].append("created_at")


def _add_optional_request_field(d: dict[str, Any]) -> None:
    schemas(d)["KickoffRequest"]["properties"]["priority"] = {"type": "integer"}


def _request_field_now_required(d: dict[str, Any]) -> None:
    schemas(d)["KickoffRequest"]["required"].append("meta")


def _request_field_now_optional(d: dict[str, Any]) -> None:
    schemas(d)["ResumeRequest"]["required"].remove("human_feedback")


def _response_field_now_optional(d: dict[str, Any]) -> None:
    schemas(d)["KickoffResponse"]["required"].remove("kickoff_id")


def _response_field_now_required(d: dict[str, Any]) -> None:
    schemas(d)["StatusError"]["required"].append("error")


def _remove_response_field(d: dict[str, Any]) -> None:
    del schemas(d)["TaskResult"]["properties"]["agent"]


def _remove_request_field(d: dict[str, Any]) -> None:
    del schemas(d)["ResumeRequest"]["properties"]["taskWebhookUrl"]


@pytest.mark.parametrize(
    ("edit", "kind", "location", "level"),
    [
        (_add_required_request_field, "field-added", "REST model KickoffRequest.priority", "breaking"),
        (_add_required_response_field, "field-added", "REST model KickoffResponse.created_at", "additive"),
        (_add_optional_request_field, "field-added", "REST model KickoffRequest.priority", "additive"),
        (_request_field_now_required, "required-changed", "REST model KickoffRequest.meta", "breaking"),
        (
            _request_field_now_optional,
            "required-changed",
            "REST model ResumeRequest.human_feedback",
            "additive",
        ),
        (
            _response_field_now_optional,
            "required-changed",
            "REST model KickoffResponse.kickoff_id",
            "breaking",
        ),
        (_response_field_now_required, "required-changed", "REST model StatusError.error", "patch"),
        (_remove_response_field, "field-removed", "REST model TaskResult.agent", "breaking"),
        (_remove_request_field, "field-removed", "REST model ResumeRequest.taskWebhookUrl", "breaking"),
    ],
)
def test_fields_and_required_ness_are_judged_by_direction(
    edit: Edit, kind: str, location: str, level: str
) -> None:
    change = only(changed(REST, edit))
    assert (change.kind, change.location, change.level) == (kind, location, level)


# -- enums, types, formats ----------------------------------------------------------------------


def test_enum_values_added_are_additive_both_ways_and_removed_are_breaking() -> None:
    def response_value(d: dict[str, Any]) -> None:
        schemas(d)["ResumeResponse"]["properties"]["status"]["enum"].append("cancelled")

    change = only(changed(REST, response_value))
    assert (change.kind, change.level) == ("enum-value-added", "additive")
    assert "keeps values it does not know" in change.description

    def request_value(d: dict[str, Any]) -> None:
        prop = schemas(d)["ResumeRequest"]["properties"]["task_id"]
        prop["enum"] = ["t-1", "t-2"]

    restricted = only(changed(REST, request_value))
    assert (restricted.kind, restricted.level) == ("enum-added", "breaking")  # a request narrowed

    def removed(d: dict[str, Any]) -> None:
        schemas(d)["ResumeResponse"]["properties"]["status"]["enum"].remove("retrying")

    assert only(changed(REST, removed)).level == "breaking"


@pytest.mark.parametrize(
    ("schema", "old", "new", "level"),
    [
        ("TaskResult", {"type": "integer"}, {"type": "number"}, "breaking"),  # a response widened
        ("TaskResult", {"type": "number"}, {"type": "integer"}, "patch"),  # a response narrowed
        ("ResumeRequest", {"type": "integer"}, {"type": "number"}, "additive"),  # a request widened
        ("ResumeRequest", {"type": "number"}, {"type": "integer"}, "breaking"),  # a request narrowed
        ("TaskResult", {"type": "string"}, {"type": ["string", "null"]}, "breaking"),  # may be null now
        ("TaskResult", {"type": "string"}, {"type": "boolean"}, "breaking"),
    ],
)
def test_type_changes_widen_or_narrow_from_the_clients_side(
    schema: str, old: dict[str, Any], new: dict[str, Any], level: str
) -> None:
    base = copy.deepcopy(REST)
    schemas(base)[schema]["properties"]["probe"] = old
    after = copy.deepcopy(base)
    schemas(after)[schema]["properties"]["probe"] = new
    change = only(apidiff.diff_specs(base, after))
    assert (change.kind, change.level) == ("type-changed", level)


def test_a_format_that_changes_the_python_type_is_breaking() -> None:
    def drop_uuid(d: dict[str, Any]) -> None:
        del schemas(d)["KickoffResponse"]["properties"]["kickoff_id"]["format"]

    def uri_to_none(d: dict[str, Any]) -> None:
        del schemas(d)["KickoffRequest"]["properties"]["taskWebhookUrl"]["format"]

    assert only(changed(REST, drop_uuid)).level == "breaking"
    assert only(changed(REST, uri_to_none)).level == "patch"


def test_a_tightened_constraint_breaks_requests_only() -> None:
    def tighten(d: dict[str, Any]) -> None:
        schemas(d)["ResumeRequest"]["properties"]["human_feedback"]["maxLength"] = 500

    def tighten_response(d: dict[str, Any]) -> None:
        schemas(d)["StatusRunning"]["properties"]["progress"]["properties"]["total_tasks"]["minimum"] = 1

    assert only(changed(REST, tighten)).level == "breaking"
    change = only(changed(REST, tighten_response))
    assert change.location == "REST model StatusRunning.progress.total_tasks"
    assert change.level == "patch"


# -- operations, parameters, responses, models --------------------------------------------------


def test_operations_added_removed_renamed_moved() -> None:
    def add(d: dict[str, Any]) -> None:
        d["paths"]["/inputs/schema"] = {"get": copy.deepcopy(d["paths"]["/inputs"]["get"])}
        d["paths"]["/inputs/schema"]["get"]["operationId"] = "getInputSchema"

    assert [(c.kind, c.level) for c in changed(REST, add)] == [("operation-added", "additive")]

    def remove(d: dict[str, Any]) -> None:
        del d["paths"]["/resume"]

    assert [(c.kind, c.location) for c in changed(REST, remove)] == [
        ("operation-removed", "REST POST /resume")
    ]

    def rename(d: dict[str, Any]) -> None:
        d["paths"]["/inputs"]["get"]["operationId"] = "getInputs"

    renamed = only(changed(REST, rename))
    assert renamed.kind == "operation-renamed" and renamed.breaking
    assert "`list_inputs` becomes `get_inputs`" in renamed.description

    def move(d: dict[str, Any]) -> None:
        d["paths"]["/v2/inputs"] = d["paths"].pop("/inputs")

    moved = only(changed(REST, move))
    assert (moved.kind, moved.breaking) == ("operation-moved", True)
    assert "GET /v2/inputs" in moved.description

    def retag(d: dict[str, Any]) -> None:
        d["paths"]["/inputs"]["get"]["tags"] = ["Discovery"]

    assert "api.inputs to api.discovery" in only(changed(REST, retag)).description


def test_parameters_and_responses() -> None:
    def optional_query(d: dict[str, Any]) -> None:
        d["paths"]["/status/{kickoff_id}"]["get"]["parameters"].append(
            {"in": "query", "name": "verbose", "schema": {"type": "boolean"}}
        )

    def required_header(d: dict[str, Any]) -> None:
        d["paths"]["/inputs"]["get"]["parameters"] = [
            {"in": "header", "name": "X-Org", "required": True, "schema": {"type": "string"}}
        ]

    assert only(changed(REST, optional_query)).level == "additive"
    assert only(changed(REST, required_header)).level == "breaking"

    def new_response(d: dict[str, Any]) -> None:
        d["paths"]["/kickoff"]["post"]["responses"]["429"] = {"$ref": "#/components/responses/ServerError"}

    def drop_error_response(d: dict[str, Any]) -> None:
        del d["paths"]["/inputs"]["get"]["responses"]["404"]

    def drop_success_response(d: dict[str, Any]) -> None:
        del d["paths"]["/inputs"]["get"]["responses"]["200"]

    assert only(changed(REST, new_response)).level == "additive"
    assert only(changed(REST, drop_error_response)).level == "patch"
    assert only(changed(REST, drop_success_response)).level == "breaking"


# -- authentication ---------------------------------------------------------------------------


def _api_key(d: dict[str, Any]) -> None:
    d["components"]["securitySchemes"]["apiKey"] = {"type": "apiKey", "in": "header", "name": "X-Api-Key"}


def test_authentication_changes_are_judged_by_what_a_client_sends() -> None:
    # Another way in, offered next to the bearer token: additive.
    def offer_api_key(d: dict[str, Any]) -> None:
        _api_key(d)
        d["security"] = [{"bearerAuth": []}, {"apiKey": []}]

    changes = changed(REST, offer_api_key)
    assert {c.kind for c in changes} == {"auth-scheme-added", "auth-changed"}
    assert all(c.level == "additive" for c in changes)
    every_operation = [(m, p) for p, item in REST["paths"].items() for m in item if m in HTTP_METHODS]
    assert len([c for c in changes if c.kind == "auth-changed"]) == len(every_operation)

    # The bearer token replaced by an API key on one operation: clients are locked out.
    def switch_kickoff(d: dict[str, Any]) -> None:
        _api_key(d)
        d["paths"]["/kickoff"]["post"]["security"] = [{"apiKey": []}]

    auth = [c for c in changed(REST, switch_kickoff) if c.kind == "auth-changed"]
    assert len(auth) == 1 and auth[0].breaking
    assert auth[0].location == "REST POST /kickoff"
    assert "bearerAuth → apiKey" in auth[0].description

    # The scheme itself sends credentials differently: breaking; a new description is not.
    def basic(d: dict[str, Any]) -> None:
        d["components"]["securitySchemes"]["bearerAuth"]["scheme"] = "basic"

    assert only(changed(REST, basic)).kind == "auth-scheme-changed"
    assert only(changed(REST, basic)).breaking

    def reworded(d: dict[str, Any]) -> None:
        d["components"]["securitySchemes"]["bearerAuth"]["description"] = "A token."

    assert changed(REST, reworded) == []


def test_authentication_dropped_or_newly_required() -> None:
    def anonymous_inputs(d: dict[str, Any]) -> None:
        d["paths"]["/inputs"]["get"]["security"] = []

    change = only(changed(REST, anonymous_inputs))
    assert (change.kind, change.breaking) == ("auth-changed", False)
    assert "anonymous" in change.description

    open_spec = copy.deepcopy(REST)
    del open_spec["security"]
    required = [c for c in apidiff.diff_specs(open_spec, REST) if c.kind == "auth-changed"]
    assert len(required) == 4 and all(c.breaking for c in required)

    def scheme_removed(d: dict[str, Any]) -> None:
        del d["components"]["securitySchemes"]["bearerAuth"]
        d["security"] = []

    kinds = {(c.kind, c.breaking) for c in changed(REST, scheme_removed)}
    assert ("auth-scheme-removed", True) in kinds


def test_a_new_status_variant_is_additive_and_a_removed_one_breaking() -> None:
    def add_variant(d: dict[str, Any]) -> None:
        schemas(d)["StatusPaused"] = {"type": "object", "properties": {"status": {"enum": ["paused"]}}}
        schemas(d)["StatusResponse"]["oneOf"].append({"$ref": "#/components/schemas/StatusPaused"})
        schemas(d)["StatusResponse"]["discriminator"]["mapping"]["paused"] = (
            "#/components/schemas/StatusPaused"
        )

    changes = changed(REST, add_variant)
    assert {c.kind for c in changes} == {"model-added", "variant-added", "discriminator-value-added"}
    assert all(c.level == "additive" for c in changes)
    assert apidiff.implied_bump(changes) == "minor"

    def remove_variant(d: dict[str, Any]) -> None:
        schemas(d)["StatusResponse"]["oneOf"].pop()
        del schemas(d)["StatusResponse"]["discriminator"]["mapping"]["error"]

    assert apidiff.implied_bump(changed(REST, remove_variant)) == "major"


def test_a_model_used_both_ways_is_judged_both_ways() -> None:
    base = copy.deepcopy(REST)
    schemas(base)["Shared"] = {"type": "object", "properties": {"note": {"type": "string"}}}
    schemas(base)["KickoffRequest"]["properties"]["shared"] = {"$ref": "#/components/schemas/Shared"}
    schemas(base)["KickoffResponse"]["properties"]["shared"] = {"$ref": "#/components/schemas/Shared"}
    after = copy.deepcopy(base)
    schemas(after)["Shared"]["required"] = ["note"]  # fine for reading, breaks sending
    change = only(apidiff.diff_specs(base, after))
    assert change.location == "REST model Shared.note"
    assert change.breaking and "sent and read" in change.description


def test_a_changed_reference_is_a_type_change() -> None:
    def swap(d: dict[str, Any]) -> None:
        schemas(d)["StatusCompleted"]["properties"]["result"]["properties"]["tasks"]["items"] = {
            "$ref": "#/components/schemas/Error"
        }

    change = only(changed(REST, swap))
    assert change.location == "REST model StatusCompleted.result.tasks[]"
    assert "from TaskResult to Error" in change.description and change.breaking


def test_docs_only_is_a_patch() -> None:
    def reword(d: dict[str, Any]) -> None:
        d["paths"]["/inputs"]["get"]["summary"] = "List the crew's inputs"
        schemas(d)["TaskResult"]["properties"]["agent"]["description"] = "The agent's role."

    changes = changed(REST, reword)
    assert {c.kind for c in changes} == {"docs-changed"}
    assert apidiff.implied_bump(changes) == "patch"


# -- AsyncAPI -----------------------------------------------------------------------------------


def test_webhook_payloads_are_read_by_the_client() -> None:
    def new_optional(d: dict[str, Any]) -> None:
        schemas(d)["CrewCompletedPayload"]["properties"]["token_usage"] = {"type": "integer"}

    def new_required(d: dict[str, Any]) -> None:
        schemas(d)["CrewCompletedPayload"]["properties"]["token_usage"] = {"type": "integer"}
        schemas(d)["CrewCompletedPayload"]["required"].append("token_usage")

    def now_optional(d: dict[str, Any]) -> None:
        schemas(d)["TaskCompletedPayload"]["required"].remove("task_id")

    def new_value(d: dict[str, Any]) -> None:
        schemas(d)["TaskCompletedPayload"]["properties"]["status"]["enum"].append("skipped")

    def lost_field(d: dict[str, Any]) -> None:
        del schemas(d)["StepEventPayload"]["properties"]["step"]["properties"]["tool"]

    assert only(changed(EVENTS, new_optional)).level == "additive"
    assert only(changed(EVENTS, new_required)).level == "additive"
    assert only(changed(EVENTS, now_optional)).level == "breaking"
    assert only(changed(EVENTS, new_value)).level == "additive"
    lost = only(changed(EVENTS, lost_field))
    assert (lost.location, lost.level) == ("Webhooks model StepEventPayload.step.tool", "breaking")


def test_events_and_channels_added_and_removed() -> None:
    def new_event(d: dict[str, Any]) -> None:
        d["components"]["schemas"]["CrewStartedPayload"] = {"type": "object", "properties": {}}
        d["components"]["messages"]["CrewStarted"] = {
            "name": "CrewStarted",
            "summary": "The crew started.",
            "payload": {"$ref": "#/components/schemas/CrewStartedPayload"},
        }
        d["channels"]["crewEvents"]["messages"]["crewStarted"] = {"$ref": "#/components/messages/CrewStarted"}

    changes = changed(EVENTS, new_event)
    assert {c.kind for c in changes} == {"model-added", "message-added"}
    assert apidiff.implied_bump(changes) == "minor"

    def no_step_events(d: dict[str, Any]) -> None:
        del d["channels"]["stepEvents"]
        del d["operations"]["receiveStepEvents"]

    kinds = {c.kind for c in changed(EVENTS, no_step_events)}
    assert kinds == {"channel-removed", "operation-removed"}
    assert apidiff.implied_bump(changed(EVENTS, no_step_events)) == "major"


def test_specs_of_different_kinds_are_not_compared() -> None:
    with pytest.raises(ValueError, match="cannot compare"):
        apidiff.diff_specs(REST, EVENTS)


# -- the generated Python API (griffe) ----------------------------------------------------------


def test_griffe_catches_a_rename_a_spec_diff_cannot_see(tmp_path: Path) -> None:
    # A generator upgrade that renames a class or a parameter, with the same spec.
    for side, source in (
        ("old", "class StatusRunning:\n    status: str\n\ndef get(kickoff_id: str) -> None: ...\n"),
        ("new", "class StatusRunningModel:\n    status: str\n\ndef get(id: str) -> None: ...\n"),
    ):
        package = tmp_path / side / "crewai_amp_api"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(source, "utf-8")
    changes = apidiff.python_api_changes(tmp_path / "old", tmp_path / "new", ["crewai_amp_api"])
    locations = {c.location for c in changes}
    assert "Python crewai_amp_api.StatusRunning" in locations
    assert any(c.location.startswith("Python crewai_amp_api.get") for c in changes)
    assert all(c.breaking and c.kind == "python-api" for c in changes)
    assert apidiff.python_api_changes(tmp_path / "old", tmp_path / "old", ["crewai_amp_api"]) == []


# -- versions, reports, changelog ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "bump", "expected"),
    [
        ("0.1.0", "major", "0.2.0"),
        ("0.1.0", "minor", "0.1.1"),
        ("0.1.3", "patch", "0.1.4"),
        ("0.1.3", "none", "0.1.3"),
        ("1.2.3", "major", "2.0.0"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "patch", "1.2.4"),
    ],
)
def test_next_version_follows_semver_and_the_pre_1_0_convention(
    current: str, bump: str, expected: str
) -> None:
    assert apidiff.next_version(current, bump) == expected


def test_plain_bump_and_bad_versions() -> None:
    assert apidiff.plain_bump("0.1.0", "major") == "1.0.0"
    assert apidiff.plain_bump("0.1.0", "minor") == "0.2.0"
    with pytest.raises(ValueError, match=r"X\.Y\.Z"):
        apidiff.next_version("1.0.0rc1", "minor")


def _report() -> apidiff.Report:
    changes = [
        Change("operation-added", "REST POST /cancel", "operation `cancel` added", False, True),
        Change("field-removed", "REST model TaskResult.agent", "field `agent` removed", True),
        Change("docs-changed", "REST GET /inputs", "summary changed", False),
    ]
    pair = apidiff.SpecPair("REST API", "rest.yml", "1.0", "1.1", "a" * 64, "b" * 64, changes)
    events = apidiff.SpecPair("Webhooks", "events.yml", "1.0", "1.0", "c" * 64, "c" * 64, [])
    python = [
        Change(
            "python-api", "Python crewai_amp_api.models.TaskResult.agent", "Public object was removed", True
        )
    ]
    return apidiff.Report("specs@HEAD", "specs", [pair, events], python, "0.1.0")


def test_the_markdown_report_groups_by_level_and_ends_with_the_bump() -> None:
    text = apidiff.render_markdown(_report())
    assert text.startswith("# API diff: specs@HEAD → specs\n")
    assert (
        text.index("### Breaking (1)") < text.index("### Additive (1)") < text.index("### Other (patch) (1)")
    )
    assert "## Webhooks\n\nNo user-visible changes." in text
    assert "- **Breaking** `Python crewai_amp_api.models.TaskResult.agent`" in text
    last = text.strip().splitlines()[-1]
    assert last.startswith("**Implied bump: major (2 breaking, 1 additive, 1 patch).")
    assert "next version is 0.2.0" in last
    assert "BREAKING  REST model TaskResult.agent" in apidiff.render_text(_report())


def test_the_changelog_entry_and_where_it_goes() -> None:
    entry = apidiff.changelog_entry(_report(), "0.2.0", "2030-01-02")
    assert entry.startswith("## [0.2.0] - 2030-01-02\n")
    assert "REST API 1.0 → 1.1; Webhooks 1.0 (unchanged)" in entry
    added = entry[entry.index("### Added") : entry.index("### Changed")]
    assert "operation `cancel` added" in added
    assert "Documentation updated in 1 place of the specs." in entry
    removed = entry[entry.index("### Removed") :]
    assert "**Breaking:** `REST model TaskResult.agent`" in removed
    assert "**Breaking:** `Python crewai_amp_api.models.TaskResult.agent`" in removed

    head = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0]\n\nFirst.\n"
    updated = apidiff.prepend_changelog(head, entry)
    assert updated.index("## [Unreleased]") < updated.index("## [0.2.0]") < updated.index("## [0.1.0]")
    with pytest.raises(ValueError, match=r"already has a section for 0\.2\.0"):
        apidiff.prepend_changelog(updated, entry)
    assert apidiff.prepend_changelog("# Changelog\n", entry).endswith(entry.rstrip("\n") + "\n")


# -- the release command line: bad input is a clear error, and a refusal writes nothing ---------


def release_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.release", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def release_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A spec change (a patch: a new description), a CHANGELOG and a _version.py to write to."""
    new = tmp_path / "new"
    new.mkdir()
    rest = load_yaml(REST_SPEC)
    rest["components"]["schemas"]["TaskResult"]["description"] = "One task's result."
    (new / REST_SPEC.name).write_text(yaml.safe_dump(rest, sort_keys=False), "utf-8")
    shutil.copyfile(EVENTS_SPEC, new / EVENTS_SPEC.name)
    version = tmp_path / "_version.py"
    version.write_text('__version__ = "0.1.0"\n', "utf-8")
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2030-01-01\n", "utf-8")
    return new, changelog, version


def test_a_refused_changelog_bump_leaves_the_version_alone(release_files: tuple[Path, Path, Path]) -> None:
    new, changelog, version = release_files
    text = changelog.read_text("utf-8").replace("## [0.1.0]", "## [0.1.1] - 2030-01-01\n\n## [0.1.0]")
    changelog.write_text(text, "utf-8")
    args = ("changelog", V1, new, "--bump", "--no-python-api")
    result = release_cli(*args, "--file", changelog, "--version-file", version)
    assert result.returncode == 2
    assert "already has a section for 0.1.1" in result.stderr
    # Before: _version.py said 0.1.1 already, and a retry would have bumped it to 0.1.2.
    assert version.read_text("utf-8") == '__version__ = "0.1.0"\n'
    assert changelog.read_text("utf-8") == text


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(("--version", "junk"), "--version 'junk': not a plain X.Y.Z", id="junk-version"),
        pytest.param(("--bump", "--date", "tomorrow"), "--date 'tomorrow'", id="junk-date"),
        pytest.param(("--bump", "--date", "2030-02-30"), "--date '2030-02-30'", id="impossible-date"),
    ],
)
def test_changelog_junk_is_refused_before_writing(
    release_files: tuple[Path, Path, Path], extra: tuple[str, ...], expected: str
) -> None:
    new, changelog, version = release_files
    before = changelog.read_text("utf-8"), version.read_text("utf-8")
    args = ("changelog", V1, new, "--no-python-api", *extra)
    result = release_cli(*args, "--file", changelog, "--version-file", version)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert (changelog.read_text("utf-8"), version.read_text("utf-8")) == before


def test_changelog_into_a_directory_is_a_clear_error(
    release_files: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    new, _, version = release_files
    args = ("changelog", V1, new, "--bump", "--no-python-api")
    result = release_cli(*args, "--file", tmp_path, "--version-file", version)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert version.read_text("utf-8") == '__version__ = "0.1.0"\n'


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(None, "cannot read the version", id="missing"),
        pytest.param('__version__ = "0.2.0rc1"\n', "'0.2.0rc1' is not a plain X.Y.Z", id="pre-release"),
    ],
)
def test_bump_with_a_bad_version_file_is_a_clear_error(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    version = tmp_path / "_version.py"
    if content is not None:
        version.write_text(content, "utf-8")
    result = release_cli("bump", "patch", "--version-file", version)
    assert result.returncode == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_diff_output_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    result = release_cli("diff", V1, V1, "--no-python-api", "--output", tmp_path)
    assert result.returncode == 2
    assert f"--output {tmp_path}: cannot write the report" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_spec_at_a_git_rev_is_named_by_the_rev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # git:REV specs are read from temporary copies; the error must name the rev, not a deleted file.
    from generator import release
    from generator.release import sides

    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    rest = load_yaml(REST_SPEC)
    tasks = rest["components"]["schemas"]["StatusCompleted"]["properties"]["result"]["properties"]["tasks"]
    tasks["items"]["$ref"] = "#/components/schemas/TaskResultz"
    (repo / "specs" / REST_SPEC.name).write_text(yaml.safe_dump(rest, sort_keys=False), "utf-8")
    shutil.copyfile(EVENTS_SPEC, repo / "specs" / EVENTS_SPEC.name)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "specs"], check=True)
    subprocess.run([*git, "commit", "-qm", "broken"], check=True)
    monkeypatch.setattr(sides, "REPO", repo)
    with pytest.raises(release.ReleaseError) as info:
        release.load_side("git:HEAD", tmp_path / "work")
    message = str(info.value)
    assert message.startswith(f"git:HEAD:specs/{REST_SPEC.name}:"), message
    assert "dangling $ref '#/components/schemas/TaskResultz'" in message
    assert str(tmp_path / "work") not in message
