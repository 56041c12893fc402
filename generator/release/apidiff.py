"""What a spec change does to the SDK's users: two spec dicts in, a list of
:class:`~.changes.Change` out (see ``changes`` for the classification rule).

This module is the diff's front door; the work is split by job: ``schemadiff`` (JSON Schema),
``openapi`` and ``asyncapi`` (the document walkers), ``pyapi`` (griffe), ``versions`` and
``report`` (renderers, CHANGELOG).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .asyncapi import diff_asyncapi
from .changes import Change, implied_bump
from .openapi import diff_openapi
from .pyapi import python_api_changes
from .report import Report, SpecPair, changelog_entry, prepend_changelog, render_markdown, render_text
from .versions import next_version, plain_bump

__all__ = [
    "Change",
    "Report",
    "SpecPair",
    "changelog_entry",
    "diff_asyncapi",
    "diff_openapi",
    "diff_specs",
    "implied_bump",
    "next_version",
    "plain_bump",
    "prepend_changelog",
    "python_api_changes",
    "render_markdown",
    "render_text",
    "spec_kind",
]


def spec_kind(doc: Mapping[str, Any]) -> str:
    return "asyncapi" if "asyncapi" in doc else "openapi"


def diff_specs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Dispatch on the document kind (both must be the same kind)."""
    if spec_kind(old) != spec_kind(new):
        raise ValueError(f"cannot compare a {spec_kind(old)} document with a {spec_kind(new)} one")
    return diff_asyncapi(old, new) if spec_kind(old) == "asyncapi" else diff_openapi(old, new)
