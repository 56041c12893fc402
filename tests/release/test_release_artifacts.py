"""Releases a consumer can verify: the wheel's CycloneDX SBOM (PEP 770, `.dist-info/sboms/`),
dist/SHA256SUMS, and two builds of the same tree that are byte-identical, SBOM included.

The SBOM is validated against the CycloneDX schema with cyclonedx-python-lib's own validator,
and its dependencies are checked against what pyproject.toml declares.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packaging.requirements import Requirement
from support.paths import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from generator import release
from generator.release.publish import verify_checksums

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]


def build(outdir: Path) -> list[Path]:
    uv = ["--installer", "uv"] if shutil.which("uv") else []
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(outdir), *uv, str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return sorted(outdir.iterdir())


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[Path]]:
    root = tmp_path_factory.mktemp("builds")
    return build(root / "one"), build(root / "two")


def sbom_of(wheel: Path) -> tuple[str, str]:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if ".dist-info/sboms/" in n]
        return name, archive.read(name).decode("utf-8")


def test_two_builds_of_the_same_tree_are_byte_identical(builds: tuple[list[Path], list[Path]]) -> None:
    one, two = builds
    assert [p.name for p in one] == [p.name for p in two]
    assert {p.suffix for p in one} == {".whl", ".gz"}
    for first, second in zip(one, two, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_the_wheel_carries_a_valid_cyclonedx_sbom_naming_its_dependencies(
    builds: tuple[list[Path], list[Path]],
) -> None:
    wheel = next(p for p in builds[0] if p.suffix == ".whl")
    name, text = sbom_of(wheel)
    assert name.startswith(f"crewai_amp_client-{release.read_version()}.dist-info/sboms/")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    sbom = json.loads(text)
    root = sbom["metadata"]["component"]
    assert (root["name"], root["version"]) == (PROJECT["name"], release.read_version())
    assert root["purl"] == f"pkg:pypi/{PROJECT['name']}@{release.read_version()}"

    def properties(component: dict[str, Any]) -> dict[str, str]:
        return {p["name"]: p["value"] for p in component.get("properties", [])}

    listed = {
        (c["name"], properties(c).get("crewai-amp:extra", "")): properties(c) for c in sbom["components"]
    }
    # Every runtime dependency, with its declared range (what "version" means for a library).
    for line in PROJECT["dependencies"]:
        requirement = Requirement(line)
        found = listed[(requirement.name, "")]
        assert Requirement(found["crewai-amp:requirement"]) == requirement
        assert found["crewai-amp:version-range"].startswith("vers:pypi/")
        for spec in requirement.specifier:
            assert f"{spec.operator}{spec.version}".replace("==", "=") in found["crewai-amp:version-range"]
    for extra, lines in PROJECT["optional-dependencies"].items():
        for line in lines:
            requirement = Requirement(line)
            if requirement.name != PROJECT["name"]:
                assert (requirement.name, extra) in listed, (requirement.name, extra)
    # The root depends on each runtime dependency.
    [graph] = [d for d in sbom["dependencies"] if d["ref"] == root["bom-ref"]]
    assert {f"pkg:pypi/{Requirement(line).name}#runtime" for line in PROJECT["dependencies"]} <= set(
        graph["dependsOn"]
    )


def test_sha256sums_verify_with_sha256sum_and_a_tampered_file_is_refused(
    builds: tuple[list[Path], list[Path]], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    files = [Path(shutil.copy2(p, dist / p.name)) for p in builds[0]]
    noxfile = _noxfile()
    sums = noxfile.write_checksums(dist)
    lines = sums.read_text("utf-8").splitlines()
    assert sorted(line.split("  ")[1] for line in lines) == sorted(p.name for p in files)
    if shutil.which("sha256sum"):
        checked = subprocess.run(
            ["sha256sum", "-c", sums.name], cwd=dist, capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
    verify_checksums(dist, files)
    wheel = next(p for p in files if p.suffix == ".whl")
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    with pytest.raises(release.ReleaseError, match="sha256"):
        verify_checksums(dist, files)
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() not in sums.read_text("utf-8")


def _noxfile() -> Any:
    """The noxfile, imported with a stub `nox` module (the test env does not need nox)."""
    import importlib.util
    import types

    stub = types.ModuleType("nox")
    stub.options = types.SimpleNamespace()  # type: ignore[attr-defined]
    # @nox.session and @nox.session(name="docs-browser") alike
    stub.session = lambda func=None, **_: func or (lambda f: f)  # type: ignore[attr-defined]
    stub.Session = object  # type: ignore[attr-defined]
    saved = sys.modules.get("nox")
    sys.modules["nox"] = stub
    try:
        spec = importlib.util.spec_from_file_location("amp_noxfile_artifacts", REPO / "noxfile.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["nox"]
        else:
            sys.modules["nox"] = saved
    return module
