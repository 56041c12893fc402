"""The whole flow under additive spec updates, with no hand edit: `nox -s evolution`.

A copy of the project (specs with their spec overlays, generator, hand-written package, tests)
gets additive updates applied to its specs: the seven fixed cases (tests/support/evolution.py
FIXED) and updates drawn by a seed from the grammar (tests/support/evolution_grammar.py GRAMMAR). Several
updates share one cycle (a batch); in each, as a maintainer would: regenerate, build the wheel,
install it, and check

- a probe per update (tests/support/evolution_probe.py) that the change reached the wheel's
  users through the public API (generated client, AmpClient, the emulator, parse_event);
- the focused part of the suite, unedited, against that wheel: the client, the emulator with its
  conformance run, the webhook events, the spec examples and the generated client;
- `nox -s diff`: it names the new operations AmpClient lacks, and an overlap exactly where upstream
  now defines what a spec overlay adds;
- the wheel imports with only the dependencies it declares, and the vendored models with only
  the requirements the vendored copy states.

Configured by the environment (the nox session maps `-- --seed N --updates K --only I --batch B`):
CREWAI_AMP_EVOLUTION_SEED (default 0), _UPDATES (default: one round of the grammar, at least 30, so
every kind comes up in each run), _BATCH (updates per cycle, default half of them: two cycles), _ONLY (replay one update alone, without the fixed cases). A failure prints the seed,
each update's patch and the command that replays it alone.

Slow (builds and venvs): it runs in `nox -s evolution`, not in `nox -s tests`.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.evolution import FIXED, apply_all
from support.evolution_grammar import GRAMMAR, Update, apply_updates, plan
from support.specs import EVENTS_NAME, REPO, REST_NAME, dump_yaml, load_yaml

pytestmark = pytest.mark.skipif(
    os.environ.get("CREWAI_AMP_EVOLUTION") != "1",
    reason="builds a wheel and a venv: runs in `nox -s evolution` (CREWAI_AMP_EVOLUTION=1)",
)

# What a maintainer's checkout holds (generated/ is regenerated, not copied).
PROJECT = (
    "specs",
    "generator",
    "overlays",
    "tests",
    "pyproject.toml",
    "hatch_build.py",
    "README.md",
    "CHANGELOG.md",
    "docs",
    "mkdocs.yml",
)
FOCUSED = [
    "sdk/test_client.py",
    "sdk/test_client_wait.py",
    "sdk/test_client_retries.py",
    "sdk/test_errors_pickle.py",
    "webhooks/test_webhooks_observed.py",
    "emulator/test_emulator.py",
    "emulator/test_emulator_conformance.py",
    "emulator/test_emulator_spec_validation.py",
    "webhooks/test_webhooks_events.py",
    "pipeline/test_webhooks_registry.py",
    "pipeline/test_spec_examples.py",
    "pipeline/test_generated_client.py",
    "docs/test_docs_reference.py",
]
SEED = int(os.environ.get("CREWAI_AMP_EVOLUTION_SEED", "0"))
UPDATES = int(os.environ.get("CREWAI_AMP_EVOLUTION_UPDATES", str(max(30, len(GRAMMAR)))))
# A cycle (regenerate, build, install, focused suite) costs far more than an update's probe: two
# cycles whatever the count, unless told.
BATCH = max(1, int(os.environ.get("CREWAI_AMP_EVOLUTION_BATCH", str(-(-UPDATES // 2)))))
ONLY = os.environ.get("CREWAI_AMP_EVOLUTION_ONLY")
KINDS = plan(SEED, max(UPDATES, int(ONLY) + 1 if ONLY else 0))
INDEXES = [int(ONLY)] if ONLY else list(range(UPDATES))
BATCHES = [INDEXES[i : i + BATCH] for i in range(0, len(INDEXES), BATCH)] or [[]]


@dataclass
class Evolved:
    number: int
    root: Path
    wheel: Path
    added: Path
    updates: list[Update]
    fixed: bool
    copied: dict[str, dict[str, bytes]]  # the hand-written package and the tests, as copied

    def explain(self) -> str:
        """The seed, each update's patch and how to replay it: printed with every failure."""
        head = f"evolution seed {SEED}, batch {self.number}: updates {[u.index for u in self.updates]}"
        head += " (with the seven fixed cases)" if self.fixed else ""
        return "\n".join([head, *(u.describe() for u in self.updates)])


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=900, env=env, check=False
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    return {**env, **extra}


def _tree_digest(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".hypothesis" not in p.parts
    }


def _venv(path: Path, *requirements: str | Path) -> Path:
    python = path / "bin" / "python"
    uv = shutil.which("uv")
    if uv:
        _run(uv, "venv", "--quiet", "--python", sys.executable, path, cwd=path.parent, env=_clean_env())
        if requirements:
            _run(
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                python,
                *requirements,
                cwd=path.parent,
                env=_clean_env(),
            )
    else:
        _run(sys.executable, "-m", "venv", path, cwd=path.parent)
        if requirements:
            _run(python, "-m", "pip", "install", "--quiet", *requirements, cwd=path.parent)
    return python


@pytest.fixture(scope="module")
def suite_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One venv for every batch: the test requirements and the generator toolchain (what
    `nox -s tests` gives the suite); each batch installs its own wheel into it."""
    print(
        f"evolution: seed {SEED}, {len(INDEXES)} drawn update(s) in {len(BATCHES)} batch(es): {[KINDS[i] for i in INDEXES]}"
    )
    return _venv(
        tmp_path_factory.mktemp("evolution-venv") / "venv",
        "-r",
        REPO / "tests" / "requirements.txt",
        "-r",
        REPO / "generator" / "requirements.lock",
    )


@pytest.fixture(scope="module", params=range(len(BATCHES)), ids=lambda n: f"batch{n}")
def evolved(
    request: pytest.FixtureRequest, suite_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> Evolved:
    number: int = request.param
    started = time.perf_counter()
    root = tmp_path_factory.mktemp(f"evolution{number}") / "project"
    root.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", ".nox", "dist", "*.pyc", ".venv", ".hypothesis")
    for name in PROJECT:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=ignore)
        else:
            shutil.copyfile(source, root / name)
    rest, events = load_yaml(root / "specs" / REST_NAME), load_yaml(root / "specs" / EVENTS_NAME)
    fixed = number == 0 and not ONLY
    base = (copy.deepcopy(rest), copy.deepcopy(events))
    added: dict[str, object] = {"fixed": apply_all(rest, events) if fixed else {}}
    overlays = [load_yaml(path) for path in sorted((root / "specs" / "overlays").glob("*.overlay.yaml"))]
    updates = apply_updates(SEED, BATCHES[number], rest, events, KINDS, base, overlays)
    added["drawn"] = [{"index": u.index, "kind": u.kind, "added": u.added} for u in updates]
    dump_yaml(root / "specs" / REST_NAME, rest)
    dump_yaml(root / "specs" / EVENTS_NAME, events)
    (root / "added.json").write_text(json.dumps(added, indent=2), "utf-8")
    copied = {name: _tree_digest(root / name) for name in ("overlays", "tests")}
    assert copied["overlays"] == _tree_digest(REPO / "overlays")
    result = Evolved(number, root, root / "dist", root / "added.json", updates, fixed, copied)
    try:
        _run(sys.executable, "-m", "generator", "generate", "--output", root / "generated", cwd=root)
        build = [sys.executable, "-m", "build", "--wheel", "--outdir", root / "dist", root]
        _run(*build, *(["--installer", "uv"] if shutil.which("uv") else []), cwd=root)
        result.wheel = next((root / "dist").glob("*.whl"))
        uv = shutil.which("uv")
        install = [
            "pip",
            "install",
            "--quiet",
            "--reinstall-package",
            "crewai-amp-client",
            f"{result.wheel}[all]",
        ]
        if uv:
            _run(uv, *install[:1], *install[1:], "--python", suite_python, cwd=root, env=_clean_env())
        else:
            _run(suite_python, "-m", *install, cwd=root)
    except AssertionError as exc:
        raise AssertionError(f"{result.explain()}\n{exc}") from None
    print(f"batch {number}: regenerated, built and installed in {time.perf_counter() - started:.0f}s")
    return result


@pytest.fixture(scope="module")
def probes(evolved: Evolved, suite_python: Path) -> dict[str, str]:
    result = _run(
        suite_python,
        REPO / "tests" / "support" / "evolution_probe.py",
        evolved.root / "specs",
        evolved.added,
        cwd=evolved.root,
        env=_clean_env(),
    )
    outcome: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    print(json.dumps(outcome, indent=2))  # the per-update record, shown with -s or on failure
    return outcome


def test_the_updates_needed_no_edit_to_the_hand_written_package_or_the_tests(evolved: Evolved) -> None:
    # After regeneration, the build, the probes and the focused suite: still as copied.
    for name, digest in evolved.copied.items():
        assert _tree_digest(evolved.root / name) == digest, name
    manifest = json.loads((evolved.root / "generated" / "MANIFEST.json").read_text("utf-8"))
    assert manifest["specs"] != json.loads((REPO / "generated" / "MANIFEST.json").read_text("utf-8"))["specs"]


def test_each_update_reaches_the_wheels_users(evolved: Evolved, probes: dict[str, str]) -> None:
    expected = {f"u{u.index}:{u.kind}" for u in evolved.updates}
    if evolved.fixed:
        expected |= {f"fixed:{kind}" for kind in [*FIXED, "asyncapi-message-parse"]}
    assert set(probes) == expected
    failed = {case: outcome for case, outcome in probes.items() if outcome != "ok"}
    assert not failed, f"{evolved.explain()}\nfailed: {json.dumps(failed, indent=2)}"


def test_the_focused_suite_passes_against_the_evolved_wheel(evolved: Evolved, suite_python: Path) -> None:
    result = subprocess.run(
        [
            str(suite_python),
            "-m",
            "pytest",
            *(f"tests/{f}" for f in FOCUSED),
            "-q",
            "-p",
            "no:cacheprovider",
            "-x",
        ],
        cwd=evolved.root,
        capture_output=True,
        text=True,
        timeout=1800,
        env=_clean_env(CREWAI_AMP_WHEEL=str(evolved.wheel)),
        check=False,
    )
    assert result.returncode == 0, f"{evolved.explain()}\n{result.stdout[-6000:]}{result.stderr[-2000:]}"


def test_nox_diff_names_new_operations_and_each_overlap(evolved: Evolved, suite_python: Path) -> None:
    result = subprocess.run(
        [str(suite_python), "-m", "generator.release", "diff", REPO / "specs", "specs", "--no-python-api"],
        cwd=evolved.root,
        capture_output=True,
        text=True,
        timeout=600,
        env=_clean_env(),
        check=False,
    )
    assert result.returncode == 0, f"{evolved.explain()}\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
    report = result.stdout
    for update in evolved.updates:
        if "operation_id" in update.added and "module" in update.added:
            assert f"new operation `{update.added['operation_id']}`" in report, evolved.explain()
        if update.kind == "rest-deprecated":
            assert "deprecated" in report, evolved.explain()
    # An overlap is reported where upstream now defines what an overlay adds, and nowhere else.
    expected = {u.added["at"] for u in evolved.updates if u.kind == "rest-upstream-overlap"}
    for at in expected:
        assert f"now overlaps upstream at {at}:" in report, f"{evolved.explain()}\n{report}"
    reported = set(re.findall(r"now overlaps upstream at (\S+):", report))
    assert reported <= expected, f"{evolved.explain()}\n{report}"


def test_the_wheel_imports_with_only_its_declared_dependencies(
    evolved: Evolved, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The generated code may import a library for a format (a date-time): the wheel must
    # declare it. A venv with the wheel alone (no extras, no test tools) imports every module.
    python = _venv(tmp_path_factory.mktemp(f"bare{evolved.number}") / "venv", evolved.wheel)
    code = (
        "import importlib, pkgutil\n"
        "for top in ('crewai_amp_api', 'crewai_amp_events'):\n"
        "    package = importlib.import_module(top)\n"
        "    for info in pkgutil.walk_packages(package.__path__, top + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "import crewai_amp, crewai_amp.webhooks\n"
        "crewai_amp.AmpClient(base_url='http://127.0.0.1:9', token='t').close()\n"
    )
    result = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, env=_clean_env(), check=False
    )
    assert result.returncode == 0, f"{evolved.explain()}\n{result.stderr[-3000:]}"


def test_the_models_vendor_and_import_with_only_the_stated_requirements(
    evolved: Evolved, suite_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    dest = tmp_path_factory.mktemp(f"vendored{evolved.number}")
    _run(
        suite_python,
        "-m",
        "generator.release",
        "vendor",
        dest,
        "--rest-models",
        cwd=evolved.root,
        env=_clean_env(),
    )
    package = dest / "crewai_amp_models"
    python = _venv(dest / "venv", "-r", package / "requirements.txt")
    code = (
        "import importlib, pkgutil, crewai_amp_models, crewai_amp_models.rest\n"
        "for info in pkgutil.walk_packages(crewai_amp_models.__path__, 'crewai_amp_models.'):\n"
        "    importlib.import_module(info.name)\n"
    )
    result = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        env=_clean_env(PYTHONPATH=str(dest)),
        cwd=dest,
        check=False,
    )
    assert result.returncode == 0, f"{evolved.explain()}\n{result.stderr[-3000:]}"
