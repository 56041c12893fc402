"""Vendoring: the event models (and the REST models) as a self-contained package another codebase
copies in, importable with pydantic alone (attrs, and python-dateutil when a date or date-time
field needs it, for the REST models). The vendored package states what it needs: its
``requirements.txt`` (the SDK's own declared ranges) and ``VENDORED.json``."""

from __future__ import annotations

import ast
import json
import keyword
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..manifest import sha256_file
from ..pipeline import EVENTS_SPEC, REST_SPEC
from .common import GENERATED, PROJECT, ReleaseError
from .common import REPO as PROJECT_ROOT
from .versions import read_version

VENDOR_ALLOWED = {"events": {"pydantic"}, "rest": {"attrs", "dateutil"}}
# Import name -> the distribution that provides it (its version range is the SDK's own, read
# from pyproject.toml).
DISTRIBUTIONS = {"pydantic": "pydantic", "attrs": "attrs", "dateutil": "python-dateutil"}
REQUIREMENTS_FILE = "requirements.txt"
SOURCE_PACKAGES = {"events": "crewai_amp_events", "rest": "crewai_amp_api"}
GENERATED_HEADER = ("# Generated from specs/", "# Do not edit: change the spec")


def _vendor_header(sdk_version: str, spec_name: str, sha256: str) -> str:
    return (
        f"# Vendored from crewai-amp-client {sdk_version}: generated from specs/{spec_name} (sha256 {sha256}).\n"
        "# Do not edit: re-vendor with `nox -s vendor -- DEST` in crewai-amp-client.\n"
    )


def _rewrite(source: str, package: str, header: str) -> str:
    lines = source.splitlines(keepends=True)
    while lines and lines[0].startswith(GENERATED_HEADER):
        lines.pop(0)
    body = "".join(lines)
    # Absolute imports of the SDK's packages point into the vendored package instead.
    body = re.sub(r"\bcrewai_amp_api\.models\b", f"{package}.rest.models", body)
    body = re.sub(r"\bcrewai_amp_api\.types\b", f"{package}.rest.types", body)
    body = re.sub(r"\bcrewai_amp_events\b", f"{package}.events", body)
    return header + body


def _check_imports(root: Path, package: str, allowed: set[str]) -> set[str]:
    """Every import in the vendored tree is stdlib, the package itself or an allowed library;
    every relative import lands on a file of the tree. Returns the libraries used."""
    used: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        module_parts = [package, *path.relative_to(root).with_suffix("").parts]
        if module_parts[-1] == "__init__":
            module_parts.pop()
            package_parts = module_parts
        else:
            package_parts = module_parts[:-1]
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom):
                base = package_parts[: len(package_parts) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])][1:]
                as_module = root.joinpath(*target).with_suffix(".py") if target else root / "__init__.py"
                as_package = root.joinpath(*target) / "__init__.py"
                if not (as_module.is_file() or as_package.is_file()):
                    raise ReleaseError(
                        f"{path}: relative import {'.' * node.level}{node.module or ''} leaves the vendored package"
                    )
            for name in names:
                top = name.split(".")[0]
                if top == package or top in sys.stdlib_module_names or top == "__future__":
                    continue
                if top not in allowed:
                    raise ReleaseError(
                        f"{path}: imports {name}, which a vendored copy cannot rely on ({sorted(allowed)})"
                    )
                used.add(top)
    return used


def vendor(
    dest: Path,
    *,
    package_name: str = "crewai_amp_models",
    rest_models: bool = False,
    source: Path = GENERATED,
    sdk_version: str | None = None,
) -> Path:
    """Write the event models (and with ``rest_models`` the REST models) into ``dest/package_name``.

    The result imports with pydantic alone (attrs too for the REST models): every file is copied
    from ``source`` (``generated/``, checked against its MANIFEST.json), headed with its spec's
    sha256 and the SDK version, and its imports are rewritten to the new package name. An existing
    vendored copy (it has VENDORED.json) is replaced; anything else in the way is refused.
    """
    if not package_name.isidentifier() or keyword.iskeyword(package_name):
        raise ReleaseError(f"--package-name {package_name!r}: not a Python package name")
    if package_name in {"crewai_amp", *SOURCE_PACKAGES.values()}:
        raise ReleaseError(f"--package-name {package_name}: would shadow the SDK's own package")
    sdk_version = sdk_version or read_version()
    manifest = _verified_manifest(source)
    spec_sha = {Path(name).name: digest for name, digest in manifest["specs"].items()}
    target = dest / package_name
    if target.resolve().is_relative_to(source.resolve()):
        # generated/ holds only what the pipeline writes: a copy there fails `nox -s drift`.
        raise ReleaseError(f"{dest}: inside {source}, which only the generator writes; vendor elsewhere")
    if target.exists() and not (target / "VENDORED.json").is_file():
        raise ReleaseError(
            f"{target} exists and is not a vendored copy (no VENDORED.json); refusing to overwrite it"
        )

    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # DEST is a file, or cannot be created: a clear error, no traceback
        raise ReleaseError(f"{dest}: cannot use it as the destination directory ({exc})") from None
    with tempfile.TemporaryDirectory(prefix=f".{package_name}-", dir=dest) as tmp:
        root = Path(tmp) / package_name
        root.mkdir()
        parts = {"events": EVENTS_SPEC, **({"rest": REST_SPEC} if rest_models else {})}
        requires: set[str] = set()
        for part, spec_name in parts.items():
            header = _vendor_header(sdk_version, spec_name, spec_sha[spec_name])
            origin = source / SOURCE_PACKAGES[part]
            files = (
                [origin / n for n in ("__init__.py", "models.py", "py.typed", "events.schema.json")]
                if part == "events"
                else [origin / "types.py", *sorted((origin / "models").iterdir())]
            )
            for path in files:
                if path.is_dir() or path.suffix == ".pyc":
                    continue
                relative = path.relative_to(origin)
                out = root / part / relative
                out.parent.mkdir(parents=True, exist_ok=True)
                if path.suffix == ".py":
                    out.write_text(_rewrite(path.read_text("utf-8"), package_name, header), "utf-8")
                elif path.suffix == ".json":
                    data = json.loads(path.read_text("utf-8"))
                    data = {"$comment": header.replace("# ", "").replace("\n", " ").strip(), **data}
                    out.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
                else:
                    shutil.copyfile(path, out)
            if part == "rest":
                (root / "rest" / "__init__.py").write_text(
                    header
                    + '"""The REST API models (attrs), vendored from crewai_amp_api.models."""\n\n'
                    + "from .models import *  # noqa: F403\n"
                    + "from .models import __all__ as _models\n"
                    + "from .types import UNSET, Unset\n\n"
                    + '__all__ = [*_models, "UNSET", "Unset"]\n',
                    "utf-8",
                )
                (root / "rest" / "py.typed").write_text("", "utf-8")
            requires |= _check_imports(
                root / part, f"{package_name}.{part}", VENDOR_ALLOWED[part] | {package_name}
            )
        events_names = _public_names(root / "events" / "__init__.py")
        hashes = {name: digest for name, digest in spec_sha.items() if name in parts.values()}
        init = [
            f"# Vendored from crewai-amp-client {sdk_version}; specs: "
            + ", ".join(f"{name} (sha256 {digest})" for name, digest in sorted(hashes.items()))
            + ".",
            "# Do not edit: re-vendor with `nox -s vendor -- DEST` in crewai-amp-client.",
            f'"""CrewAI AMP models vendored from crewai-amp-client {sdk_version}.',
            "",
            "The webhook event models (pydantic v2) are re-exported here and live in ``.events``"
            + ("; the REST models (attrs) are in ``.rest``." if rest_models else "."),
            '"""',
            "",
            "from .events import (",
            *(f"    {name}," for name in events_names),
            ")",
            "",
            f'SDK_VERSION = "{sdk_version}"',
            f"SPEC_SHA256 = {json.dumps(hashes, indent=4, sort_keys=True)}",
            "",
            "__all__ = [",
            *(f'    "{name}",' for name in events_names),
            '    "SDK_VERSION",',
            '    "SPEC_SHA256",',
            "]",
            "",
        ]
        (root / "__init__.py").write_text("\n".join(init), "utf-8")
        (root / "py.typed").write_text("", "utf-8")
        files_index = {
            str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()
        }
        record = {
            "vendored_from": f"{PROJECT} {sdk_version}",
            "package": package_name,
            "specs": {f"specs/{name}": digest for name, digest in sorted(hashes.items())},
            "requires": sorted(requires),
            "files": files_index,
        }
        requirements = declared_requirements(sorted(requires))
        record["requirements"] = requirements
        (root / REQUIREMENTS_FILE).write_text(
            f"# What {package_name} (vendored from crewai-amp-client {sdk_version}) needs to import.\n"
            + "".join(f"{line}\n" for line in requirements),
            "utf-8",
        )
        (root / "VENDORED.json").write_text(json.dumps(record, indent=2) + "\n", "utf-8")
        old = Path(tmp) / "old"
        if target.exists():
            target.rename(old)
        root.rename(target)
    return target


def declared_requirements(imports: list[str]) -> list[str]:
    """The requirement lines for the libraries a vendored copy imports, with the version ranges
    the SDK itself declares in pyproject.toml (``pydantic>=2.7.3,<3``)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from packaging.requirements import Requirement

    declared = {}
    for line in tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "dependencies"
    ]:
        requirement = Requirement(line)
        declared[requirement.name] = str(requirement)
    lines = []
    for name in imports:
        distribution = DISTRIBUTIONS.get(name, name)
        lines.append(declared.get(distribution, distribution))
    return sorted(lines)


def _public_names(init: Path) -> list[str]:
    tree = ast.parse(init.read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return (
                [str(ast.literal_eval(e)) for e in node.value.elts]
                if isinstance(node.value, (ast.List, ast.Tuple))
                else []
            )
    return []


def _verified_manifest(source: Path) -> dict[str, Any]:
    """``source/MANIFEST.json``, after checking every produced file still has its recorded hash."""
    try:
        manifest: dict[str, Any] = json.loads((source / "MANIFEST.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ReleaseError(f"{source}/MANIFEST.json: cannot read it ({exc}); run `nox -s generate`") from None
    for name, digest in manifest.get("produced", {}).items():
        path = source / name
        if not path.is_file() or sha256_file(path) != digest:
            raise ReleaseError(
                f"{path} differs from {source}/MANIFEST.json (edited by hand?); run `nox -s generate`"
            )
    return manifest
