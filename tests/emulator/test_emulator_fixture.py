"""The `amp_emulator` fixture, loaded through the pytest plugin as a user's suite would."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import httpx
from crewai_amp.testing import AmpEmulator

# Installed from the wheel, the pytest11 entry point loads the plugin; from a source tree it
# must be named here (naming it twice would register it twice).
PLUGIN_AUTOLOADED = any(ep.name == "crewai_amp" for ep in entry_points(group="pytest11"))
if not PLUGIN_AUTOLOADED:
    pytest_plugins = ["crewai_amp.testing.pytest_plugin"]
PLUGIN_ARGS = [] if PLUGIN_AUTOLOADED else ["-p", "crewai_amp.testing.pytest_plugin"]


def test_fixture_gives_a_running_emulator(amp_emulator: AmpEmulator) -> None:
    assert amp_emulator.running
    assert amp_emulator.scale == 0.01
    response = httpx.get(
        f"{amp_emulator.base_url}/inputs",
        headers={"Authorization": f"Bearer {amp_emulator.token}"},
        trust_env=False,
    )
    assert response.json() == {"inputs": ["topic", "target_audience", "depth"]}
    assert amp_emulator.webhook_secret.startswith("whsec_")


def test_plugin_imports_nothing_heavy() -> None:
    # Loaded in every pytest run of anyone who installs the package (pytest11 entry point),
    # with or without the emulator extra: importing it must not pull in the server stack.
    code = textwrap.dedent(
        """
        import sys
        import crewai_amp.testing.pytest_plugin
        heavy = {"starlette", "uvicorn", "httpx", "pydantic", "crewai_amp_api", "crewai_amp_events",
                 "crewai_amp.testing._emulator"}
        print(sorted(heavy & set(sys.modules)))
        """
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env()
    ).stdout.strip()
    # crewai_amp itself imports httpx (errors carry responses); the rest must stay unloaded.
    assert loaded in ("[]", "['httpx']"), loaded


def run_user_suite(tmp_path: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--strict-markers", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=120,
    )


def test_fixture_and_marker_in_a_user_suite(tmp_path: Path) -> None:
    # `-p` loads the plugin before collection, as the pytest11 entry point will, so the
    # `amp_emulator` marker is known when the test module is imported (strict markers, and
    # warnings as errors).
    result = run_user_suite(
        tmp_path,
        """
        import httpx
        import pytest
        from crewai_amp.testing import Faults, default_crew

        pytestmark = pytest.mark.amp_emulator(scale=0.5, token="module-token")
        seen = []

        def test_defaults_and_module_marker(amp_emulator):
            seen.append(amp_emulator)
            assert amp_emulator.scale == 0.5
            assert amp_emulator.token == "module-token"
            headers = {"Authorization": f"Bearer {amp_emulator.token}"}
            inputs = {"topic": "AI", "target_audience": "devs", "depth": "short"}
            r = httpx.post(f"{amp_emulator.base_url}/kickoff", json={"inputs": inputs},
                           headers=headers, trust_env=False)
            assert r.status_code == 200

        @pytest.mark.amp_emulator(crew=default_crew(review=["write"]), faults=Faults(error_rate=1.0))
        def test_closest_marker_wins(amp_emulator):
            assert amp_emulator.scale == 0.5  # from the module marker
            assert amp_emulator.crew.task("write").human_review
            assert amp_emulator.faults.error_rate == 1.0
            assert not seen[0].running  # the first test's emulator was stopped
        """,
        *PLUGIN_ARGS,
        "-W",
        "error",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_fixture_in_a_user_suite_with_pytest_plugins(tmp_path: Path) -> None:
    result = run_user_suite(
        tmp_path,
        """
        pytest_plugins = ["crewai_amp.testing.pytest_plugin"]

        def test_it(amp_emulator):
            assert amp_emulator.running
            assert amp_emulator.scale == 0.01
        """,
        # A suite that names the plugin itself, with the entry point switched off.
        *(["-p", "no:crewai_amp"] if PLUGIN_AUTOLOADED else []),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def _env() -> dict[str, str]:
    import os

    # Run the children against the same crewai_amp as this process (wheel or source tree).
    import crewai_amp
    import crewai_amp_api

    paths = {str(Path(crewai_amp.__file__).parents[1]), str(Path(crewai_amp_api.__file__).parents[1])}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")])
    return env
