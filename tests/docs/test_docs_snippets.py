"""Every code block in README.md and docs/**/*.md runs as written against the installed wheel and
the emulator, or says to readers why it does not (see tests/support/docs.py for the rule).

A python block that defines `test_` functions is also run by pytest, so an example test that
uses the `amp_emulator` fixture is proved to pass, not only to import.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.docs import DRIVER, NOT_CODE, REPO, RUN, Block, blocks, pages

PAGES = pages()
ALL_BLOCKS = [block for page in PAGES for block in blocks(page)]
RUNNABLE_PAGES = [
    page for page in PAGES if any(b.lang in RUN and b.skip_reason is None for b in blocks(page))
]
TEST_BLOCKS = [
    block
    for block in ALL_BLOCKS
    if block.lang in RUN
    and block.skip_reason is None
    and re.search(r"^\s*(async )?def test_", block.code, re.M)
]


def _env() -> dict[str, str]:
    """The tests' environment without the user's AMP settings: a page must say what it uses."""
    return {key: value for key, value in os.environ.items() if not key.startswith("CREWAI_AMP_")}


def test_the_readme_and_docs_have_runnable_snippets() -> None:
    names = {page.relative_to(REPO).as_posix() for page in RUNNABLE_PAGES}
    assert "README.md" in names
    assert "docs/getting-started.md" in names


def test_every_block_runs_or_says_why_not() -> None:
    unmarked = [
        f"{b.where} ({b.lang})"
        for b in ALL_BLOCKS
        if b.lang not in RUN and b.lang not in NOT_CODE and b.skip_reason is None
    ]
    assert not unmarked, (
        "these blocks are not run by the tests: make them python that runs, or start them with "
        f"`# Not run in the tests: <reason>`: {unmarked}"
    )


# What a docs page shows without a horizontal scroll bar, so that the expected output in a
# trailing comment stays in sight.
MAX_COLUMNS = 88


def test_every_code_block_fits_in_88_columns() -> None:
    long = [
        f"{b.page}:{b.line + n} ({len(line)} columns)"
        for b in ALL_BLOCKS
        for n, line in enumerate(b.code.splitlines(), 1)
        if len(line) > MAX_COLUMNS
    ]
    assert not long, f"wrap these lines (a long comment goes on its own line above): {long}"


def test_a_marked_block_gives_a_reason() -> None:
    marked = [b for b in ALL_BLOCKS if b.skip_reason is not None]
    assert all(len(b.skip_reason or "") >= 8 for b in marked), [b.where for b in marked]


@pytest.mark.parametrize("page", RUNNABLE_PAGES, ids=[p.relative_to(REPO).as_posix() for p in RUNNABLE_PAGES])
def test_page_runs(page: Path, tmp_path: Path) -> None:
    runnable = [
        {"where": b.where, "code": b.code} for b in blocks(page) if b.lang in RUN and b.skip_reason is None
    ]
    result = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps(runnable),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=_env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]


@pytest.mark.parametrize("block", TEST_BLOCKS, ids=[b.where for b in TEST_BLOCKS])
def test_example_tests_pass(block: Block, tmp_path: Path) -> None:
    (tmp_path / "test_example.py").write_text(block.code, "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "."],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=_env(),
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\b[1-9]\d* passed", result.stdout), result.stdout[-2000:]


def test_the_parser_finds_indented_blocks_and_reads_the_marker(tmp_path: Path) -> None:
    page = tmp_path / "probe.md"
    text = (
        "# t\n\n```python\nprint(1)\n```\n\n- item\n\n    ```bash\n    # Not run in the tests: needs a shell\n"
        "    echo hi\n    ```\n\n```text\nout\n```\n"
    )
    page.write_text(text, "utf-8")
    found = blocks(page, root=tmp_path)
    assert [(b.lang, b.line, b.skip_reason) for b in found] == [
        ("python", 3, None),
        ("bash", 9, "needs a shell"),
        ("text", 14, None),
    ]
    assert found[1].code.startswith("# Not run")  # dedented
