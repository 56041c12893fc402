"""Code blocks of the Markdown pages (README.md, docs/**/*.md), and the rule for running them.

The rule readers see: a block runs in the tests as written, unless its first line is a comment
`# Not run in the tests: <reason>`, which shows the reason to readers inside the block itself.
`python` blocks run, in page order, in one namespace per page. Blocks in `text`, `json` or no
language show output or data, not code. Any other language (bash, console, ...) is not run and
so must carry the marker.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN = frozenset({"python", "py"})
NOT_CODE = frozenset({"", "text", "json"})
MARKER = re.compile(r"^\s*(?:#|//|<!--)\s*Not run in the tests:\s*(?P<reason>\S.*?)\s*(?:-->)?\s*$")
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)


@dataclass(frozen=True)
class Block:
    page: str  # relative to the repo
    line: int  # 1-based line of the opening fence
    lang: str
    code: str

    @property
    def skip_reason(self) -> str | None:
        first = self.code.split("\n", 1)[0]
        match = MARKER.match(first)
        return match.group("reason") if match else None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """README.md and every page under docs/, whichever exist."""
    found = [REPO / "README.md"] if (REPO / "README.md").exists() else []
    return found + sorted((REPO / "docs").glob("**/*.md"))


def blocks(page: Path, root: Path = REPO) -> list[Block]:
    text = page.read_text("utf-8")
    name = page.relative_to(root).as_posix()
    return [
        Block(
            page=name,
            line=text.count("\n", 0, match.start()) + 1,
            lang=match.group("lang").lower(),
            code=textwrap.dedent(match.group("body")),
        )
        for match in FENCE.finditer(text)
    ]


# Runs a page's python blocks in order in one namespace; a failure names the page and line.
DRIVER = r"""
import json, sys, traceback
blocks = json.load(sys.stdin)
namespace = {"__name__": "__main__"}
for block in blocks:
    try:
        exec(compile(block["code"], block["where"], "exec"), namespace)
    except BaseException:
        sys.stderr.write("block at " + block["where"] + " failed:\n" + traceback.format_exc())
        sys.exit(1)
"""
