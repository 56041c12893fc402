"""The Performance page's table is rendered from the committed bench results, never pasted."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType

from support.docs import REPO

HOOK = REPO / "docs" / "_hooks" / "bench_table.py"
RESULTS = REPO / "bench-results" / "results.json"
PAGE = REPO / "docs" / "maintainers" / "performance.md"


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_table", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_gets_one_row_per_committed_result() -> None:
    hook = _hook()
    results = json.loads(RESULTS.read_text("utf-8"))
    page = PAGE.read_text("utf-8")
    assert hook.MARKER in page
    rendered = hook.on_page_markdown(page)
    assert hook.MARKER not in rendered
    rows = [line for line in rendered.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(results["rows"])  # the header, then one per result
    for row in results["rows"]:
        assert row["metric"].replace("|", "\\|") in rendered


def test_the_table_says_what_run_it_comes_from_and_marks_missed_goals() -> None:
    results = {
        "machine": {"python": "3.12.1", "machine": "x86_64", "cpus": 2},
        "run": {"date": "2026-12-01", "quick": True},
        "rows": [
            {"benchmark": "b", "metric": "a | b", "value": 1.234, "unit": "×", "goal": "≤ 1×", "met": False},
            {"benchmark": "c", "metric": "d", "value": 3, "unit": "s", "goal": "informational", "met": None},
        ],
        "failures": {"fanout": "RuntimeError: boom"},
    }
    text = _hook().render(results)
    assert "a quick run" in text and "2026-12-01" in text and "3.12.1" in text
    assert "| b | a \\| b | 1.23 × |  | ≤ 1× | **no** |" in text
    assert "| c | d | 3 s |  | informational | — |" in text
    assert "`fanout` failed: RuntimeError: boom" in text


def test_a_page_without_the_marker_is_left_alone() -> None:
    assert _hook().on_page_markdown("# Other\n") == "# Other\n"
