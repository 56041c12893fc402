"""The pipeline's sessions. `nox -s build` is the main job; `nox -s tests` tests the built wheel.

specs/ ──generate──▶ generated/ ──build──▶ dist/*.whl ──tests──▶ pytest against the installed wheel
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import nox
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["build", "tests"]

ROOT = Path(__file__).parent
GENERATOR_LOCK = "generator/requirements.lock"
TEST_REQUIREMENTS = "tests/requirements.txt"
SDK_TEST_REQUIREMENTS = "tests/requirements-sdk.txt"
DIST = ROOT / "dist"
# Tool pins for the non-generator sessions; the generator's own pins are in GENERATOR_LOCK.
BUILD_TOOLS = ["build==1.6.1", "twine==7.0.0", "check-wheel-contents==0.6.3"]
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"
GRIFFE = "griffe==2.4.1"
# What generator.release needs beyond the generator toolchain (griffe for the Python API diff,
# pypi-simple for the index's simple API).
RELEASE_TOOLS = [GRIFFE, "pypi-simple==1.8.0"]
DOCS_REQUIREMENTS = "docs/requirements.txt"
# Drives the system's Chromium (Debian's `chromium`) through its Python API; downloads no browser.
PLAYWRIGHT = "playwright==1.65.2"


# The SDK's tests (client, webhooks, CLI, emulator): what `nox -s compat` runs on every Python.
# The slow pipeline and release tests are left out. Globs or folders, relative to the repo.
SDK_TESTS = ["tests/sdk", "tests/webhooks", "tests/cli", "tests/emulator"]
COMPAT_PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
# SDK tests whose own test tool needs a newer Python than the SDK does: left out below that one.
COMPAT_NEEDS_311 = {
    "tests/emulator/test_emulator_conformance.py": "schemathesis (pinned) needs Python >= 3.11"
}
# The wheel's declared direct dependencies with its extras, installed as direct requirements so
# uv's lowest-direct resolution picks each one's lower bound (read from pyproject.toml).
PYPROJECT = ROOT / "pyproject.toml"


def _install_generator(session: nox.Session) -> None:
    session.install("-r", GENERATOR_LOCK)


def _generate(session: nox.Session, *args: str) -> None:
    _install_generator(session)
    started = time.perf_counter()
    session.run("python", "-m", "generator", "generate", *args)
    session.log(f"generate took {time.perf_counter() - started:.2f}s (outside venv setup)")


CHECKSUMS = "SHA256SUMS"


def write_checksums(outdir: Path) -> Path:
    """dist/SHA256SUMS in `sha256sum` format: `sha256sum -c SHA256SUMS` verifies the files."""
    lines = [
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
        for path in sorted(outdir.iterdir())
        if path.name.endswith((".whl", ".tar.gz"))
    ]
    target = outdir / CHECKSUMS
    target.write_text("".join(lines), "utf-8")
    return target


def _build_dist(session: nox.Session, outdir: Path = DIST) -> Path:
    """Wheel + sdist into dist/ (or outdir), checked, with their SHA256SUMS. Returns the wheel."""
    # outdir is emptied before the build: refuse one that holds anything but built distributions
    # (and their checksums), so a slip like `nox -s publish -- --dist .` cannot delete a source tree.
    if outdir.exists() and (
        not outdir.is_dir()
        or any(not (p.name.endswith((".whl", ".tar.gz")) or p.name == CHECKSUMS) for p in outdir.iterdir())
    ):
        session.error(
            f"{outdir}: holds files other than wheels and sdists; refusing to empty it for the build"
        )
    session.install(*BUILD_TOOLS)
    shutil.rmtree(outdir, ignore_errors=True)
    session.run(
        "python",
        "-m",
        "build",
        "--outdir",
        str(outdir),
        *(["--installer", "uv"] if shutil.which("uv") else []),
    )
    session.run("twine", "check", "--strict", *map(str, sorted(outdir.iterdir())))
    wheels = sorted(outdir.glob("*.whl"))
    session.run("check-wheel-contents", *map(str, wheels))
    session.log(f"wrote {write_checksums(outdir)}")
    return wheels[0]


def _install_wheel(session: nox.Session, wheel: Path) -> None:
    """Install the wheel with every extra, replacing any earlier build of the same version."""
    if session.venv_backend == "uv":
        session.install("--reinstall-package", "crewai-amp-client", f"{wheel}[all]")
    else:
        session.install("--force-reinstall", "--no-deps", str(wheel))
        session.install(f"{wheel}[all]")


@nox.session
def generate(session: nox.Session) -> None:
    """Validate specs/, apply overlays, regenerate generated/ (skipped if MANIFEST says nothing changed).

    `nox -s generate -- --force` regenerates regardless.
    """
    args = [] if "--force" in session.posargs else ["--if-changed"]
    _generate(session, *args)


@nox.session
def drift(session: nox.Session) -> None:
    """Fail, listing files, if generated/ differs from a fresh regeneration of specs/."""
    _install_generator(session)
    session.run("python", "-m", "generator", "drift")


LINT_PATHS = ("generator", "overlays", "tests", "docs/_hooks", "docs/_check", "noxfile.py", "hatch_build.py")


@nox.session
def lint(session: nox.Session) -> None:
    session.install(RUFF)
    session.run("ruff", "check", *LINT_PATHS)
    session.run("ruff", "format", "--check", *LINT_PATHS)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the hand-written package and the generated ones."""
    session.install(
        MYPY,
        "-r",
        GENERATOR_LOCK,
        "-r",
        TEST_REQUIREMENTS,
        "rich>=13",
        "starlette>=0.37",
        "uvicorn>=0.29",
        "jsonschema>=4.18",
        "types-jsonschema==4.26.0.20261006",
    )
    session.run("mypy")


@nox.session
def build(session: nox.Session) -> None:
    """The main job: validate specs, regenerate, apply overlays, build and check the wheel + sdist."""
    _generate(session, "--if-changed")
    wheel = _build_dist(session)
    session.log(f"built {wheel.name} ({wheel.stat().st_size / 1024:.1f} KiB)")


@nox.session
def tests(session: nox.Session) -> None:
    """Build the wheel, install it (not the source tree) and run pytest against it."""
    _generate(session, "--if-changed")
    wheel = _build_dist(session)
    session.install("-r", TEST_REQUIREMENTS)
    _install_wheel(session, wheel)
    session.run("pytest", *session.posargs, env={"CREWAI_AMP_WHEEL": str(wheel)})


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs site with --strict into site/: a broken link, nav entry or reference fails.

    The API reference is read from overlays/ and generated/ (mkdocstrings); the Performance page's
    table from bench-results/results.json. `nox -s docs -- serve` serves it with live reload.
    """
    session.install("-r", DOCS_REQUIREMENTS)
    session.env["NO_MKDOCS_2_WARNING"] = "1"  # material's end-of-life banner, on every build
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:])
        return
    session.run("mkdocs", "build", "--strict", "--clean", "--site-dir", str(ROOT / "site"))
    pages = sum(1 for _ in (ROOT / "site").glob("**/index.html"))
    session.log(f"docs: built {pages} pages into site/")


@nox.session(name="docs-browser")
def docs_browser(session: nox.Session) -> None:
    """The built site (`nox -s docs` first) in headless Chromium: every page opened, no console
    error, no broken link, and the search box finds what newcomers look for. Screenshots in
    site/_browser/. `-- --chromium PATH` when Chromium is not at /usr/bin/chromium.
    """
    if not (ROOT / "site" / "index.html").is_file():
        session.error("site/ is not built: run `nox -s docs` first")
    session.install(PLAYWRIGHT)
    session.run("python", "docs/_check/site_in_browser.py", "--site", str(ROOT / "site"), *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks, side by side with the alternatives: a table, also in bench-results/.

    Never part of `nox -s tests`. `nox -s bench -- --quick` for a smoke run, `-- --only NAME`.
    """
    _generate(session, "--if-changed")
    wheel = _build_dist(session)
    session.install("-r", TEST_REQUIREMENTS, "-r", GENERATOR_LOCK, "psutil")
    _install_wheel(session, wheel)
    session.run("python", "tests/bench/run.py", *session.posargs)


# `nox -s evolution -- --seed N --updates K --only I --batch B`: the options of the run, passed
# to tests/pipeline/test_evolution_flow.py through the environment; other arguments go to pytest.
EVOLUTION_OPTIONS = {"--seed": "SEED", "--updates": "UPDATES", "--only": "ONLY", "--batch": "BATCH"}


def _evolution_env(args: list[str]) -> tuple[dict[str, str], list[str]]:
    env = {"CREWAI_AMP_EVOLUTION": "1"}
    rest: list[str] = []
    items = iter(args)
    for arg in items:
        name, _, value = arg.partition("=")
        if name in EVOLUTION_OPTIONS:
            value = value or next(items, "")
            if not value.isdigit():
                raise ValueError(f"{name} needs a number, got {value!r}")
            env[f"CREWAI_AMP_EVOLUTION_{EVOLUTION_OPTIONS[name]}"] = value
        else:
            rest.append(arg)
    return env, rest


@nox.session
def evolution(session: nox.Session) -> None:
    """The whole flow under additive spec updates (tests/pipeline/test_evolution_flow.py): the seven
    fixed cases and updates drawn from the grammar by a seed, applied to copies of the specs;
    regenerate, build, install and run probes, a focused part of the suite, the diff, an import
    with only the declared dependencies and vendoring, batch by batch.

    `nox -s evolution -- --seed N --updates K` (defaults 0 and one round of the grammar, at least
    30; `--batch B` updates per build, default half of K); a failure prints the seed, each update's patch and `--only I`, which replays one
    update alone. Not part of `nox -s tests` (it builds its own wheels and venvs); .ci/run calls it.
    """
    try:
        env, pytest_args = _evolution_env(list(session.posargs))
    except ValueError as exc:
        session.error(str(exc))
    _install_generator(session)
    session.install("-r", TEST_REQUIREMENTS, *BUILD_TOOLS)
    started = time.perf_counter()
    session.run("pytest", "tests/pipeline/test_evolution_flow.py", "-rA", "-s", *pytest_args, env=env)
    session.log(f"evolution took {time.perf_counter() - started:.0f}s")


# Living with spec updates (generator/release/). None of these is part of `nox -s tests`;
# the tests call the same functions (tests/release/test_apidiff.py, test_publish.py, test_vendor.py).


@nox.session
def diff(session: nox.Session) -> None:
    """What a spec change does to users, and the semver bump it implies. Exit 1 if breaking.

    `nox -s diff -- OLD [NEW] [--allow-breaking] [--format text] [--output FILE] [--no-python-api]`;
    OLD/NEW: a spec file, a directory of specs, or git:REV; NEW defaults to specs/.
    """
    _install_generator(session)
    session.install(*RELEASE_TOOLS)
    session.run("python", "-m", "generator.release", "diff", *session.posargs)


@nox.session
def changelog(session: nox.Session) -> None:
    """Prepend the diff's summary to CHANGELOG.md: `nox -s changelog -- OLD [NEW] (--bump | --version X.Y.Z)`.

    `--bump` also writes the implied version to overlays/crewai_amp/_version.py.
    """
    _install_generator(session)
    session.install(*RELEASE_TOOLS)
    session.run("python", "-m", "generator.release", "changelog", *session.posargs)


@nox.session
def publish(session: nox.Session) -> None:
    """Build, check and upload to $TWINE_REPOSITORY_URL (TWINE_USERNAME/TWINE_PASSWORD from the env).

    Refuses if generated/ drifted, twine check fails or the index already has this version.
    `-- --dist DIR` builds into DIR instead of dist/; `-- --simple-url URL` names the index's
    simple API when it is not <upload URL>/simple/.
    """
    args = list(session.posargs)
    outdir = DIST
    if "--dist" in args:
        at = args.index("--dist")
        if at + 1 >= len(args):
            session.error("--dist needs a directory: `nox -s publish -- --dist DIR`")
        outdir = Path(args[at + 1]).resolve()
        del args[at : at + 2]
    # The same checks generator.release makes, before a build that replaces dist/ for nothing.
    missing = [
        name
        for name in ("TWINE_REPOSITORY_URL", "TWINE_USERNAME", "TWINE_PASSWORD")
        if not os.environ.get(name)
    ]
    if missing:
        session.error(f"set {', '.join(missing)} (for an API token: TWINE_USERNAME=__token__)")
    _install_generator(session)
    session.install(*RELEASE_TOOLS)
    _build_dist(session, outdir)
    session.run("python", "-m", "generator.release", "publish", str(outdir), *args)


@nox.session
def vendor(session: nox.Session) -> None:
    """The event models (and REST models) as a self-contained package for another codebase.

    `nox -s vendor -- DEST [--rest-models] [--package-name NAME] [--fresh]`: writes DEST/NAME
    (default crewai_amp_models), importable with pydantic alone (plus attrs for --rest-models).
    """
    _install_generator(session)
    session.install(*RELEASE_TOOLS)
    session.run("python", "-m", "generator.release", "vendor", *session.posargs)


def _find_python(version: str) -> str | None:
    """An interpreter for `version` ("3.12"): on PATH, else the newest pyenv install of it."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(p / "bin" / "python") for p in sorted(pyenv.glob(f"{version}.*"), reverse=True)]
    for candidate in filter(None, candidates):
        # A pyenv shim exists for every version but runs only the selected ones: ask it.
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def _declared_dependencies() -> list[str]:
    """The wheel's requirements and its extras' requirements, as pyproject.toml declares them."""
    project = tomllib.loads(PYPROJECT.read_text("utf-8"))["project"]
    extras = project.get("optional-dependencies", {}).values()
    own = project["name"]
    return list(project["dependencies"]) + [req for reqs in extras for req in reqs if not req.startswith(own)]


def _sdk_test_paths() -> list[str]:
    paths = sorted({str(p.relative_to(ROOT)) for pattern in SDK_TESTS for p in ROOT.glob(pattern)})
    if not paths:
        raise RuntimeError(f"SDK_TESTS matches no test file: {SDK_TESTS}")
    return paths


@nox.session
def compat(session: nox.Session) -> None:
    """The SDK's tests on every Python in COMPAT_PYTHONS found here, then on the lowest declared deps.

    Each run installs the built wheel (not the source tree) into its own venv under .nox/.
    A missing interpreter is skipped with a log line; finding none of them fails. The test runs go
    $CREWAI_AMP_COMPAT_JOBS at a time (default 3), each logging to .nox/compat-logs/<run>.log; a
    failed run's log is printed.
    `nox -s compat -- <pytest args>` replaces the default `-x -q`.
    """
    _generate(session, "--if-changed")
    wheel = _build_dist(session)
    pytest_args = session.posargs or ["-x", "-q"]
    tests_ = _sdk_test_paths()
    found = {v: path for v in COMPAT_PYTHONS if (path := _find_python(v))}
    for version in COMPAT_PYTHONS:
        if version not in found:
            session.warn(f"compat: Python {version} not found on PATH or in pyenv: skipped")
    if not found:
        session.error(f"compat: none of Python {', '.join(COMPAT_PYTHONS)} found; nothing was tested")
    runs = [(f"py{v}", path, "highest") for v, path in found.items()]
    lowest_python = next(iter(found))
    runs.append((f"py{lowest_python}-lowest-direct", found[lowest_python], "lowest-direct"))
    suites: list[_Suite] = []
    for label, python, resolution in runs:
        venv = ROOT / ".nox" / f"compat-{label}"
        bin_dir = venv / "bin"
        session.run("uv", "venv", "--quiet", "--allow-existing", "--python", python, str(venv), external=True)
        env = {"VIRTUAL_ENV": str(venv)}
        session.run(
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            str(bin_dir / "python"),
            "--resolution",
            resolution,
            "--reinstall-package",
            "crewai-amp-client",
            "-r",
            SDK_TEST_REQUIREMENTS,
            f"{wheel}[all]",
            *_declared_dependencies(),
            external=True,
            env=env,
        )
        session.run(
            str(bin_dir / "python"),
            "-c",
            "import importlib.metadata as m, sys; print(sys.version.split()[0], *(f'{d}=={m.version(d)}' for d in sys.argv[1:]))",
            *(Requirement(requirement).name for requirement in _declared_dependencies()),
            external=True,
        )
        selected = tests_
        if label.startswith("py3.10"):
            for path, why in COMPAT_NEEDS_311.items():
                session.warn(f"compat {label}: leaving out {path}: {why}")
            selected = [*tests_, *(f"--ignore={path}" for path in COMPAT_NEEDS_311)]
        suites.append(
            _Suite(
                label,
                [str(bin_dir / "python"), "-m", "pytest", *pytest_args, *selected],
                {**os.environ, **env, "CREWAI_AMP_WHEEL": str(wheel)},
            )
        )
    jobs = _compat_jobs(session)
    session.log(f"compat: {len(suites)} test runs, {jobs} at a time (CREWAI_AMP_COMPAT_JOBS)")
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        finished = list(pool.map(_run_suite, suites))
    for suite, code, seconds, log in finished:
        lines = log.read_text("utf-8", "replace").splitlines()
        if code == 0:
            session.log(f"compat {suite.label}: {lines[-1] if lines else 'no output'} ({seconds:.0f}s)")
        else:
            session.warn(f"compat {suite.label} failed (exit {code}, {seconds:.0f}s); its log, {log}:")
            print("\n".join(lines[-400:]), flush=True)
    failed = [suite.label for suite, code, _, _ in finished if code != 0]
    if failed:
        session.error(f"compat failed on: {', '.join(failed)}")
    session.log("compat passed: " + ", ".join(f"{suite.label}: {t:.0f}s" for suite, _, t, _ in finished))


class _Suite(NamedTuple):
    """One compat test run: its label, the pytest command line in its venv, its environment."""

    label: str
    argv: list[str]
    env: dict[str, str]


def _compat_jobs(session: nox.Session) -> int:
    """How many compat runs at once: $CREWAI_AMP_COMPAT_JOBS, else 3. The SDK's tests mostly wait
    on servers and child processes (about 40 % of one core per run), so three runs share two
    cores well; their deadlines are generous and none times itself."""
    value = os.environ.get("CREWAI_AMP_COMPAT_JOBS", "3")
    if not value.isdigit() or int(value) < 1:
        session.error(f"CREWAI_AMP_COMPAT_JOBS must be a positive whole number, got {value!r}")
    return int(value)


def _run_suite(suite: _Suite) -> tuple[_Suite, int, float, Path]:
    """Run one compat suite with its output in .nox/compat-logs/<label>.log."""
    logs = ROOT / ".nox" / "compat-logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{suite.label}.log"
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        code = subprocess.run(
            suite.argv, stdout=out, stderr=subprocess.STDOUT, env=suite.env, check=False
        ).returncode
    return suite, code, time.perf_counter() - started, log
