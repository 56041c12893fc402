"""The pipeline's sessions. `nox -s build` is the main job; `nox -s tests` tests the built wheel.

specs/ ──generate──▶ generated/ ──build──▶ dist/*.whl ──tests──▶ pytest against the installed wheel
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["build", "tests"]

ROOT = Path(__file__).parent
GENERATOR_LOCK = "generator/requirements.lock"
TEST_REQUIREMENTS = "tests/requirements.txt"
DIST = ROOT / "dist"
# Tool pins for the non-generator sessions; the generator's own pins are in GENERATOR_LOCK.
BUILD_TOOLS = ["build==1.6.1", "twine==7.0.0", "check-wheel-contents==0.6.3"]
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"
GRIFFE = "griffe==2.4.1"
# What generator.release needs beyond the generator toolchain (griffe for the Python API diff,
# pypi-simple for the index's simple API).
RELEASE_TOOLS = [GRIFFE, "pypi-simple==1.8.0"]


def _install_generator(session: nox.Session) -> None:
    session.install("-r", GENERATOR_LOCK)


def _generate(session: nox.Session, *args: str) -> None:
    _install_generator(session)
    started = time.perf_counter()
    session.run("python", "-m", "generator", "generate", *args)
    session.log(f"generate took {time.perf_counter() - started:.2f}s (outside venv setup)")


def _build_dist(session: nox.Session, outdir: Path = DIST) -> Path:
    """Wheel + sdist into dist/ (or outdir), checked. Returns the wheel."""
    # outdir is emptied before the build: refuse one that holds anything but built distributions,
    # so a slip like `nox -s publish -- --dist .` cannot delete a source tree.
    if outdir.exists() and (
        not outdir.is_dir() or any(not p.name.endswith((".whl", ".tar.gz")) for p in outdir.iterdir())
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


@nox.session
def lint(session: nox.Session) -> None:
    session.install(RUFF)
    session.run("ruff", "check", "generator", "overlays", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "generator", "overlays", "tests", "noxfile.py")


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
def bench(session: nox.Session) -> None:
    """Benchmarks, side by side with the alternatives: a table, also in bench-results/.

    Never part of `nox -s tests`. `nox -s bench -- --quick` for a smoke run, `-- --only NAME`.
    """
    _generate(session, "--if-changed")
    wheel = _build_dist(session)
    session.install("-r", TEST_REQUIREMENTS, "-r", GENERATOR_LOCK, "psutil")
    _install_wheel(session, wheel)
    session.run("python", "tests/bench/run.py", *session.posargs)


@nox.session
def evolution(session: nox.Session) -> None:
    """The whole flow under additive spec updates (tests/test_evolution_flow.py): patch copies of
    the specs, regenerate, build, install into a fresh venv and run a focused part of the suite.

    Not part of `nox -s tests` (it builds its own wheel and venv); .ci/run calls it.
    """
    _install_generator(session)
    session.install("-r", TEST_REQUIREMENTS, *BUILD_TOOLS)
    session.run(
        "pytest",
        "tests/test_evolution_flow.py",
        *session.posargs,
        env={"CREWAI_AMP_EVOLUTION": "1"},
    )


# Living with spec updates (generator/release/). None of these is part of `nox -s tests`;
# the tests call the same functions (tests/test_apidiff.py, test_publish.py, test_vendor.py).


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
