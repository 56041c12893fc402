"""One side of a diff (a spec file, a directory of specs, or ``git:REV``) and the report that
compares two sides: every spec kind they share, and the Python API generated from each."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import events, overlay, pipeline, rest
from ..rest import GeneratorFailed
from ..specs import Spec, SpecError, load_and_validate
from .apidiff import diff_specs
from .changes import Change
from .common import LABELS, OVERLAYS, REPO, SPEC_FILES, SPECS, ReleaseError
from .coverage import uncovered
from .pyapi import python_api_changes
from .report import Report, SpecPair

# Where a revision keeps its spec overlays: older revisions kept them beside the hand-written package.
OVERLAY_DIRS_AT_REV = ("specs/overlays/", "overlays/")


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
    own_overlays: bool = False  # the side brought them (git:REV, a specs tree with overlays/)


def _git(*args: str) -> bytes:
    result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def load_side(arg: str | Path, workdir: Path) -> Side:
    """Read one side of a diff: a spec file, a directory of specs, or ``git:REV``.

    Every spec is validated as the pipeline validates it (a SpecError names file and location).
    """
    text = str(arg)
    paths: list[Path] = []
    overlays = OVERLAYS
    own = False
    if text.startswith("git:"):
        own = True
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
                overlays, own = path / "overlays", True
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
    return Side(text, specs, overlays, own)


def _inputs(side: Side, fallback: Side, spec_dir: Path) -> pipeline.Inputs:
    """The pipeline's inputs for one side: its specs, already loaded and validated, named as the
    pipeline names them (which the overlays' ``extends`` match); a kind this side lacks comes from
    the other side (so that package compares equal to itself)."""
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
) -> Report:
    """Load both sides, diff every spec kind they share, and (optionally) the generated Python API."""
    with tempfile.TemporaryDirectory(prefix="amp-diff-") as tmp:
        work = Path(tmp)
        old = load_side(old_arg, work / "old-src")
        new = load_side(new_arg, work / "new-src")
        pairs: list[SpecPair] = []
        for kind in ("openapi", "asyncapi"):
            if kind in old.specs and kind in new.specs:
                before, after = old.specs[kind], new.specs[kind]
                pair = SpecPair(
                    LABELS[kind],
                    SPEC_FILES[kind],
                    before.version,
                    after.version,
                    before.sha256,
                    after.sha256,
                    diff_specs(*_documents(old, new, kind)),
                )
                pairs.append(pair)
        if not pairs:
            raise ReleaseError(f"{old_arg} and {new_arg} share no spec kind to compare")
        changes: list[Change] | None = None
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
            changes = python_api_changes(old_gen, new_gen)
        new_rest = new.specs.get("openapi")
        old_rest = old.specs.get("openapi")
        missing = (
            uncovered(old_rest.data if old_rest else None, new_rest.data) if new_rest is not None else None
        )
        report = Report(_label(old_arg), _label(new_arg), pairs, changes, current_version, missing)
        notes = overlay_notes(new)
        already = _overlapping(old) if old.own_overlays else set()
        report.overlaps = [o.describe() for o in notes.overlaps if (o.overlay, o.at) not in already]
        report.stale_overlays = notes.stale_rules
        return report


def _overlapping(side: Side) -> set[tuple[str, str]]:
    """Where the side's own spec overlays already overlapped its upstream specs: an overlay that
    was written to patch an upstream definition is no news in a diff; only what a new spec
    brings to overlap is ("now overlaps")."""
    try:
        return {(o.overlay, o.at) for o in overlay_notes(side).overlaps}
    except ReleaseError:
        return set()


def overlay_notes(side: Side) -> overlay.Notes:
    """What the side's spec overlays meet in its specs: overlaps with upstream, stale rules."""
    notes = overlay.Notes()
    try:
        overlays = overlay.load_overlays(side.overlays)
        for spec_file in side.specs.values():
            overlay.apply_overlays(spec_file.spec, overlays, notes)
    except SpecError as exc:
        raise ReleaseError(f"{side.label}: applying its spec overlays failed: {exc}") from None
    return notes


def _documents(old: Side, new: Side, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two documents to diff. When both sides bring their spec overlays (git:REV, a specs
    tree with overlays/, the default specs/), each is taken with its own applied: what its SDK
    is generated from, so the diff shows what a spec overlay adds (what deployed AMP is observed
    to send) as well as what the upstream spec changed. Otherwise the specs as written."""
    if not (old.own_overlays and new.own_overlays):
        return old.specs[kind].data, new.specs[kind].data
    documents = []
    for side in (old, new):
        try:
            documents.append(
                overlay.apply_overlays(side.specs[kind].spec, overlay.load_overlays(side.overlays))
            )
        except SpecError as exc:
            raise ReleaseError(f"{side.label}: applying its spec overlays failed: {exc}") from None
    return documents[0], documents[1]


def _label(arg: str | Path) -> str:
    text = str(arg)
    if text.startswith("git:"):
        return text
    try:
        return str(Path(text).resolve().relative_to(Path.cwd())) or "."
    except ValueError:
        return text
