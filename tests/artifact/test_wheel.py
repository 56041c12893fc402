"""The artifact users get: the wheel `nox -s tests` built, installed in clean environments."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import crewai_amp
import crewai_amp_api
import crewai_amp_events
import pytest

WHEEL = os.environ.get("CREWAI_AMP_WHEEL")
needs_wheel = pytest.mark.skipif(not WHEEL, reason="run through `nox -s tests`, which builds the wheel")
PACKAGES = ("crewai_amp", "crewai_amp_api", "crewai_amp_events")


@needs_wheel
def test_the_suite_runs_against_the_installed_wheel_not_the_source_tree() -> None:
    for module in (crewai_amp, crewai_amp_api, crewai_amp_events):
        assert "site-packages" in Path(module.__file__ or "").parts, module.__file__


@needs_wheel
def test_the_wheel_carries_three_typed_packages_and_no_repo_clutter() -> None:
    assert WHEEL is not None
    names = zipfile.ZipFile(WHEEL).namelist()
    for package in PACKAGES:
        assert f"{package}/__init__.py" in names
        assert f"{package}/py.typed" in names
    assert not [
        n for n in names if n.startswith(("tests/", "generator/", "specs/", "overlays/", "generated/"))
    ]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(WHEEL).read(metadata).decode()
    assert "Name: crewai-amp-client" in text
    assert "Requires-Python: >=3.10" in text
    for extra in ("cli", "emulator", "otel", "all"):
        assert f"Provides-Extra: {extra}" in text


@needs_wheel
def test_the_wheel_installs_into_a_clean_venv_and_imports(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    uv = shutil.which("uv")
    if uv:
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        python = venv / "bin" / "python"
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(python), str(WHEEL)], check=True, timeout=300
        )
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        subprocess.run([str(python), "-m", "pip", "install", "-q", str(WHEEL)], check=True, timeout=300)
    result = subprocess.run(
        [
            str(python),
            "-c",
            "import crewai_amp, crewai_amp_api, crewai_amp_events; print(crewai_amp.__version__)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == crewai_amp.__version__
