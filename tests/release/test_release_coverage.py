"""`nox -s diff` names the operations the hand-written client has no method for.

Coverage is read from overlays/crewai_amp's imports of the generated operation modules, so a new
operation in a spec update shows up as uncovered with no list to edit.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.specs import REPO, V1, V1_REST, copy_specs, dump_yaml, load_yaml

if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from generator.release import coverage


def _with_operation(spec: dict[str, Any], path: str, operation_id: str, tag: str) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    assert path not in spec["paths"]  # the fixture is frozen: the operation is new to it
    spec["paths"][path] = {
        "post": {
            "tags": [tag],
            "operationId": operation_id,
            "summary": "Something new",
            "parameters": [
                {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"\{(\w+)\}", path)
            ],
            "responses": {"200": {"description": "Done."}},
        }
    }
    return spec


def test_the_hand_written_package_covers_every_operation_of_the_fixture() -> None:
    used = coverage.referenced_modules()
    assert used, "overlays/crewai_amp imports no generated operation module"
    assert all(name.startswith("crewai_amp_api.api.") for name in used)
    assert coverage.uncovered(None, load_yaml(V1_REST)) == []


def test_a_new_operation_is_reported_as_uncovered_with_its_generated_module() -> None:
    old = load_yaml(V1_REST)
    new = _with_operation(old, "/cancel/{kickoff_id}", "cancelKickoff", "Kickoff")
    new = _with_operation(new, "/crew-logs", "listCrewLogs", "Crew Logs")
    missing = coverage.uncovered(old, new)
    assert [(op.method, op.path, op.operation_id, op.new) for op in missing] == [
        ("POST", "/cancel/{kickoff_id}", "cancelKickoff", True),
        ("POST", "/crew-logs", "listCrewLogs", True),
    ]
    assert [op.module for op in missing] == [
        "crewai_amp_api.api.kickoff.cancel_kickoff",
        "crewai_amp_api.api.crew_logs.list_crew_logs",
    ]
    assert coverage.describe(missing[0]).startswith(
        "new operation `cancelKickoff` (POST /cancel/{kickoff_id}) has no method on AmpClient yet"
    )


def test_coverage_follows_every_import_form(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("from crewai_amp_api.api.kickoff import kickoff_crew\n", "utf-8")
    (package / "sub" / "b.py").write_text("import crewai_amp_api.api.status.get_kickoff_status\n", "utf-8")
    (package / "c.py").write_text("from crewai_amp_api.api.resume.resume_kickoff import sync\n", "utf-8")
    (package / "d.py").write_text("from crewai_amp_api.models import KickoffRequest\n", "utf-8")
    missing = coverage.uncovered(None, load_yaml(V1_REST), package)
    assert [op.operation_id for op in missing] == ["listInputs"]
    assert missing[0].new is False  # with no old side, nothing is called new
    assert coverage.describe(missing[0]).startswith("operation `listInputs` (GET /inputs) has no method")


def test_nox_diff_lists_the_uncovered_operation(tmp_path: Path) -> None:
    new = copy_specs(V1, tmp_path / "specs")
    dump_yaml(
        new / V1_REST.name,
        _with_operation(load_yaml(V1_REST), "/cancel/{kickoff_id}", "cancelKickoff", "Kickoff"),
    )
    for fmt in ("markdown", "text"):
        result = subprocess.run(
            [sys.executable, "-m", "generator.release", "diff", V1, new, "--no-python-api", "--format", fmt],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert "operation `cancelKickoff` added" in result.stdout
        assert (
            "new operation `cancelKickoff` (POST /cancel/{kickoff_id}) has no method on AmpClient yet"
            in result.stdout
        )
        assert "crewai_amp_api.api.kickoff.cancel_kickoff" in result.stdout
