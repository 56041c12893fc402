"""Living with spec updates, apart from the generation stages:
``python -m generator.release {diff,changelog,bump,publish,vendor}``.

- ``diff OLD [NEW]``: what a spec change does to users, classified breaking/additive/patch, with
  the semver bump it implies; compares the public Python API of the packages generated from OLD
  and NEW (griffe); and lists the operations the hand-written client has no method for.
  Exit 1 on a breaking change unless ``--allow-breaking``.
- ``changelog OLD [NEW] (--version X.Y.Z | --bump)``: prepends the diff's summary to
  CHANGELOG.md under a new version heading (``--bump`` also writes the implied version).
- ``bump major|minor|patch``: a plain semver bump of ``overlays/crewai_amp/_version.py``.
- ``publish [DIST]``: refuses on drift, on a dist/ that is not this version, on a failing
  ``twine check`` or on a version the index already has; then ``twine upload``.
- ``vendor DEST``: the event (and REST) models as a self-contained package.

OLD and NEW are a spec file, a directory holding the specs (with its own ``overlays/`` of spec
overlays, if it has one), or ``git:REV`` (``specs/`` and the spec overlays at that revision).
NEW defaults to ``specs/``.

Nothing in this package shapes ``generated/``: editing it never makes ``generated/`` drift.
"""

from __future__ import annotations

from . import apidiff
from .common import ReleaseError
from .publish import dist_files, index_files, publish, simple_url_for
from .sides import build_report, load_side
from .vendor import vendor
from .versions import read_version, write_version

__all__ = [
    "ReleaseError",
    "apidiff",
    "build_report",
    "dist_files",
    "index_files",
    "load_side",
    "publish",
    "read_version",
    "simple_url_for",
    "vendor",
    "write_version",
]
