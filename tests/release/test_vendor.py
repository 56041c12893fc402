"""`nox -s vendor -- DEST`: the models as a self-contained package another codebase can copy in.

The vendored copy is written by the command line the session runs (`python -m generator.release
vendor`) and imported in fresh venvs that have only pydantic (events) or pydantic + attrs (REST
models): not the SDK, not httpx.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import REPO

GENERATED = REPO / "generated"
MANIFEST = json.loads((GENERATED / "MANIFEST.json").read_text("utf-8"))
SPEC_SHA = {Path(name).name: digest for name, digest in MANIFEST["specs"].items()}
PYDANTIC = "pydantic>=2.7,<3"
ATTRS = "attrs>=23.1"


def vendor(dest: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.release", "vendor", str(dest), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    return {**env, **extra}


def make_venv(path: Path, *requirements: str) -> Path:
    """A fresh venv holding only ``requirements`` (and their dependencies)."""
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


def run_in(python: Path, path: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(PYTHONPATH=str(path)),
        cwd=path,
    )


@pytest.fixture(scope="module")
def pydantic_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venv(tmp_path_factory.mktemp("venv-pydantic") / "venv", PYDANTIC)


@pytest.fixture(scope="module")
def pydantic_and_attrs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venv(tmp_path_factory.mktemp("venv-attrs") / "venv", PYDANTIC, ATTRS)


EVENTS_CHECK = """
import importlib.util, json
assert importlib.util.find_spec("attrs") is None, "this venv must not have attrs"
for sdk in ("crewai_amp", "crewai_amp_api", "crewai_amp_events", "httpx"):
    assert importlib.util.find_spec(sdk) is None, sdk
import {pkg}
from {pkg} import TaskCompletedPayload, StepEventPayload, CrewCompletedPayload, SDK_VERSION, SPEC_SHA256
assert not hasattr({pkg}, "rest")
known = TaskCompletedPayload.model_validate({{"kickoff_id": "k-1", "task_id": "t-1", "status": "completed"}})
assert known.status.value == "completed", known.status
# Forward compatible, as in the SDK: an unknown enum value stays a str, an unknown field is kept.
later = TaskCompletedPayload.model_validate(
    {{"kickoff_id": "k-1", "task_id": "t-1", "status": "paused_for_review", "attempt": 2}}
)
assert later.status == "paused_for_review" and later.model_extra == {{"attempt": 2}}
step = StepEventPayload.model_validate({{"kickoff_id": "k-1", "step": {{"type": "thought", "content": "hm"}}}})
crew = CrewCompletedPayload.model_validate_json('{{"kickoff_id": "k-1", "status": "error", "error": "boom"}}')
print(json.dumps({{"version": SDK_VERSION, "specs": SPEC_SHA256, "step": step.step.type.value, "crew": crew.error}}))
"""

REST_CHECK = """
import importlib.util, json
for sdk in ("crewai_amp", "crewai_amp_api", "crewai_amp_events", "httpx"):
    assert importlib.util.find_spec(sdk) is None, sdk
from {pkg}.rest import KickoffRequest, StatusCompleted, ResumeRequest, UNSET
request = {{"inputs": {{"topic": "AI"}}, "taskWebhookUrl": "https://hooks.example.com/task"}}
assert KickoffRequest.from_dict(request).to_dict() == request
done = StatusCompleted.from_dict({{"status": "completed", "result": {{"output": "ok", "tasks": [{{"task_id": "t-1"}}]}}}})
assert done.result.tasks[0].task_id == "t-1" and done.result.tasks[0].agent is UNSET
resume = ResumeRequest(execution_id="k-1", task_id="t-1", human_feedback="fine", is_approve=True)
assert resume.to_dict()["is_approve"] is True
from {pkg} import TaskCompletedPayload  # the events still work alongside
print("ok")
"""


def test_vendored_event_models_import_with_pydantic_alone(pydantic_only: Path, tmp_path: Path) -> None:
    dest = tmp_path / "src"
    result = vendor(dest)
    assert result.returncode == 0, result.stderr
    assert "needs: pydantic" in result.stdout
    package = dest / "crewai_amp_models"
    assert not (package / "rest").exists()

    checked = run_in(pydantic_only, dest, EVENTS_CHECK.format(pkg="crewai_amp_models"))
    assert checked.returncode == 0, checked.stderr
    info = json.loads(checked.stdout)
    assert info["version"] == _sdk_version()
    assert info["specs"] == {"crewai-amp-webhooks.asyncapi.yml": SPEC_SHA["crewai-amp-webhooks.asyncapi.yml"]}
    assert info == {**info, "step": "thought", "crew": "boom"}


def test_vendored_rest_models_need_only_attrs_and_the_package_name_is_configurable(
    pydantic_only: Path, pydantic_and_attrs: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "vendor"
    result = vendor(dest, "--rest-models", "--package-name", "acme_amp")
    assert result.returncode == 0, result.stderr
    assert "needs: attrs, pydantic" in result.stdout
    assert not (dest / "crewai_amp_models").exists()

    checked = run_in(pydantic_and_attrs, dest, REST_CHECK.format(pkg="acme_amp"))
    assert checked.returncode == 0, checked.stderr
    # The events part does not need attrs even when the REST models are vendored beside it.
    events_only = run_in(
        pydantic_only, dest, EVENTS_CHECK.format(pkg="acme_amp").replace("assert not hasattr", "#")
    )
    assert events_only.returncode == 0, events_only.stderr
    no_attrs = run_in(pydantic_only, dest, "import acme_amp.rest")
    assert no_attrs.returncode != 0
    assert "attrs" in no_attrs.stderr


def test_every_file_names_its_spec_hash_and_the_sdk_version(tmp_path: Path) -> None:
    result = vendor(tmp_path, "--rest-models")
    assert result.returncode == 0, result.stderr
    package = tmp_path / "crewai_amp_models"
    version = _sdk_version()
    python_files = sorted(package.rglob("*.py"))
    assert len(python_files) > 20
    for path in python_files:
        head = "".join(path.read_text("utf-8").splitlines(keepends=True)[:2])
        assert f"crewai-amp-client {version}" in head, path
        spec = "crewai-amp-rest-api.openapi.yml" if "rest" in path.relative_to(package).parts else None
        if spec:
            assert SPEC_SHA[spec] in head, path
        else:
            assert SPEC_SHA["crewai-amp-webhooks.asyncapi.yml"] in head, path
        # Nothing imports the SDK's own packages.
        assert not re.search(r"^\s*(from|import) crewai_amp", path.read_text("utf-8"), re.MULTILINE), path
    schema = json.loads((package / "events" / "events.schema.json").read_text("utf-8"))
    assert SPEC_SHA["crewai-amp-webhooks.asyncapi.yml"] in schema["$comment"]

    record = json.loads((package / "VENDORED.json").read_text("utf-8"))
    assert record["vendored_from"] == f"crewai-amp-client {version}"
    assert record["requires"] == ["attrs", "pydantic"]
    assert record["specs"] == {f"specs/{name}": digest for name, digest in SPEC_SHA.items()}
    for name, digest in record["files"].items():
        assert hashlib.sha256((package / name).read_bytes()).hexdigest() == digest, name
    # The models themselves are the generated ones, below the header.
    generated = (GENERATED / "crewai_amp_events" / "models.py").read_text("utf-8").splitlines()[2:]
    vendored = (package / "events" / "models.py").read_text("utf-8").splitlines()[2:]
    assert vendored == generated


def test_revendoring_replaces_a_vendored_copy_but_never_other_files(tmp_path: Path) -> None:
    assert vendor(tmp_path, "--rest-models").returncode == 0
    again = vendor(tmp_path)  # an update, this time without the REST models
    assert again.returncode == 0, again.stderr
    assert not (tmp_path / "crewai_amp_models" / "rest").exists()

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.py").write_text("precious = True\n", "utf-8")
    refused = vendor(tmp_path, "--package-name", "mine")
    assert refused.returncode == 1
    assert "not a vendored copy" in refused.stderr
    assert [p.name for p in foreign.iterdir()] == ["keep.py"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crewai_amp_models", "mine"]


@pytest.mark.parametrize("name", ["crewai_amp_events", "crewai_amp", "not-a-name", "class"])
def test_a_package_name_that_would_shadow_the_sdk_or_is_not_python_is_refused(
    name: str, tmp_path: Path
) -> None:
    refused = vendor(tmp_path, "--package-name", name)
    assert refused.returncode == 1
    assert "--package-name" in refused.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_hand_edited_generated_tree_is_not_vendored(tmp_path: Path) -> None:
    if str(REPO) not in sys.path:
        sys.path.append(str(REPO))
    from generator import release

    source = tmp_path / "generated"
    shutil.copytree(GENERATED, source, ignore=shutil.ignore_patterns("__pycache__"))
    models = source / "crewai_amp_events" / "models.py"
    models.write_text(models.read_text("utf-8").replace("class ", "class  ", 1), "utf-8")
    with pytest.raises(release.ReleaseError, match="differs from"):
        release.vendor(tmp_path / "out", source=source)
    assert not (tmp_path / "out" / "crewai_amp_models").exists()


def _sdk_version() -> str:
    text = (REPO / "overlays" / "crewai_amp" / "_version.py").read_text("utf-8")
    return text.split("__version__ = ", 1)[1].split("\n", 1)[0].strip("\"'")


def test_a_dest_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    dest = tmp_path / "not-a-dir"
    dest.write_text("mine\n", "utf-8")
    refused = vendor(dest)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert f"{dest}: cannot use it as the destination directory" in refused.stderr
    assert dest.read_text("utf-8") == "mine\n"


def test_vendoring_into_generated_is_refused(tmp_path: Path) -> None:
    # generated/ holds only what the pipeline writes; a copy there would fail `nox -s drift`.
    if str(REPO) not in sys.path:
        sys.path.append(str(REPO))
    from generator import release

    source = tmp_path / "generated"
    shutil.copytree(GENERATED, source, ignore=shutil.ignore_patterns("__pycache__"))
    with pytest.raises(release.ReleaseError, match="only the generator writes"):
        release.vendor(source / "vendored", source=source)
    assert not (source / "vendored").exists()
