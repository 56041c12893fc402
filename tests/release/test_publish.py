"""`nox -s publish` end to end: the function it runs (generator.release.publish) against a real
local index — pypiserver on 127.0.0.1, in a subprocess, uploads protected by a user and password
passed through TWINE_USERNAME/TWINE_PASSWORD — then `pip install crewai-amp-client` from that
index into a fresh venv. The refusals (drift, a version the index has, bad credentials, a stale
dist/) are checked against the same index.

The wheel and sdist are the ones `nox -s tests` built (CREWAI_AMP_WHEEL and its directory),
copied to a temporary directory: the repo's dist/ is never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.paths import REPO

if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from generator import release

WHEEL = os.environ.get("CREWAI_AMP_WHEEL")
needs_wheel = pytest.mark.skipif(not WHEEL, reason="run through `nox -s tests`, which builds the wheel")
USER = "maintainer"
PASSWORD = "index-test-secret"  # a test credential for the throwaway index

# pypiserver's own WSGI app with its own auth check; served on an ephemeral port chosen by the
# OS (no race), printed on stdout. `auther` is pypiserver's hook for a password check, so no
# htpasswd file (and no passlib) is needed.
INDEX_SERVER = """
import os, sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pypiserver

class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

user, password = os.environ["INDEX_USER"], os.environ["INDEX_PASSWORD"]
app = pypiserver.app(
    roots=[Path(sys.argv[1])],
    authenticate=["update"],
    password_file=None,
    auther=lambda u, p: (u, p) == (user, password),
    disable_fallback=True,
)
server = make_server("127.0.0.1", 0, app, server_class=Server, handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
"""


@contextmanager
def local_index(packages: Path) -> Iterator[str]:
    """A pypiserver on 127.0.0.1 serving ``packages``; yields its root URL; always stopped."""
    packages.mkdir(parents=True, exist_ok=True)
    log = (packages.parent / f"{packages.name}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-c", INDEX_SERVER, str(packages)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "INDEX_USER": USER, "INDEX_PASSWORD": PASSWORD},
    )
    try:
        assert proc.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
        try:
            port = lines.get(timeout=60).strip()
        except queue.Empty:
            port = ""
        if not port.isdigit():
            log.flush()
            pytest.fail(f"pypiserver did not start: {(packages.parent / f'{packages.name}.log').read_text()}")
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
        log.close()


def twine_env(url: str, password: str = PASSWORD) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "CREWAI_AMP_INDEX"))}
    return {**env, "TWINE_REPOSITORY_URL": url, "TWINE_USERNAME": USER, "TWINE_PASSWORD": password}


def clean_env() -> dict[str, str]:
    """The environment for the fresh venv: nothing leaks in from the test run's PYTHONPATH."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}


def listing(packages: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(packages.iterdir())}


def no_drift(_: Path) -> list[str]:
    return []


@pytest.fixture(scope="module")
def version() -> str:
    return release.read_version()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory, version: str) -> Path:
    """This version's wheel and sdist, copied out of the directory the tests session built."""
    assert WHEEL is not None
    built = Path(WHEEL).parent
    out = tmp_path_factory.mktemp("dist")
    for path in built.iterdir():
        if path.name.startswith(f"crewai_amp_client-{version}") and path.name.endswith((".whl", ".tar.gz")):
            shutil.copy2(path, out / path.name)
    assert any(p.suffix == ".whl" for p in out.iterdir()), f"no {version} wheel in {built}"
    # The SHA256SUMS the build writes beside them (noxfile.write_checksums), for these files.
    (out / "SHA256SUMS").write_text(
        "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted(out.iterdir())),
        "utf-8",
    )
    return out


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    packages = tmp_path_factory.mktemp("index") / "packages"
    with local_index(packages) as url:
        yield url, packages


@pytest.fixture
def fresh_index(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    with local_index(tmp_path / "packages") as url:
        yield url, tmp_path / "packages"


@pytest.fixture(scope="module")
def published(index: tuple[str, Path], dist: Path) -> list[Path]:
    """One real publish: drift check, twine check, version check, upload, listing check."""
    url, _ = index
    messages: list[str] = []
    files = release.publish(dist, env=twine_env(url), log=messages.append)
    assert any("drift" in m or "regeneration" in m for m in messages)
    # Checked before the upload: the checksums, twine check and check-wheel-contents.
    for step in ("SHA256SUMS", "twine check", "check-wheel-contents"):
        assert any(step in m for m in messages), (step, messages)
    assert [m for m in messages if "uploading" in m]
    return files


@needs_wheel
def test_publish_uploads_this_versions_wheel_and_sdist(
    published: list[Path], index: tuple[str, Path], dist: Path
) -> None:
    url, packages = index
    assert {p.name for p in published} == {p.name for p in dist.iterdir() if p.name != "SHA256SUMS"}
    assert set(listing(packages)) == {p.name for p in published}
    listed = release.index_files(release.simple_url_for(url), "crewai-amp-client")
    assert sorted(listed) == sorted(p.name for p in published)


@needs_wheel
def test_the_published_package_pip_installs_from_the_index_into_a_fresh_venv(
    published: list[Path], index: tuple[str, Path], version: str, tmp_path: Path
) -> None:
    url, _ = index
    simple = release.simple_url_for(url)
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    requirement = f"crewai-amp-client=={version}"
    uv = shutil.which("uv")
    # The local index is an *extra* index: dependencies (httpx, attrs, pydantic) come from the
    # machine's configured registries, as they would for a user.
    if uv:
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        command = [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(python),
            "--refresh-package",
            "crewai-amp-client",
        ]
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        command = [str(python), "-m", "pip", "install", "-q", "--no-cache-dir"]
    result = subprocess.run(
        [*command, "--extra-index-url", simple, requirement],
        capture_output=True,
        text=True,
        timeout=600,
        env=clean_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr

    probe = (
        "import hashlib, importlib.metadata as m, json, crewai_amp, crewai_amp_api, crewai_amp_events\n"
        "print(json.dumps({'version': crewai_amp.__version__, 'dist': m.version('crewai-amp-client'),\n"
        "  'models': hashlib.sha256(open(crewai_amp_events.models.__file__, 'rb').read()).hexdigest(),\n"
        "  'where': crewai_amp.__file__}))"
    )
    seen = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, timeout=120, env=clean_env()
    )
    assert seen.returncode == 0, seen.stderr
    info = json.loads(seen.stdout)
    assert info["version"] == info["dist"] == version
    assert info["where"].startswith(str(venv))
    # What was installed is the wheel we uploaded, not some other crewai-amp-client.
    wheel = next(p for p in published if p.suffix == ".whl")
    with zipfile.ZipFile(wheel) as archive:
        expected = hashlib.sha256(archive.read("crewai_amp_events/models.py")).hexdigest()
    assert info["models"] == expected


@needs_wheel
def test_a_second_upload_of_the_same_version_is_refused(
    published: list[Path], index: tuple[str, Path], dist: Path, version: str
) -> None:
    url, packages = index
    before = listing(packages)
    # As `nox -s publish` runs it: the command line, which exits 1 with the reason.
    result = subprocess.run(
        [sys.executable, "-m", "generator.release", "publish", str(dist)],
        cwd=REPO,
        env=twine_env(url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"crewai-amp-client {version} is already on" in result.stderr
    assert "uploading" not in result.stderr
    assert listing(packages) == before
    assert PASSWORD not in result.stdout + result.stderr


@needs_wheel
def test_publish_refuses_when_generated_drifted_from_the_specs(
    fresh_index: tuple[str, Path], dist: Path, tmp_path: Path
) -> None:
    url, packages = fresh_index
    tampered = tmp_path / "generated"
    shutil.copytree(REPO / "generated", tampered, ignore=shutil.ignore_patterns("__pycache__"))
    models = tampered / "crewai_amp_events" / "models.py"
    models.write_text(models.read_text("utf-8") + "\n# edited by hand\n", "utf-8")
    with pytest.raises(release.ReleaseError, match="drifted") as refused:
        release.publish(dist, env=twine_env(url), generated=tampered, log=lambda _: None)
    assert "crewai_amp_events/models.py" in str(refused.value)
    assert listing(packages) == {}


@needs_wheel
def test_publish_with_wrong_credentials_fails_without_leaking_them(
    fresh_index: tuple[str, Path], dist: Path
) -> None:
    url, packages = fresh_index
    wrong = "not-the-password"
    with pytest.raises(release.ReleaseError, match="twine upload failed") as failed:
        release.publish(dist, env=twine_env(url, wrong), check_drift=no_drift, log=lambda _: None)
    assert "403" in str(failed.value)
    assert wrong not in str(failed.value)
    assert listing(packages) == {}


@needs_wheel
def test_publish_refuses_files_that_are_not_the_ones_sha256sums_records(
    fresh_index: tuple[str, Path], dist: Path, tmp_path: Path
) -> None:
    url, packages = fresh_index
    tampered = tmp_path / "dist"
    shutil.copytree(dist, tampered)
    wheel = next(tampered.glob("*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    with pytest.raises(release.ReleaseError, match="SHA256SUMS"):
        release.publish(tampered, env=twine_env(url), check_drift=no_drift, log=lambda _: None)
    (tampered / "SHA256SUMS").unlink()
    with pytest.raises(release.ReleaseError, match="SHA256SUMS: missing"):
        release.publish(tampered, env=twine_env(url), check_drift=no_drift, log=lambda _: None)
    assert listing(packages) == {}


@needs_wheel
def test_publish_refuses_a_dist_that_is_not_this_version(dist: Path, tmp_path: Path) -> None:
    version_file = tmp_path / "_version.py"
    version_file.write_text('__version__ = "9.9.9"\n', "utf-8")
    with pytest.raises(release.ReleaseError, match="rebuild dist"):
        release.publish(
            dist,
            env=twine_env("http://127.0.0.1:9/"),
            version_file=version_file,
            check_drift=no_drift,
            log=lambda _: None,
        )


def test_publish_needs_the_repository_url_and_credentials(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINE_")}
    with pytest.raises(release.ReleaseError, match="TWINE_REPOSITORY_URL"):
        release.publish(tmp_path, env=env, check_drift=no_drift)
    env["TWINE_REPOSITORY_URL"] = "http://127.0.0.1:9/"
    env["TWINE_USERNAME"] = USER
    with pytest.raises(release.ReleaseError, match="TWINE_PASSWORD"):
        release.publish(tmp_path, env=env, check_drift=no_drift)


@pytest.mark.parametrize(
    ("upload", "simple"),
    [
        ("https://upload.pypi.org/legacy/", "https://pypi.org/simple/"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/simple/"),
        ("https://pkgs.example.com/pypi/", "https://pkgs.example.com/pypi/simple/"),
    ],
)
def test_the_simple_api_is_found_from_the_upload_url(upload: str, simple: str) -> None:
    assert release.simple_url_for(upload) == simple


def test_index_files_reads_pep_691_json_and_follows_only_same_origin_redirects() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/simple/crewai-amp-client/":
            assert "application/vnd.pypi.simple.v1+json" in request.headers["accept"]
            body = {"meta": {"api-version": "1.0"}, "name": "crewai-amp-client", "files": [
                {"filename": "crewai_amp_client-0.1.0-py3-none-any.whl", "url": "x", "hashes": {}},
            ]}  # fmt: skip
            return httpx.Response(
                200, json=body, headers={"content-type": "application/vnd.pypi.simple.v1+json"}
            )
        if path == "/moved/simple/crewai-amp-client/":
            return httpx.Response(301, headers={"location": "/simple/crewai-amp-client/"})
        if path == "/fallback/simple/crewai-amp-client/":
            return httpx.Response(302, headers={"location": "https://pypi.org/simple/crewai-amp-client/"})
        if path == "/broken/simple/crewai-amp-client/":
            return httpx.Response(500)
        return httpx.Response(404)

    transport = httpx.MockTransport(handler)
    files = release.index_files("http://index.test/simple/", transport=transport)
    assert files == ["crewai_amp_client-0.1.0-py3-none-any.whl"]
    assert release.index_files("http://index.test/moved/simple/", transport=transport) == files
    assert release.index_files("http://index.test/fallback/simple/", transport=transport) == []
    assert release.index_files("http://index.test/elsewhere/simple/", transport=transport) == []
    with pytest.raises(release.ReleaseError, match="HTTP 500"):
        release.index_files("http://index.test/broken/simple/", transport=transport)


class _SessionError(Exception):
    pass


class _FakeSession:
    """Just enough of nox.Session to run the noxfile's helpers without building anything."""

    def __init__(self, *posargs: str) -> None:
        self.posargs = list(posargs)

    def error(self, message: str) -> None:
        raise _SessionError(message)

    def install(self, *args: str) -> None:
        raise AssertionError("reached the build: the guard did not refuse")


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
        spec = importlib.util.spec_from_file_location("amp_noxfile", REPO / "noxfile.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["nox"]
        else:
            sys.modules["nox"] = saved
    return module


def test_the_build_never_empties_a_directory_that_is_not_a_dist_dir(tmp_path: Path) -> None:
    # `nox -s publish -- --dist DIR` empties DIR before building: a DIR holding anything else
    # (a typo'd `--dist .`) must be refused, not deleted.
    noxfile = _noxfile()
    (tmp_path / "notes.txt").write_text("precious", "utf-8")
    with pytest.raises(_SessionError, match="refusing to empty"):
        noxfile._build_dist(_FakeSession(), tmp_path)
    assert (tmp_path / "notes.txt").read_text("utf-8") == "precious"
    a_file = tmp_path / "notes.txt"
    with pytest.raises(_SessionError, match="refusing to empty"):
        noxfile._build_dist(_FakeSession(), a_file)


def test_publish_dist_without_a_directory_is_a_clear_error() -> None:
    noxfile = _noxfile()
    with pytest.raises(_SessionError, match="--dist needs a directory"):
        noxfile.publish(_FakeSession("--dist"))


def test_publish_without_credentials_stops_before_building(monkeypatch: pytest.MonkeyPatch) -> None:
    # It built (and replaced dist/) first, then refused for want of TWINE_* variables.
    noxfile = _noxfile()
    for name in ("TWINE_REPOSITORY_URL", "TWINE_USERNAME", "TWINE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TWINE_USERNAME", "__token__")
    built: list[Path] = []
    monkeypatch.setattr(noxfile, "_build_dist", lambda session, outdir=None: built.append(outdir))
    with pytest.raises(_SessionError, match="TWINE_REPOSITORY_URL, TWINE_PASSWORD"):
        noxfile.publish(_FakeSession())
    assert built == []


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_dist_that_is_not_a_directory_is_refused_clearly(tmp_path: Path, kind: str) -> None:
    dist = tmp_path / "dist"
    if kind == "file":
        dist.write_text("", "utf-8")
    env = {"TWINE_REPOSITORY_URL": "http://127.0.0.1:9/", "TWINE_USERNAME": "u", "TWINE_PASSWORD": "p"}
    with pytest.raises(release.ReleaseError, match="cannot list the distributions"):
        release.publish(dist, env=env, check_drift=lambda _: [], log=lambda _: None)


@pytest.mark.parametrize("url", ["http://[bad/", "not a url", "ftp://index.test/"])
def test_a_repository_url_that_is_not_http_is_refused_before_anything_runs(url: str, tmp_path: Path) -> None:
    def no_drift_check(_: Path) -> list[str]:
        raise AssertionError("the drift check ran before the URL was checked")

    env = {"TWINE_REPOSITORY_URL": url, "TWINE_USERNAME": "u", "TWINE_PASSWORD": "p"}
    with pytest.raises(release.ReleaseError, match="is not an http\\(s\\) URL"):
        release.publish(tmp_path, env=env, check_drift=no_drift_check, log=lambda _: None)
