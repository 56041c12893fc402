"""The straight line: validate → overlay → REST client → event models → manifest.

Everything is generated into a temporary directory; ``generated/`` is replaced only when every
stage succeeded, so a bad spec leaves it exactly as it was.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import events, manifest, overlay, rest, specs

REPO = Path(__file__).resolve().parent.parent
REST_SPEC = "crewai-amp-rest-api.openapi.yml"
EVENTS_SPEC = "crewai-amp-webhooks.asyncapi.yml"
SPECS = REPO / "specs"
# Spec overlays live with the specs they patch; overlays/ holds only the hand-written package.
SPEC_OVERLAYS = SPECS / "overlays"


class OutputError(Exception):
    """The output path is not a generated tree that generation may replace."""


@dataclass
class Inputs:
    rest: specs.Spec
    events: specs.Spec
    overlays: list[overlay.Overlay]


def _load_kind(path: Path, kind: str) -> specs.Spec:
    # The file name says which generator reads it, so a spec must be of the kind its name says:
    # an OpenAPI document read as the events spec has no messages (no event models at all), and
    # openapi-python-client cannot read an AsyncAPI document.
    spec = specs.load_and_validate(path)
    if spec.kind != kind:
        names = {"openapi": "OpenAPI", "asyncapi": "AsyncAPI"}
        raise spec.error(f"expected the {names[kind]} spec under this name, found {names[spec.kind]}", "/")
    return spec


def load_inputs(spec_dir: Path, overlay_dir: Path) -> Inputs:
    """Stages 1 and 2's inputs: both specs validated, every overlay parsed and matched."""
    rest_spec = _load_kind(spec_dir / REST_SPEC, "openapi")
    events_spec = _load_kind(spec_dir / EVENTS_SPEC, "asyncapi")
    overlays = overlay.load_overlays(overlay_dir)
    overlay.check_overlays_match([rest_spec, events_spec], overlays)
    return Inputs(rest_spec, events_spec, overlays)


def _validate_overlaid(spec: specs.Spec, document: dict[str, object]) -> None:
    # An overlay can break a valid spec; validate what the generators will actually read.
    patched = specs.Spec(path=spec.path, raw=spec.raw, data=document, lines={})
    try:
        (specs.validate_asyncapi if spec.kind == "asyncapi" else specs.validate_openapi)(patched)
    except specs.SpecError as exc:
        raise specs.SpecError(spec.path, f"invalid after overlays: {exc}") from None


def overlaid(
    inputs: Inputs, notes: overlay.Notes | None = None
) -> tuple[dict[str, object], dict[str, object]]:
    """Stage 2: both specs with the overlays applied (a patch that selects nothing fails), validated.
    ``notes`` collects where upstream now overlaps an overlay and which rules went stale."""
    rest_doc = overlay.apply_overlays(inputs.rest, inputs.overlays, notes)
    events_doc = overlay.apply_overlays(inputs.events, inputs.overlays, notes)
    _validate_overlaid(inputs.rest, rest_doc)
    _validate_overlaid(inputs.events, events_doc)
    return rest_doc, events_doc


def generate_into(out_dir: Path, inputs: Inputs, repo: Path = REPO) -> None:
    """Run stages 2-5 into an empty directory."""
    rest_doc, events_doc = overlaid(inputs)

    # A generator's own message names only its temporary input: say which spec it was reading.
    try:
        manifest.stamp(rest.generate_rest(rest_doc, out_dir), inputs.rest)
    except rest.GeneratorFailed as exc:
        raise rest.GeneratorFailed(f"{inputs.rest.path}: {exc}") from None
    try:
        manifest.stamp(events.generate_events(events.payload_schema(events_doc), out_dir), inputs.events)
    except rest.GeneratorFailed as exc:
        raise rest.GeneratorFailed(f"{inputs.events.path}: {exc}") from None
    manifest.write_manifest(out_dir, [inputs.rest, inputs.events], [o.spec for o in inputs.overlays], repo)


def up_to_date(target: Path, inputs: Inputs, repo: Path = REPO) -> bool:
    """True when MANIFEST.json records these exact inputs and every produced file is intact."""
    try:
        recorded = json.loads((target / "MANIFEST.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    expected = {
        "specs": {f"specs/{s.path.name}": s.sha256 for s in (inputs.rest, inputs.events)},
        "overlays": {manifest.overlay_key(o.spec.path): o.spec.sha256 for o in inputs.overlays},
        "tools": manifest.tool_versions(),
    }
    if any(recorded.get(key) != value for key, value in expected.items()):
        return False
    if recorded.get("generator_config") != manifest.pipeline_hashes(repo):
        return False
    produced = recorded.get("produced", {})
    # Byte-code caches are not outputs (drift ignores them too): importing generated/ from source
    # must not make every `--if-changed` run regenerate.
    actual = sorted(
        str(p.relative_to(target))
        for p in target.rglob("*")
        if p.is_file() and p.name != "MANIFEST.json" and "__pycache__" not in p.parts
    )
    if sorted(produced) != actual:
        return False
    return all(manifest.sha256_file(target / name) == digest for name, digest in produced.items())


def generate(
    target: Path,
    *,
    spec_dir: Path = SPECS,
    overlay_dir: Path = SPEC_OVERLAYS,
    force: bool = True,
) -> bool:
    """Regenerate ``target`` atomically. Returns False when it was already up to date."""
    inputs = load_inputs(spec_dir, overlay_dir)
    if not force and up_to_date(target, inputs):
        return False
    # The swap below deletes what was at target: only ever a previous generated tree (or an empty
    # directory), never a file or a directory a mistyped --output happens to name.
    if target.exists() and not (
        target.is_dir() and ((target / "MANIFEST.json").is_file() or not any(target.iterdir()))
    ):
        raise OutputError(
            f"{target}: exists and is not a generated tree (no MANIFEST.json); refusing to replace it"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".generated-", dir=target.parent) as tmp:
        staging = Path(tmp) / "out"
        staging.mkdir()
        generate_into(staging, inputs)
        # Swap: move the old tree aside, move the new one in, then drop the old one.
        old = Path(tmp) / "old"
        if target.exists():
            target.rename(old)
        staging.rename(target)
    return True


def diff_trees(expected: Path, actual: Path) -> list[str]:
    """Relative paths that differ between two trees (added, removed or changed)."""

    def files(root: Path) -> dict[str, bytes]:
        if not root.exists():
            return {}
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }

    want, have = files(expected), files(actual)
    return sorted(name for name in want.keys() | have.keys() if want.get(name) != have.get(name))


def check_drift(target: Path) -> list[str]:
    """Regenerate into a temporary directory and list the files where ``target`` differs."""
    inputs = load_inputs(SPECS, SPEC_OVERLAYS)
    with tempfile.TemporaryDirectory(prefix="amp-drift-") as tmp:
        fresh = Path(tmp) / "generated"
        fresh.mkdir()
        generate_into(fresh, inputs)
        return diff_trees(fresh, target)
