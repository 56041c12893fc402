"""Publishing: refuse on drift, on a dist/ that is not this version, on checksums (dist/SHA256SUMS)
that do not match, on a failing ``twine check`` or ``check-wheel-contents``, or on a version the
index already has; then ``twine upload`` and check the index lists it.

The index is read through its simple API (PEP 691 JSON or PEP 503 HTML), parsed by pypi-simple.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pypi_simple
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from .. import pipeline
from .common import GENERATED, PROJECT, VERSION_FILE, ReleaseError, log
from .versions import read_version


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
    url = urljoin(
        simple_url if simple_url.endswith("/") else simple_url + "/", f"{canonicalize_name(project)}/"
    )
    origin = urlsplit(url)[:2]
    headers = {"Accept": pypi_simple.ACCEPT_JSON_PREFERRED}
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
            return _filenames(response, project, url)
    raise ReleaseError(f"{url}: too many redirects")


def _filenames(response: httpx.Response, project: str, url: str) -> list[str]:
    try:
        if "json" in response.headers.get("content-type", ""):
            page = pypi_simple.ProjectPage.from_json_data(response.json(), url)
        else:
            page = pypi_simple.ProjectPage.from_html(project, response.content, url)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ReleaseError(f"{url}: not a PEP 691 project page") from None
    return [package.filename for package in page.packages]


def _dist_version(filename: str) -> tuple[str, Any] | None:
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
    log: Callable[[str], None] = log,
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
    log(f"verifying {dist / CHECKSUMS}")
    verify_checksums(dist, files)
    log(f"twine check {' '.join(p.name for p in files)}")
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    if checked.returncode != 0:
        raise ReleaseError(f"twine check failed:\n{checked.stdout}{checked.stderr}")
    wheels = [str(p) for p in files if p.suffix == ".whl"]
    log(f"check-wheel-contents {' '.join(Path(w).name for w in wheels)}")
    contents = subprocess.run(
        [sys.executable, "-m", "check_wheel_contents", *wheels], capture_output=True, text=True, check=False
    )
    if contents.returncode != 0:
        raise ReleaseError(f"check-wheel-contents failed:\n{contents.stdout}{contents.stderr}")

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


CHECKSUMS = "SHA256SUMS"


def verify_checksums(dist: Path, files: list[Path]) -> None:
    """dist/SHA256SUMS (``sha256sum`` format, written by the build) lists exactly ``files``, each
    with its sha256: what is uploaded is what was built and checked."""
    try:
        text = (dist / CHECKSUMS).read_text("utf-8")
    except OSError:
        raise ReleaseError(f"{dist / CHECKSUMS}: missing; build with `nox -s build` (it writes it)") from None
    listed: dict[str, str] = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if not name or len(digest) != 64:
            raise ReleaseError(f"{dist / CHECKSUMS}: not a sha256sum line: {line!r}")
        listed[name.lstrip("*")] = digest
    if set(listed) != {p.name for p in files}:
        raise ReleaseError(
            f"{dist / CHECKSUMS} lists {sorted(listed)}, dist/ holds {sorted(p.name for p in files)}: rebuild"
        )
    for path in files:
        if hashlib.sha256(path.read_bytes()).hexdigest() != listed[path.name]:
            raise ReleaseError(f"{path.name}: its sha256 is not the one {dist / CHECKSUMS} records: rebuild")


def _check_url(name: str, url: str) -> None:
    # Checked up front, before the drift check and the build: a URL that does not parse
    # (`http://[bad/`) is a ReleaseError, never a ValueError from deep in httpx.
    try:
        parts = urlsplit(url)
        ok = parts.scheme in {"http", "https"} and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise ReleaseError(f"{name} {url!r} is not an http(s) URL (e.g. https://upload.pypi.org/legacy/)")


def _same_version(filename: str, version: str) -> bool:
    parsed = _dist_version(filename)
    return parsed is not None and parsed[0] == PROJECT and parsed[1] == Version(version)
