"""Shared by the CLI tests: running `main()` in-process, a child `crewai-amp` process that imports
the same package as the test run, and emulator fixtures' plumbing."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import crewai_amp
import crewai_amp_api
import pytest
from crewai_amp.cli import main

TRY = ["--input", "topic=AI", "--input", "target_audience=devs", "--input", "depth=short"]
ENV_NAMES = ("CREWAI_AMP_BASE_URL", "CREWAI_AMP_TOKEN", "CREWAI_AMP_WEBHOOK_SECRET")


class Run:
    """One CLI run: exit code, stdout, stderr."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err
        assert "Traceback" not in err, err

    def json(self) -> Any:
        return json.loads(self.out)

    def error(self) -> dict[str, Any]:
        """The one `--json` error on stderr (notices, such as a review pause, may precede it)."""
        documents = [json.loads(line) for line in self.err.strip().splitlines()]
        errors = [document["error"] for document in documents if "error" in document]
        assert len(errors) == 1 and "error" in documents[-1], self.err
        body: dict[str, Any] = errors[0]
        return body

    def error_line(self) -> str:
        """The one `error: ...` line on stderr, the last one."""
        lines = self.err.strip().splitlines()
        errors = [line for line in lines if line.startswith("error: ")]
        assert len(errors) == 1 and lines[-1].startswith("error: "), self.err
        return errors[0]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    code = main(list(argv))
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python that imports the same crewai_amp as this test run
    (the installed wheel under nox; overlays/ and generated/ in the dev loop)."""
    roots = {
        str(Path(crewai_amp.__file__).resolve().parent.parent),
        str(Path(crewai_amp_api.__file__).resolve().parent.parent),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREWAI_AMP_")}
    env["PYTHONPATH"] = os.pathsep.join([*sorted(roots), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def child_command(*argv: str) -> list[str]:
    """`crewai-amp argv...` as a child process."""
    return [sys.executable, "-m", "crewai_amp", *argv]
