"""Every format the generator can emit, end to end: a spec with date, date-time, uuid, uri and
binary fields and OpenAPI 3.1 nullable unions (in a REST model and a webhook payload) is
regenerated; then

- the generated packages import with only the dependencies the wheel declares (pyproject.toml),
  and parse RFC 3339 date-times ("Z" included, which Python 3.10's fromisoformat refuses);
- the vendored models (`nox -s vendor -- DEST --rest-models`) import with only the requirements
  the vendored copy states in its requirements.txt.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.paths import REPO, SPECS
from support.specs import EVENTS_NAME, REST_NAME

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from generator import release

FIELDS: dict[str, Any] = {
    "at": {"type": "string", "format": "date-time"},
    "day": {"type": "string", "format": "date"},
    "ref": {"type": "string", "format": "uuid"},
    "link": {"type": "string", "format": "uri"},
    "blob": {"type": "string", "format": "binary"},
    "maybe_at": {"type": ["string", "null"], "format": "date-time"},
    "maybe_count": {"type": ["integer", "null"]},
}
VALUE = {
    "at": "2026-01-02T03:04:05Z",
    "day": "2026-01-02",
    "ref": "0b5f0f9e-0000-4000-8000-000000000001",
    "link": "https://example.com/x",
    "maybe_at": None,
    "maybe_count": 3,
}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    return {**env, **extra}


def venv(path: Path, *requirements: str) -> Path:
    python = path / "bin" / "python"
    uv = shutil.which("uv")
    if uv:
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(path)], check=True, env=clean_env())
        command = [uv, "pip", "install", "-q", "--python", str(python)]
    else:
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, env=clean_env())
        command = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*command, *requirements], check=True, timeout=600, env=clean_env())
    return python


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("formats")
    specs = root / "specs"
    shutil.copytree(SPECS, specs)
    rest = yaml.safe_load((specs / REST_NAME).read_text("utf-8"))
    rest["components"]["schemas"]["TaskResult"]["properties"].update(FIELDS)
    (specs / REST_NAME).write_text(yaml.safe_dump(rest, sort_keys=False), "utf-8")
    events = yaml.safe_load((specs / EVENTS_NAME).read_text("utf-8"))
    events["components"]["schemas"]["TaskCompletedPayload"]["properties"].update(FIELDS)
    (specs / EVENTS_NAME).write_text(yaml.safe_dump(events, sort_keys=False), "utf-8")
    out = root / "generated"
    result = subprocess.run(
        [sys.executable, "-m", "generator", "generate", "--specs", str(specs), "--output", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


PARSE = """
import importlib, json, pkgutil, sys
for top in ("{rest}", "{events}"):
    package = importlib.import_module(top)
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        importlib.import_module(info.name)
from {rest_models} import TaskResult
from {events} import TaskCompletedPayload
value = json.loads(sys.argv[1])
task = TaskResult.from_dict(value)
assert task.at.tzinfo is not None and task.at.year == 2026, task.at
assert str(task.ref) == value["ref"] and task.day.isoformat() == value["day"]
assert task.maybe_at is None and task.maybe_count == 3
assert TaskResult.from_dict(task.to_dict()) == task
event = TaskCompletedPayload.model_validate({{"kickoff_id": "k", "task_id": "t", "status": "completed", **value}})
assert event.at.tzinfo is not None
print("ok")
"""


def test_the_generated_code_imports_with_only_the_declared_dependencies(
    generated: Path, tmp_path: Path
) -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    python = venv(tmp_path / "venv", *declared)
    code = PARSE.format(
        rest="crewai_amp_api", events="crewai_amp_events", rest_models="crewai_amp_api.models"
    )
    result = subprocess.run(
        [str(python), "-c", code, json.dumps(VALUE)],
        capture_output=True,
        text=True,
        env=clean_env(PYTHONPATH=str(generated)),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_vendored_models_import_with_only_the_requirements_they_state(
    generated: Path, tmp_path: Path
) -> None:
    target = release.vendor(tmp_path / "src", rest_models=True, source=generated)
    stated = (target / "requirements.txt").read_text("utf-8")
    record = json.loads((target / "VENDORED.json").read_text("utf-8"))
    assert record["requires"] == ["attrs", "dateutil", "pydantic"]
    assert record["requirements"] == [line for line in stated.splitlines() if not line.startswith("#")]
    assert any(line.startswith("python-dateutil") for line in record["requirements"])
    python = venv(tmp_path / "venv", "-r", str(target / "requirements.txt"))
    code = PARSE.format(
        rest="crewai_amp_models.rest", events="crewai_amp_models.events", rest_models="crewai_amp_models.rest"
    )
    result = subprocess.run(
        [str(python), "-c", code, json.dumps(VALUE)],
        capture_output=True,
        text=True,
        env=clean_env(PYTHONPATH=str(tmp_path / "src")),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
