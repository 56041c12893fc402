"""Where a diff side finds its spec overlays: beside the specs of a directory, and at a git
revision under specs/overlays/ or, in revisions older than that layout, under overlays/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.specs import REPO, V1, V1_OVERLAYS, copy_specs

if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from generator.release import load_side, sides


def _commit(repo: Path) -> None:
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "specs"], check=True)


def test_a_directory_of_specs_brings_its_own_overlays(tmp_path: Path) -> None:
    side = load_side(copy_specs(V1, tmp_path / "specs"), tmp_path / "work")
    assert side.overlays == tmp_path / "specs" / "overlays"
    assert set(side.specs) == {"openapi", "asyncapi"}


@pytest.mark.parametrize("layout", ["specs/overlays", "overlays"])
def test_a_git_revision_keeps_its_overlays_in_either_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    for spec in V1.glob("*.yml"):
        shutil.copyfile(spec, repo / "specs" / spec.name)
    shutil.copytree(V1_OVERLAYS, repo / layout)
    _commit(repo)
    monkeypatch.setattr(sides, "REPO", repo)
    side = load_side("git:HEAD", tmp_path / "work")
    found = sorted(p.name for p in side.overlays.glob("*.overlay.yaml"))
    assert found == sorted(p.name for p in V1_OVERLAYS.glob("*.overlay.yaml"))
    assert found  # the fixture has spec overlays to find


OBSERVED_STATUS_OVERLAY = """\
overlay: 1.0.0
info:
  title: a reality the spec does not describe
  version: 1.0.0
extends: ../crewai-amp-rest-api.openapi.yml
actions:
  - target: $.components.schemas
    update:
      ObservedStatus:
        type: object
        required: [state]
        properties:
          state: {type: string}
  - target: $.paths['/status/{kickoff_id}'].get.responses['200'].content['application/json']
    update:
      schema:
        oneOf:
          - $ref: '#/components/schemas/StatusResponse'
          - $ref: '#/components/schemas/ObservedStatus'
"""


def test_the_diff_shows_what_a_spec_overlay_adds_to_an_unchanged_spec(tmp_path: Path) -> None:
    old = copy_specs(V1, tmp_path / "old")
    new = copy_specs(V1, tmp_path / "new")
    (new / "overlays" / "observed-status.openapi.overlay.yaml").write_text(OBSERVED_STATUS_OVERLAY, "utf-8")
    report = sides.build_report(old, new, python_api=False)
    found = [(c.location, c.description) for c in report.changes]
    assert any(c.location == "REST model ObservedStatus" and c.additive for c in report.changes), found
    widened = [c for c in report.changes if c.kind == "variant-added" and "/status/" in c.location]
    assert widened and widened[0].additive and not widened[0].breaking, found
    assert "ObservedStatus" in widened[0].description
    assert not report.breaking


def test_a_side_without_its_own_overlays_is_compared_as_written(tmp_path: Path) -> None:
    old = copy_specs(V1, tmp_path / "old")
    bare = tmp_path / "bare"
    bare.mkdir()
    for spec in V1.glob("*.yml"):
        shutil.copyfile(spec, bare / spec.name)
    report = sides.build_report(old, bare, python_api=False)
    assert report.changes == [], [c.description for c in report.changes]
