"""The whole flow under additive spec updates, with no hand edit (issue 12.4).

A copy of the project (specs with their spec overlays, generator, hand-written package, tests)
gets every update of tests/_evolution_support.PATCHES applied to its specs: a new operation, a
new status variant with its discriminator value, a new optional request field (an object), a
new response field, a new enum value, a new query parameter and a new AsyncAPI message. Then, as
a maintainer would: regenerate, build the wheel, install it into a fresh venv (uv), and run

- a probe per kind (tests/support/evolution_probe.py) that checks the change reached the wheel's users
  through the public API (generated client, AmpClient, the emulator, parse_event);
- a focused part of the suite, unedited, against that wheel: the client, the emulator with its
  conformance run, the webhook events, the spec examples and the generated client.

Slow (a build and a venv): it runs in `nox -s evolution`, not in `nox -s tests`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.evolution import PATCHES, apply_all
from support.specs import EVENTS_NAME, REPO, REST_NAME, dump_yaml, load_yaml

pytestmark = pytest.mark.skipif(
    os.environ.get("CREWAI_AMP_EVOLUTION") != "1",
    reason="builds a wheel and a venv: runs in `nox -s evolution` (CREWAI_AMP_EVOLUTION=1)",
)

# What a maintainer's checkout holds (generated/ is regenerated, not copied).
PROJECT = ("specs", "generator", "overlays", "tests", "pyproject.toml", "README.md", "CHANGELOG.md")
KINDS = [*PATCHES, "asyncapi-message-parse"]
FOCUSED = [
    "sdk/test_client.py",
    "emulator/test_emulator.py",
    "emulator/test_emulator_conformance.py",
    "emulator/test_emulator_spec_validation.py",
    "webhooks/test_webhooks_events.py",
    "pipeline/test_webhooks_registry.py",
    "pipeline/test_spec_examples.py",
    "pipeline/test_generated_client.py",
]


@dataclass
class Evolved:
    root: Path
    python: Path
    wheel: Path
    added: Path


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=900, env=env, check=False
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _tree_digest(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def evolved(tmp_path_factory: pytest.TempPathFactory) -> Evolved:
    root = tmp_path_factory.mktemp("evolution") / "project"
    root.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", ".nox", "dist", "*.pyc")
    for name in PROJECT:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=ignore)
        else:
            shutil.copyfile(source, root / name)
    rest, events = load_yaml(root / "specs" / REST_NAME), load_yaml(root / "specs" / EVENTS_NAME)
    added = apply_all(rest, events)
    dump_yaml(root / "specs" / REST_NAME, rest)
    dump_yaml(root / "specs" / EVENTS_NAME, events)
    (root / "added.json").write_text(json.dumps(added, indent=2), "utf-8")

    _run(sys.executable, "-m", "generator", "generate", "--output", root / "generated", cwd=root)
    uv = shutil.which("uv")
    build = [sys.executable, "-m", "build", "--wheel", "--outdir", root / "dist", root]
    _run(*build, *(["--installer", "uv"] if uv else []), cwd=root)
    wheel = next((root / "dist").glob("*.whl"))
    venv = root / ".venv"
    python = venv / "bin" / "python"
    # What `nox -s tests` gives the suite: the wheel with its extras, the test requirements and
    # the generator toolchain (some tests validate against the specs with it).
    packages = [
        f"{wheel}[all]",
        "-r",
        REPO / "tests" / "requirements.txt",
        "-r",
        REPO / "generator" / "requirements.lock",
    ]
    if uv:
        _run(uv, "venv", "--quiet", "--python", sys.executable, venv, cwd=root)
        _run(uv, "pip", "install", "--quiet", "--python", python, *packages, cwd=root)
    else:
        _run(sys.executable, "-m", "venv", venv, cwd=root)
        _run(python, "-m", "pip", "install", "--quiet", *packages, cwd=root)
    return Evolved(root, python, wheel, root / "added.json")


@pytest.fixture(scope="module")
def probes(evolved: Evolved) -> dict[str, str]:
    result = _run(
        evolved.python,
        REPO / "tests" / "support" / "evolution_probe.py",
        evolved.root / "specs",
        evolved.added,
        cwd=evolved.root,
    )
    outcome: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    print(json.dumps(outcome, indent=2))  # the per-kind record, shown with -s or on failure
    return outcome


def test_the_updates_needed_no_edit_to_the_hand_written_package_or_the_tests(evolved: Evolved) -> None:
    for name in ("overlays", "tests"):
        assert _tree_digest(evolved.root / name) == _tree_digest(REPO / name), name
    manifest = json.loads((evolved.root / "generated" / "MANIFEST.json").read_text("utf-8"))
    assert manifest["specs"] != json.loads((REPO / "generated" / "MANIFEST.json").read_text("utf-8"))["specs"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_update_reaches_the_wheels_users(probes: dict[str, str], kind: str) -> None:
    assert probes[kind] == "ok", probes[kind]


@pytest.mark.parametrize("test_file", FOCUSED)
def test_the_focused_suite_passes_against_the_evolved_wheel(evolved: Evolved, test_file: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["CREWAI_AMP_WHEEL"] = str(evolved.wheel)
    result = subprocess.run(
        [
            str(evolved.python),
            "-m",
            "pytest",
            f"tests/{test_file}",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=evolved.root,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
