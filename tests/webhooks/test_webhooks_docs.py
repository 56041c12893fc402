"""Every ```python example of docs/webhooks.md runs as written, on its own (tests/docs runs
them again in page order); a block marked `# Not run in the tests: ...` says why it is not."""

from __future__ import annotations

import pytest
from support.docs import REPO, blocks

DOC = REPO / "docs" / "webhooks.md"
EXAMPLES = [block for block in blocks(DOC) if block.lang == "python" and block.skip_reason is None]


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("block", EXAMPLES, ids=[block.where for block in EXAMPLES])
def test_each_example_runs(block: object) -> None:
    code = block.code  # type: ignore[attr-defined]
    exec(compile(code, str(DOC), "exec"), {"__name__": "docs_example"})  # noqa: S102 - our own docs
