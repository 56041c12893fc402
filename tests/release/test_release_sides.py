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
