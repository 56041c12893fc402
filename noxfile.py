"""The pipeline's sessions. `nox -s build` is the main job; `nox -s tests` tests the built wheel.

specs/ ──generate──▶ generated/ ──build──▶ dist/*.whl ──tests──▶ pytest against the installed wheel
"""

from __future__ import annotations

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


def _install_generator(session: nox.Session) -> None:
    session.install("-r", GENERATOR_LOCK)


def _generate(session: nox.Session, *args: str) -> None:
    _install_generator(session)
    started = time.perf_counter()
    session.run("python", "-m", "generator", "generate", *args)
    session.log(f"generate took {time.perf_counter() - started:.2f}s (outside venv setup)")


def _build_dist(session: nox.Session) -> Path:
    """Wheel + sdist into dist/, checked. Returns the wheel."""
    session.install(*BUILD_TOOLS)
    shutil.rmtree(DIST, ignore_errors=True)
    session.run(
        "python", "-m", "build", "--outdir", str(DIST), *(["--installer", "uv"] if shutil.which("uv") else [])
    )
    session.run("twine", "check", "--strict", *map(str, sorted(DIST.iterdir())))
    wheels = sorted(DIST.glob("*.whl"))
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
        MYPY, "-r", GENERATOR_LOCK, "-r", TEST_REQUIREMENTS, "rich>=13", "starlette>=0.37", "uvicorn>=0.29"
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
    session.install("-r", TEST_REQUIREMENTS, "-r", GENERATOR_LOCK, "httptools", "psutil")
    _install_wheel(session, wheel)
    session.run("python", "tests/bench/run.py", *session.posargs)
