"""Living with spec updates: ``python -m generator.release {diff,changelog,bump,publish,vendor}``.

- ``diff OLD [NEW]``: what a spec change does to users, classified breaking/additive/patch, with
  the semver bump it implies; also compares the public Python API of the packages generated
  from OLD and NEW (griffe). Exit 1 on a breaking change unless ``--allow-breaking``.
- ``changelog OLD [NEW] (--version X.Y.Z | --bump)``: prepends the diff's summary to
  CHANGELOG.md under a new version heading (``--bump`` also writes the implied version).
- ``bump major|minor|patch``: a plain semver bump of ``overlays/crewai_amp/_version.py``.
- ``publish [DIST]``: refuses on drift, on a dist/ that is not this version, on a failing
  ``twine check`` or on a version the index already has; then ``twine upload``.
- ``vendor DEST``: the event (and REST) models as a self-contained package.

OLD and NEW are a spec file, a directory holding the specs, or ``git:REV`` (``specs/`` and the
spec overlays at that git revision). NEW defaults to ``specs/``.

Not part of the pipeline: nothing here is in ``manifest.PIPELINE_FILES``, so editing this file
never makes ``generated/`` drift.
"""

from __future__ import annotations

import argparse
import ast
import datetime as _dt
import html.parser
import json
import keyword
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from . import apidiff, pipeline
from .manifest import sha256_file
from .pipeline import EVENTS_SPEC, REPO, REST_SPEC

if TYPE_CHECKING:
    from .specs import Spec

SPECS = REPO / "specs"
OVERLAYS = pipeline.SPEC_OVERLAYS
# Where a revision keeps its spec overlays: older revisions kept them beside the hand-written package.
OVERLAY_DIRS_AT_REV = ("specs/overlays/", "overlays/")
GENERATED = REPO / "generated"
VERSION_FILE = REPO / "overlays" / "crewai_amp" / "_version.py"
CHANGELOG = REPO / "CHANGELOG.md"
SPEC_FILES = {"openapi": REST_SPEC, "asyncapi": EVENTS_SPEC}
LABELS = {"openapi": "REST API", "asyncapi": "Webhooks"}
PROJECT = "crewai-amp-client"
VERSION_RE = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)
PLAIN_VERSION = re.compile(r"\d+\.\d+\.\d+")  # what a bump and a CHANGELOG heading take


class ReleaseError(Exception):
    """A release step refused or failed; the message says why and what to do."""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Versions


def read_version(path: Path = VERSION_FILE) -> str:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:  # a wrong --version-file: say so, no traceback
        raise ReleaseError(f"{path}: cannot read the version ({exc})") from None
    match = VERSION_RE.search(text)
    if not match:
        raise ReleaseError(f"{path}: no __version__ = '...' line")
    return match.group(1)


def write_version(version: str, path: Path = VERSION_FILE) -> None:
    if not PLAIN_VERSION.fullmatch(version):
        raise ReleaseError(f"not a plain X.Y.Z version: {version!r}")
    text = path.read_text("utf-8")
    path.write_text(VERSION_RE.sub(f'__version__ = "{version}"', text, count=1), "utf-8")


# --------------------------------------------------------------------------------------------
# diff


@dataclass
class SpecFile:
    spec: Spec  # loaded and validated as the pipeline does it
    source: str

    @property
    def kind(self) -> str:  # "openapi" | "asyncapi"
        return self.spec.kind

    @property
    def data(self) -> dict[str, Any]:
        return self.spec.data

    @property
    def sha256(self) -> str:
        return self.spec.sha256

    @property
    def version(self) -> str:
        return str((self.data.get("info") or {}).get("version", "?"))


@dataclass
class Side:
    label: str
    specs: dict[str, SpecFile]
    overlays: Path  # the spec overlays to generate this side with


def _git(*args: str) -> bytes:
    result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def load_side(arg: str | Path, workdir: Path) -> Side:
    """Read one side of a diff: a spec file, a directory of specs, or ``git:REV``.

    Every spec is validated as the pipeline validates it (a SpecError names file and location).
    """
    from .specs import SpecError, load_and_validate

    text = str(arg)
    paths: list[Path] = []
    overlays = OVERLAYS
    if text.startswith("git:"):
        rev = text[4:] or "HEAD"
        target = workdir / "specs"
        target.mkdir(parents=True)
        for name in SPEC_FILES.values():
            (target / name).write_bytes(_git("show", f"{rev}:specs/{name}"))
            paths.append(target / name)
        overlays = workdir / "overlays"
        overlays.mkdir()
        for folder in OVERLAY_DIRS_AT_REV:
            listing = _git("ls-tree", "--name-only", rev, folder).decode().split()
            for name in listing:
                if name.endswith(".overlay.yaml"):
                    (overlays / Path(name).name).write_bytes(_git("show", f"{rev}:{name}"))
    else:
        path = Path(text)
        if path.is_dir():
            if (path / "overlays").is_dir():  # a specs tree carries its own spec overlays
                overlays = path / "overlays"
            paths = [path / name for name in SPEC_FILES.values() if (path / name).is_file()]
            if not paths:
                paths = sorted(p for p in path.iterdir() if p.suffix in {".yml", ".yaml", ".json"})
        elif path.is_file():
            paths = [path]
        else:
            raise ReleaseError(f"{path}: no such spec file or directory")
    specs: dict[str, SpecFile] = {}
    for spec_path in paths:
        try:
            spec = load_and_validate(spec_path)
        except SpecError as exc:
            if not text.startswith("git:"):
                raise
            # The file is a temporary copy, gone when the user reads this: name it as git does.
            raise ReleaseError(f"{text}:specs/{spec_path.name}{str(exc)[len(exc.path) :]}") from None
        if spec.kind in specs:
            raise ReleaseError(
                f"{text}: more than one {spec.kind} spec ({specs[spec.kind].source}, {spec_path})"
            )
        source = f"{text}:{spec_path.name}" if text.startswith("git:") else str(spec_path)
        specs[spec.kind] = SpecFile(spec, source)
    if not specs:
        raise ReleaseError(f"{text}: holds no OpenAPI or AsyncAPI spec")
    return Side(text, specs, overlays)


def _inputs(side: Side, fallback: Side, spec_dir: Path) -> pipeline.Inputs:
    """The pipeline's inputs for one side: its specs, already loaded and validated, named as the
    pipeline names them (which the overlays' ``extends`` match); a kind this side lacks comes from
    the other side (so that package compares equal to itself)."""
    from . import overlay

    chosen: dict[str, Spec] = {}
    for kind, name in SPEC_FILES.items():
        spec_file = side.specs.get(kind) or fallback.specs.get(kind)
        if spec_file is None:
            raise ReleaseError(f"neither side has a {kind} spec; cannot generate the Python packages")
        chosen[kind] = replace(spec_file.spec, path=spec_dir / name)
    overlays = overlay.load_overlays(side.overlays)
    overlay.check_overlays_match(list(chosen.values()), overlays)
    return pipeline.Inputs(chosen["openapi"], chosen["asyncapi"], overlays)


def generate_packages(inputs: pipeline.Inputs, out_dir: Path) -> Path:
    """The pipeline's stages 2-4 into ``out_dir`` (no manifest, no headers: only the API matters)."""
    from . import events, overlay, rest

    out_dir.mkdir(parents=True, exist_ok=True)
    rest.generate_rest(overlay.apply_overlays(inputs.rest, inputs.overlays), out_dir)
    events.generate_events(
        events.payload_schema(overlay.apply_overlays(inputs.events, inputs.overlays)), out_dir
    )
    return out_dir


def build_report(
    old_arg: str | Path,
    new_arg: str | Path = SPECS,
    *,
    python_api: bool = True,
    current_version: str | None = None,
) -> apidiff.Report:
    """Load both sides, diff every spec kind they share, and (optionally) the generated Python API."""
    from .rest import GeneratorFailed
    from .specs import SpecError

    with tempfile.TemporaryDirectory(prefix="amp-diff-") as tmp:
        work = Path(tmp)
        old = load_side(old_arg, work / "old-src")
        new = load_side(new_arg, work / "new-src")
        pairs: list[apidiff.SpecPair] = []
        for kind in ("openapi", "asyncapi"):
            if kind in old.specs and kind in new.specs:
                before, after = old.specs[kind], new.specs[kind]
                pair = apidiff.SpecPair(
                    LABELS[kind],
                    SPEC_FILES[kind],
                    before.version,
                    after.version,
                    before.sha256,
                    after.sha256,
                    apidiff.diff_specs(before.data, after.data),
                )
                pairs.append(pair)
        if not pairs:
            raise ReleaseError(f"{old_arg} and {new_arg} share no spec kind to compare")
        changes: list[apidiff.Change] | None = None
        if python_api:
            try:
                old_gen = generate_packages(_inputs(old, new, work / "old-specs"), work / "old-gen")
                new_gen = generate_packages(_inputs(new, old, work / "new-specs"), work / "new-gen")
            except (SpecError, GeneratorFailed) as exc:
                raise ReleaseError(
                    f"generating the Python packages to compare failed: {exc}\n"
                    "(an old spec may not fit today's spec overlays: use git:REV, which takes the overlays "
                    "of that revision, or --no-python-api)"
                ) from None
            changes = apidiff.python_api_changes(old_gen, new_gen)
        return apidiff.Report(_label(old_arg), _label(new_arg), pairs, changes, current_version)


def _label(arg: str | Path) -> str:
    text = str(arg)
    if text.startswith("git:"):
        return text
    try:
        return str(Path(text).resolve().relative_to(Path.cwd())) or "."
    except ValueError:
        return text


# --------------------------------------------------------------------------------------------
# publish


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            text = "".join(self._text).strip()
            self.files.append(text or self._href.split("#", 1)[0].rsplit("/", 1)[-1])
            self._href = None


def simple_url_for(repository_url: str) -> str:
    """The PEP 503 simple index that goes with an upload URL.

    ``https://upload.pypi.org/legacy/`` -> ``https://pypi.org/simple/``; another ``.../legacy/`` ->
    ``.../simple/``; anything else (pypiserver, a plain index root) -> ``<url>/simple/``.
    Indexes with other layouts (devpi's ``+simple/``): pass ``--simple-url``.
    """
    url = repository_url if repository_url.endswith("/") else repository_url + "/"
    parts = urlsplit(url)
    if parts.path.rstrip("/").endswith("/legacy"):
        host = parts.netloc.replace("upload.pypi.org", "pypi.org")
        path = parts.path.rstrip("/")[: -len("legacy")] + "simple/"
        return f"{parts.scheme}://{host}{path}"
    return urljoin(url, "simple/")


def index_files(
    simple_url: str,
    project: str = PROJECT,
    *,
    auth: tuple[str, str] | None = None,
    transport: Any = None,
) -> list[str]:
    """File names the index lists for ``project`` (PEP 691 JSON, or PEP 503 HTML); [] if none.

    Redirects are followed on the same origin only: pypiserver's fallback redirects an unknown
    project to PyPI, which says nothing about *this* index.
    """
    import httpx
    from packaging.utils import canonicalize_name

    url = urljoin(
        simple_url if simple_url.endswith("/") else simple_url + "/", f"{canonicalize_name(project)}/"
    )
    origin = urlsplit(url)[:2]
    headers = {"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"}
    with httpx.Client(auth=auth, transport=transport, timeout=30.0, follow_redirects=False) as client:
        for _ in range(5):
            try:
                response = client.get(url, headers=headers)
            except httpx.HTTPError as exc:
                raise ReleaseError(f"cannot reach the index at {url}: {exc}") from None
            if response.is_redirect:
                target = urljoin(url, response.headers.get("location", ""))
                if urlsplit(target)[:2] != origin:
                    return []
                url = target
                continue
            if response.status_code == 404:
                return []
            if response.status_code != 200:
                raise ReleaseError(
                    f"cannot tell whether {project} is on the index: GET {url} answered HTTP {response.status_code}"
                )
            if "json" in response.headers.get("content-type", ""):
                try:
                    return [str(f["filename"]) for f in response.json().get("files", [])]
                except (ValueError, KeyError, TypeError, AttributeError):
                    raise ReleaseError(f"{url}: not a PEP 691 project page") from None
            links = _Links()
            links.feed(response.text)
            return links.files
    raise ReleaseError(f"{url}: too many redirects")


def _dist_version(filename: str) -> tuple[str, Any] | None:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if filename.endswith(".whl"):
            name, version, *_ = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return str(canonicalize_name(name)), version


def dist_files(dist: Path, expected_version: str) -> list[Path]:
    """The wheel and sdist in ``dist``: all of this project, all of ``expected_version``."""
    from packaging.version import Version

    try:
        files = sorted(p for p in dist.iterdir() if p.is_file() and p.name.endswith((".whl", ".tar.gz")))
    except OSError as exc:  # no such directory, or a file: a clear error, no traceback
        raise ReleaseError(f"{dist}: cannot list the distributions to upload ({exc})") from None
    if not any(p.name.endswith(".whl") for p in files):
        raise ReleaseError(f"{dist}: no wheel to upload; build first (`nox -s build`)")
    for path in files:
        parsed = _dist_version(path.name)
        if parsed is None or parsed[0] != PROJECT:
            raise ReleaseError(f"{path}: not a {PROJECT} distribution")
        if parsed[1] != Version(expected_version):
            raise ReleaseError(
                f"{path.name} is version {parsed[1]}, but _version.py says {expected_version}: rebuild dist/"
            )
    return files


def publish(
    dist: Path,
    *,
    env: Mapping[str, str] | None = None,
    simple_url: str | None = None,
    generated: Path = GENERATED,
    version_file: Path = VERSION_FILE,
    check_drift: Callable[[Path], list[str]] | None = None,
    log: Callable[[str], None] = _log,
) -> list[Path]:
    """Upload ``dist`` to the index at ``$TWINE_REPOSITORY_URL`` — only if it is safe to.

    Refuses (ReleaseError) when: the repository URL or credentials are missing; ``generated``
    drifted from the specs; ``dist`` is not exactly this version's wheel/sdist; ``twine check``
    fails; or the index already has this version (an index never takes a version twice, and a
    half-uploaded release is worse than none). Returns the uploaded files.
    """
    env = dict(os.environ if env is None else env)
    url = env.get("TWINE_REPOSITORY_URL", "").strip()
    if not url:
        raise ReleaseError(
            "set TWINE_REPOSITORY_URL to the index's upload URL (e.g. https://upload.pypi.org/legacy/)"
        )
    missing = [name for name in ("TWINE_USERNAME", "TWINE_PASSWORD") if not env.get(name)]
    if missing:
        raise ReleaseError(f"set {' and '.join(missing)} (for an API token: TWINE_USERNAME=__token__)")
    _check_url("TWINE_REPOSITORY_URL", url)
    if simple_url or env.get("CREWAI_AMP_INDEX_SIMPLE_URL"):
        _check_url("the simple URL", simple_url or env["CREWAI_AMP_INDEX_SIMPLE_URL"])

    if check_drift is None:
        check_drift = pipeline.check_drift
    log(f"checking {generated} against a fresh regeneration of the specs")
    drifted = check_drift(generated)
    if drifted:
        raise ReleaseError(
            f"{generated} drifted from the specs ({', '.join(drifted)}); run `nox -s generate`, review, commit, rebuild"
        )

    version = read_version(version_file)
    files = dist_files(dist, version)
    log(f"twine check {' '.join(p.name for p in files)}")
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    if checked.returncode != 0:
        raise ReleaseError(f"twine check failed:\n{checked.stdout}{checked.stderr}")

    simple = simple_url or env.get("CREWAI_AMP_INDEX_SIMPLE_URL") or simple_url_for(url)
    auth = (env["TWINE_USERNAME"], env["TWINE_PASSWORD"])
    log(f"checking {simple} for {PROJECT} {version}")
    existing = [f for f in index_files(simple, PROJECT, auth=auth) if _same_version(f, version)]
    if existing:
        raise ReleaseError(
            f"{PROJECT} {version} is already on {simple} ({', '.join(existing)}); bump the version"
            " (`python -m generator.release bump patch`), rebuild and publish again"
        )

    log(f"uploading {len(files)} file(s) to {url}")
    upload = subprocess.run(
        [
            sys.executable,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            *map(str, files),
        ],
        env={**env, "TWINE_REPOSITORY_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    if upload.returncode != 0:
        raise ReleaseError(f"twine upload failed:\n{upload.stdout}{upload.stderr}")
    listed = [f for f in index_files(simple, PROJECT, auth=auth) if _same_version(f, version)]
    missing_files = sorted({p.name for p in files} - set(listed))
    if missing_files:
        raise ReleaseError(f"uploaded, but {simple} does not list {', '.join(missing_files)}")
    log(f"published {PROJECT} {version}: {', '.join(p.name for p in files)}")
    return files


def _check_url(name: str, url: str) -> None:
    # Up front, not after the drift check and the build: a URL httpx cannot even parse
    # (`http://[bad/`) raised a bare ValueError at the index check.
    try:
        parts = urlsplit(url)
        ok = parts.scheme in {"http", "https"} and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise ReleaseError(f"{name} {url!r} is not an http(s) URL (e.g. https://upload.pypi.org/legacy/)")


def _same_version(filename: str, version: str) -> bool:
    from packaging.version import Version

    parsed = _dist_version(filename)
    return parsed is not None and parsed[0] == PROJECT and parsed[1] == Version(version)


# --------------------------------------------------------------------------------------------
# vendor

VENDOR_ALLOWED = {"events": {"pydantic"}, "rest": {"attrs"}}
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
        (root / "VENDORED.json").write_text(json.dumps(record, indent=2) + "\n", "utf-8")
        old = Path(tmp) / "old"
        if target.exists():
            target.rename(old)
        root.rename(target)
    return target


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


# --------------------------------------------------------------------------------------------
# Command line


def _plain_version(path: Path) -> str:
    """The current version, which a bump needs as plain X.Y.Z (a ReleaseError, not a ValueError)."""
    version = read_version(path)
    if not PLAIN_VERSION.fullmatch(version):
        raise ReleaseError(f"{path}: version {version!r} is not a plain X.Y.Z; cannot bump it")
    return version


def _report_version(path: Path = VERSION_FILE) -> str | None:
    """The current version for a report's "next version", or None when it is not plain X.Y.Z
    (a pre-release has no implied next version; the report must not crash on it)."""
    version = read_version(path)
    return version if PLAIN_VERSION.fullmatch(version) else None


def _valid_date(text: str) -> bool:
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _add_diff_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", help="the old specs: a spec file, a directory of specs, or git:REV")
    parser.add_argument("new", nargs="?", default=str(SPECS), help="the new specs (default: specs/)")
    parser.add_argument(
        "--no-python-api",
        action="store_true",
        help="skip generating both sides and comparing them with griffe",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator.release", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    diff = sub.add_parser("diff", help="what a spec change does to users, and the semver bump it implies")
    _add_diff_args(diff)
    diff.add_argument("--allow-breaking", action="store_true", help="exit 0 even when a change is breaking")
    diff.add_argument("--format", choices=("markdown", "text"), default="markdown")
    diff.add_argument("--output", type=Path, help="also write the report to this file")

    changelog = sub.add_parser("changelog", help="prepend the diff's summary to CHANGELOG.md")
    _add_diff_args(changelog)
    which = changelog.add_mutually_exclusive_group(required=True)
    which.add_argument("--version", help="the version heading (X.Y.Z)")
    which.add_argument("--bump", action="store_true", help="apply the implied bump to _version.py and use it")
    changelog.add_argument("--date", default=None, help="the release date (default: today, UTC)")
    changelog.add_argument("--file", type=Path, default=CHANGELOG)
    changelog.add_argument("--version-file", type=Path, default=VERSION_FILE)

    bump = sub.add_parser("bump", help="a plain semver bump of overlays/crewai_amp/_version.py")
    bump.add_argument("level", choices=("major", "minor", "patch"))
    bump.add_argument("--version-file", type=Path, default=VERSION_FILE)

    pub = sub.add_parser("publish", help="check, then upload dist/ to $TWINE_REPOSITORY_URL")
    pub.add_argument("dist", nargs="?", type=Path, default=REPO / "dist")
    pub.add_argument("--simple-url", help="the index's simple API (default: derived from the upload URL)")

    ven = sub.add_parser("vendor", help="write the models as a self-contained package into DEST")
    ven.add_argument("dest", type=Path)
    ven.add_argument("--rest-models", action="store_true", help="also the REST models (needs attrs)")
    ven.add_argument("--package-name", default="crewai_amp_models")
    ven.add_argument(
        "--fresh", action="store_true", help="generate from specs/ first instead of using generated/"
    )

    args = parser.parse_args(argv)
    from .rest import GeneratorFailed
    from .specs import SpecError

    try:
        if args.command == "diff":
            report = build_report(
                args.old, args.new, python_api=not args.no_python_api, current_version=_report_version()
            )
            rendered = (apidiff.render_markdown if args.format == "markdown" else apidiff.render_text)(report)
            print(rendered, end="")
            if args.output:
                try:
                    args.output.write_text(rendered, "utf-8")
                except OSError as exc:  # a directory, a missing parent: a clear error, no traceback
                    raise ReleaseError(f"--output {args.output}: cannot write the report ({exc})") from None
            if report.breaking and not args.allow_breaking:
                _log(f"{len(report.breaking)} breaking change(s); pass --allow-breaking to accept them")
                return 1
        elif args.command == "changelog":
            # Check every input before writing anything: a refusal must leave both files as they were
            # (a bumped _version.py without its CHANGELOG entry would be bumped again on the retry).
            if args.version is not None and not PLAIN_VERSION.fullmatch(args.version):
                raise ReleaseError(f"--version {args.version!r}: not a plain X.Y.Z version")
            date = args.date or _dt.datetime.now(_dt.timezone.utc).date().isoformat()
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) or not _valid_date(date):
                raise ReleaseError(f"--date {date!r}: not a YYYY-MM-DD date")
            current = _plain_version(args.version_file) if args.bump else _report_version(args.version_file)
            report = build_report(
                args.old, args.new, python_api=not args.no_python_api, current_version=current
            )
            if args.bump:
                if report.bump == "none":
                    raise ReleaseError(
                        "no user-visible change: nothing to release (use --version to force an entry)"
                    )
                version = report.next_version or current
            else:
                version = args.version
            entry = apidiff.changelog_entry(report, version, date)
            try:
                text = args.file.read_text("utf-8") if args.file.exists() else _CHANGELOG_HEAD
                updated = apidiff.prepend_changelog(text, entry)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise ReleaseError(f"{args.file}: {exc}") from None
            try:
                args.file.write_text(updated, "utf-8")
            except OSError as exc:
                raise ReleaseError(f"{args.file}: cannot write it ({exc})") from None
            if args.bump:
                write_version(version, args.version_file)
                _log(f"{args.version_file}: {current} → {version} ({report.bump})")
            print(entry, end="")
            _log(f"{args.file}: added [{version}]")
        elif args.command == "bump":
            current = _plain_version(args.version_file)
            version = apidiff.plain_bump(current, args.level)
            write_version(version, args.version_file)
            print(version)
            _log(f"{args.version_file}: {current} → {version}")
        elif args.command == "publish":
            publish(args.dist, simple_url=args.simple_url)
        elif args.command == "vendor":
            if args.fresh:
                with tempfile.TemporaryDirectory(prefix="amp-vendor-") as tmp:
                    fresh = Path(tmp) / "generated"
                    fresh.mkdir()
                    pipeline.generate_into(fresh, pipeline.load_inputs(SPECS, OVERLAYS))
                    target = vendor(
                        args.dest, package_name=args.package_name, rest_models=args.rest_models, source=fresh
                    )
            else:
                target = vendor(args.dest, package_name=args.package_name, rest_models=args.rest_models)
            record = json.loads((target / "VENDORED.json").read_text("utf-8"))
            print(
                f"vendored {len(record['files'])} files into {target}; needs: {', '.join(record['requires'])}"
            )
    except (ReleaseError, SpecError, GeneratorFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if args.command in {"diff", "changelog"} else 1
    return 0


_CHANGELOG_HEAD = """# Changelog

All notable changes to crewai-amp-client are recorded here. The format follows
[Keep a Changelog](https://keepachangelog.com/en/1.1.0/) and the project uses
[Semantic Versioning](https://semver.org/spec/v2.0.0.html) (before 1.0: a breaking change bumps
the minor version, anything else the patch version).

## [Unreleased]
"""


if __name__ == "__main__":
    sys.exit(main())
