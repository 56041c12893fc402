"""Versions: the SDK's ``__version__`` line, plain ``X.Y.Z`` checks and bumps (``packaging.version``).

A bump takes and gives a plain release ``X.Y.Z`` (no epoch, pre-, post-, dev- or local part).
Before 1.0 the 0.y.z convention holds: a breaking change bumps y, anything else bumps z.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.version import InvalidVersion, Version

from .common import VERSION_FILE, ReleaseError

VERSION_RE = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def plain(version: str) -> Version:
    """``X.Y.Z`` parsed; ValueError when it is not a plain release of three numbers."""
    text = version.strip()
    try:
        parsed = Version(text)
    except InvalidVersion:
        parsed = None
    if parsed is None or len(parsed.release) != 3 or parsed.base_version != text or parsed.epoch:
        raise ValueError(f"not a plain X.Y.Z version: {version!r}")
    return parsed


def is_plain(version: str) -> bool:
    try:
        plain(version)
    except ValueError:
        return False
    return True


def next_version(current: str, bump: str) -> str:
    """Apply an implied bump ("none", "patch", "minor", "major") to ``X.Y.Z``, by the 0.y.z rule."""
    major, minor, patch = plain(current).release
    if bump == "none":
        return current
    if major == 0:
        return f"0.{minor + 1}.0" if bump == "major" else f"0.{minor}.{patch + 1}"
    if bump not in {"major", "minor", "patch"}:
        raise ValueError(f"unknown bump {bump!r}")
    return plain_bump(current, bump)


def plain_bump(current: str, level: str) -> str:
    """Plain semver: ``major`` -> X+1.0.0, ``minor`` -> X.Y+1.0, ``patch`` -> X.Y.Z+1."""
    major, minor, patch = plain(current).release
    return {
        "major": f"{major + 1}.0.0",
        "minor": f"{major}.{minor + 1}.0",
        "patch": f"{major}.{minor}.{patch + 1}",
    }[level]


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
    if not is_plain(version):
        raise ReleaseError(f"not a plain X.Y.Z version: {version!r}")
    text = path.read_text("utf-8")
    path.write_text(VERSION_RE.sub(f'__version__ = "{version}"', text, count=1), "utf-8")


def plain_current(path: Path = VERSION_FILE) -> str:
    """The current version, which a bump needs as plain X.Y.Z (a ReleaseError, not a ValueError)."""
    version = read_version(path)
    if not is_plain(version):
        raise ReleaseError(f"{path}: version {version!r} is not a plain X.Y.Z; cannot bump it")
    return version


def report_version(path: Path = VERSION_FILE) -> str | None:
    """The current version for a report's "next version", or None when it is not plain X.Y.Z
    (a pre-release has no implied next version; a report must not crash on it)."""
    version = read_version(path)
    return version if is_plain(version) else None
