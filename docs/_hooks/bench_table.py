"""mkdocs hook: the Performance page's benchmark table, rendered from the committed results file.

`nox -s bench` writes bench-results/results.json; committing that file updates the page. The
page holds the marker `<!-- bench-table -->` where the table goes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MARKER = "<!-- bench-table -->"
RESULTS = Path(__file__).resolve().parents[2] / "bench-results" / "results.json"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|")


def render(results: dict[str, Any]) -> str:
    """The results file as a Markdown table, with the run's date, mode and machine."""
    rows = [
        "| benchmark | metric | median | min–max | goal | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in results.get("rows", []):
        met = {True: "yes", False: "**no**", None: "—"}[row.get("met")]
        value = f"{row['value']:.3g} {row.get('unit', '')}".strip()
        cells = (row["benchmark"], row["metric"], value, row.get("spread", ""), row.get("goal", ""), met)
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    run = results.get("run", {})
    machine = results.get("machine", {})
    mode = "a quick run (`--quick`: fewer rounds)" if run.get("quick") else "a full run"
    about = (
        f"Results of {mode} on {run.get('date', 'an unrecorded date')}: Python "
        f"{machine.get('python', '?')}, {machine.get('cpus', '?')} CPUs ({machine.get('machine', '?')})."
    )
    failures = results.get("failures") or {}
    failed = "".join(f"\n- `{name}` failed: {_cell(why)}" for name, why in failures.items())
    return about + "\n\n" + "\n".join(rows) + ("\n\nBenchmarks that failed:\n" + failed if failed else "")


def on_page_markdown(markdown: str, **_: Any) -> str:
    if MARKER not in markdown:
        return markdown
    if not RESULTS.exists():
        raise FileNotFoundError(f"{RESULTS}: run `nox -s bench` and commit bench-results/results.json")
    return markdown.replace(MARKER, render(json.loads(RESULTS.read_text("utf-8"))))
