"""The README's Python snippets run as written (against the installed wheel and the emulator).

Snippets that need a framework this suite does not install (FastAPI, Flask) or a real AMP crew
are listed as skipped with the reason, so a new snippet is run by default.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import REPO

BLOCKS = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text("utf-8"), re.S)
NOT_RUNNABLE_HERE = {
    "from fastapi": "needs FastAPI",
    "from flask": "needs Flask",
    'base_url="https://my-crew.crewai.com"': "needs a real crew (it only configures a client)",
    "from amp_models": "needs the package `nox -s vendor` writes (tests/test_vendor.py imports it)",
    "amp.faults.error_rate = 0.3": "a fragment continuing the emulator example above it",
    "webhooks.verify(body, headers, secret=amp.webhook_secret)": "a fragment inside a receiver example",
}


def _skip_reason(block: str) -> str | None:
    return next((reason for marker, reason in NOT_RUNNABLE_HERE.items() if marker in block), None)


def test_the_readme_has_snippets() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("block", BLOCKS, ids=[f"snippet-{i}" for i in range(len(BLOCKS))])
def test_snippet_runs(block: str) -> None:
    reason = _skip_reason(block)
    if reason:
        pytest.skip(reason)
    result = subprocess.run(
        [sys.executable, "-c", block], capture_output=True, text=True, timeout=120, cwd=REPO, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
