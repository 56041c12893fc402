"""A message added to the AsyncAPI spec reaches users by regeneration alone: the generator emits
the name -> model registry, and the installed crewai_amp parses the new message by name and on
its channel with no edit to the hand-written package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
EVENTS_SPEC = "crewai-amp-webhooks.asyncapi.yml"


def add_message(data: dict) -> None:  # type: ignore[type-arg]
    data["components"]["schemas"]["CrewStartedPayload"] = {
        "type": "object",
        "required": ["kickoff_id", "started_at"],
        "properties": {"kickoff_id": {"type": "string"}, "started_at": {"type": "string"}},
    }
    data["components"]["messages"]["CrewStarted"] = {
        "name": "CrewStarted",
        "payload": {"$ref": "#/components/schemas/CrewStartedPayload"},
    }
    data["channels"]["crewStartEvents"] = {
        "address": "{crewStartUrl}",
        "messages": {"crewStarted": {"$ref": "#/components/messages/CrewStarted"}},
    }


def test_a_new_message_is_parsed_by_name_and_channel_after_regeneration(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(REPO / "specs", specs)
    path = specs / EVENTS_SPEC
    data = yaml.safe_load(path.read_text("utf-8"))
    add_message(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    out = tmp_path / "out"
    generated = subprocess.run(
        [sys.executable, "-m", "generator", "generate", "--specs", str(specs), "--output", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert generated.returncode == 0, generated.stderr
    registry = (out / "crewai_amp_events" / "registry.py").read_text("utf-8")
    assert '"CrewStarted": CrewStartedPayload,' in registry
    assert '"crewStartEvents": ("CrewStarted",),' in registry

    code = (
        "import json\n"
        "from crewai_amp.webhooks import parse_event, parse_message, EventParseError\n"
        "body = json.dumps({'kickoff_id': 'k', 'started_at': 'now'})\n"
        "by_name = parse_message(body, 'CrewStarted')\n"
        "on_channel = parse_event(body, channel='crewStart')\n"
        "inferred = parse_event(body)\n"
        "try:\n"
        "    parse_message('{}', 'CrewStarted')\n"
        "    bad = None\n"
        "except EventParseError as exc:\n"
        "    bad = sorted(e['field'] for e in exc.errors)\n"
        "print(json.dumps([type(e).__name__ for e in (by_name, on_channel, inferred)] + [bad]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(out), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "CrewStartedPayload",
        "CrewStartedPayload",
        "CrewStartedPayload",
        ["kickoff_id", "started_at"],
    ]
