"""A diff report (both specs' changes and the Python API's) and its renderers: Markdown, text and
a Keep a Changelog entry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .changes import Change, implied_bump
from .coverage import Operation, describe
from .versions import next_version


@dataclass
class SpecPair:
    """One spec on both sides: its label, versions and hashes (for the report header)."""

    label: str
    file: str
    old_version: str
    new_version: str
    old_sha256: str
    new_sha256: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class Report:
    old_label: str
    new_label: str
    specs: list[SpecPair]
    python_api: list[Change] | None = None  # None: not checked
    current_version: str | None = None
    uncovered: list[Operation] | None = None  # None: no REST spec on the new side
    # The new side's spec overlays against its specs: where upstream now defines what one
    # patches (overlay.Overlap.describe()), and overlays whose rules all select nothing.
    overlaps: list[str] = field(default_factory=list)
    stale_overlays: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [c for pair in self.specs for c in pair.changes] + list(self.python_api or [])

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    @property
    def bump(self) -> str:
        return implied_bump(self.changes)

    @property
    def next_version(self) -> str | None:
        return next_version(self.current_version, self.bump) if self.current_version else None


def _bump_sentence(report: Report) -> str:
    bump = report.bump
    counts = {
        level: sum(1 for c in report.changes if c.level == level)
        for level in ("breaking", "additive", "patch")
    }
    why = ", ".join(f"{n} {level}" for level, n in counts.items() if n) or "no changes"
    if bump == "none":
        text = "Implied bump: none (no user-visible change; no release needed)."
    else:
        text = f"Implied bump: {bump} ({why})."
    if report.current_version and bump != "none":
        nxt = report.next_version
        if report.current_version.startswith("0."):
            text += (
                f" The SDK is pre-1.0 ({report.current_version}): by the 0.y.z convention a breaking change"
                f" bumps y and anything else bumps z, so the next version is {nxt}."
            )
        else:
            text += f" Next version: {report.current_version} → {nxt}."
    return text


def render_markdown(report: Report) -> str:
    lines = [f"# API diff: {report.old_label} → {report.new_label}", ""]
    for pair in report.specs:
        same = (
            "unchanged"
            if pair.old_sha256 == pair.new_sha256
            else f"sha256 {pair.old_sha256[:12]} → {pair.new_sha256[:12]}"
        )
        lines.append(
            f"- {pair.label} (`{pair.file}`): version {pair.old_version} → {pair.new_version}, {same}"
        )
    lines.append("")
    for pair in report.specs:
        lines.append(f"## {pair.label}")
        lines.append("")
        if not pair.changes:
            lines.append("No user-visible changes.")
            lines.append("")
            continue
        for level, title in (("breaking", "Breaking"), ("additive", "Additive"), ("patch", "Other (patch)")):
            items = [c for c in pair.changes if c.level == level]
            if items:
                lines.append(f"### {title} ({len(items)})")
                lines.append("")
                lines.extend(f"- `{c.location}`: {c.description} [{c.kind}]" for c in items)
                lines.append("")
    lines.append("## Python API of the generated packages (griffe)")
    lines.append("")
    if report.python_api is None:
        lines.append("Not checked (`--no-python-api`).")
    elif not report.python_api:
        lines.append("No breaking changes in crewai_amp_api or crewai_amp_events.")
    else:
        lines.extend(f"- **Breaking** `{c.location}`: {c.description}" for c in report.python_api)
    lines.append("")
    if report.uncovered is not None:
        lines.append("## Operations without a method on AmpClient")
        lines.append("")
        lines.extend(f"- {describe(op)}" for op in report.uncovered)
        lines.extend([] if report.uncovered else ["Every operation has a method on AmpClient."])
        lines.append("")
    if report.overlaps or report.stale_overlays:
        lines.append("## Spec overlays to review")
        lines.append("")
        lines.extend(f"- {text}" for text in report.overlaps)
        lines.extend(f"- {text}" for text in _stale(report))
        lines.append("")
    lines.append(f"**{_bump_sentence(report)}**")
    return "\n".join(lines) + "\n"


def _stale(report: Report) -> list[str]:
    return [
        f"spec overlay {name}: its rules select nothing any more (upstream fixed what it relaxes?): retire it"
        for name in report.stale_overlays
    ]


def render_text(report: Report) -> str:
    lines = [f"API diff: {report.old_label} -> {report.new_label}"]
    for pair in report.specs:
        lines.append(f"  {pair.label} ({pair.file}): {pair.old_version} -> {pair.new_version}")
    for pair in report.specs:
        lines.append("")
        lines.append(f"{pair.label}:")
        if not pair.changes:
            lines.append("  no user-visible changes")
        for c in pair.changes:
            lines.append(f"  {c.level.upper():9} {c.location}: {c.description}")
    lines.append("")
    lines.append("Python API (griffe):")
    if report.python_api is None:
        lines.append("  not checked")
    elif not report.python_api:
        lines.append("  no breaking changes")
    for c in report.python_api or []:
        lines.append(f"  BREAKING  {c.location}: {c.description}")
    if report.uncovered is not None:
        lines.append("")
        lines.append("Operations without a method on AmpClient:")
        lines.extend(f"  {describe(op)}" for op in report.uncovered)
        lines.extend([] if report.uncovered else ["  none"])
    if report.overlaps or report.stale_overlays:
        lines.append("")
        lines.append("Spec overlays to review:")
        lines.extend(f"  {text}" for text in [*report.overlaps, *_stale(report)])
    lines.append("")
    lines.append(_bump_sentence(report))
    return "\n".join(lines) + "\n"


def changelog_entry(report: Report, version: str, date: str) -> str:
    """A Keep a Changelog section for ``version`` summarising the report."""
    added: list[str] = []
    changed: list[str] = []
    deprecated: list[str] = []
    removed: list[str] = []
    docs = 0
    for c in report.changes:
        text = f"`{c.location}`: {c.description}"
        if c.kind == "docs-changed":
            docs += 1
        elif c.kind == "deprecated":
            deprecated.append(text)
        elif c.breaking and (
            c.kind.endswith("-removed") or (c.kind == "python-api" and "removed" in c.description)
        ):
            removed.append(f"**Breaking:** {text}")
        elif c.breaking:
            changed.append(f"**Breaking:** {text}")
        elif c.additive:
            added.append(text)
        else:
            changed.append(text)
    if docs:
        changed.append(f"Documentation updated in {docs} place{'s' if docs != 1 else ''} of the specs.")
    specs = "; ".join(
        f"{p.label} {p.old_version} → {p.new_version}"
        if p.old_sha256 != p.new_sha256
        else f"{p.label} {p.new_version} (unchanged)"
        for p in report.specs
    )
    lines = [
        f"## [{version}] - {date}",
        "",
        f"Regenerated from the specs: {specs}. Implied bump: {report.bump}.",
        "",
    ]
    for title, items in (
        ("Added", added),
        ("Changed", changed),
        ("Deprecated", deprecated),
        ("Removed", removed),
    ):
        if items:
            lines.append(f"### {title}")
            lines.append("")
            lines.extend(f"- {item}" for item in items)
            lines.append("")
    if not (added or changed or deprecated or removed):
        lines.extend(["### Changed", "", "- Regenerated; no user-visible API change.", ""])
    return "\n".join(lines)


def prepend_changelog(text: str, entry: str) -> str:
    """Insert ``entry`` above the newest version section (below the title and [Unreleased])."""
    version = re.search(r"^## \[(.+?)\]", entry, re.MULTILINE)
    if version and re.search(rf"^## \[{re.escape(version.group(1))}\]", text, re.MULTILINE):
        raise ValueError(f"CHANGELOG already has a section for {version.group(1)}")
    matches = [
        m for m in re.finditer(r"^## \[(.+?)\]", text, re.MULTILINE) if m.group(1).lower() != "unreleased"
    ]
    if matches:
        at = matches[0].start()
        return text[:at] + entry.rstrip("\n") + "\n\n" + text[at:]
    return text.rstrip("\n") + "\n\n" + entry.rstrip("\n") + "\n"
