"""Shared by the CLI tests: running `main()` in-process, a child `crewai-amp` process that imports
the same package as the test run, and emulator fixtures' plumbing."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import crewai_amp
import crewai_amp_api
import httpx
import pytest
from crewai_amp._config import ENV_BASE_URL, ENV_TOKEN
from crewai_amp.cli import main
from crewai_amp.testing import AmpEmulator

T = TypeVar("T")
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


def wait_approving_the_review(
    wait: Callable[[], T],
    monkeypatch: pytest.MonkeyPatch,
    base_url: str,
    token: str,
    kickoff_id: str,
    task: str = "write",
) -> T:
    """``wait()`` (a CLI `wait` on a run paused for review), while a reviewer approves `task` from
    another thread once the CLI has shown its first progress line (running or paused)."""
    from crewai_amp.cli import _progress
    from crewai_amp.cli._render import view_of

    shown = threading.Event()
    original = _progress.PlainLines.update

    def update(self: _progress.PlainLines, status: Any) -> None:
        original(self, status)
        if view_of(status).state in ("running", "pending_human_input"):
            shown.set()

    monkeypatch.setattr(_progress.PlainLines, "update", update)

    def approve() -> None:
        if shown.wait(30):
            with httpx.Client(base_url=base_url, trust_env=False) as http:
                http.post(
                    "/resume",
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "execution_id": kickoff_id,
                        "task_id": task,
                        "human_feedback": "ok",
                        "is_approve": True,
                    },
                )

    reviewer = threading.Thread(target=approve)
    reviewer.start()
    try:
        return wait()
    finally:
        reviewer.join()


def start_emulator(monkeypatch: pytest.MonkeyPatch, token: str, **options: Any) -> AmpEmulator:
    """A started emulator (at the suites' SCALE, with ``token``) that the CLI finds through its
    environment variables; the caller stops it."""
    from support.emulator import SCALE

    emulator = AmpEmulator(**{"scale": SCALE, "token": token, **options}).start()
    monkeypatch.setenv(ENV_BASE_URL, emulator.base_url)
    monkeypatch.setenv(ENV_TOKEN, emulator.token)
    return emulator
