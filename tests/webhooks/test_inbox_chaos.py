"""The Redis inbox under faults, with real processes on 127.0.0.1: two receivers (uvicorn), three
workers (``RedisInbox.work``), one redis-server, each started here and stopped by its pid.

- The issue's acceptance run: 300 distinct signed deliveries, each sent 3 times across the two
  receivers, ~10 % of ids failing their first attempt, one worker SIGKILLed in the middle of a
  handler: every id is handled successfully exactly once, none is lost.
- A worker SIGKILLed at any moment: nothing is lost, and at most the entry whose handler had
  returned but whose ack had not reached Redis runs twice.
- Redis paused (SIGSTOP) and Redis killed (SIGKILL): no delivery gets a 2xx while it is out;
  afterwards the senders' retries are stored and handled, and the workers carry on by themselves.
- The dead-letter path: a handler that keeps failing sends its entry to the dead letters, the
  CLI replays it, and it is handled once the handler is fixed.

Nothing here waits a fixed time for an outcome: each step polls for its condition under a
generous deadline, so a loaded machine only makes the run slower.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from crewai_amp.webhooks import InboxStats, RedisInbox, sign
from support.receiver import RedisProcess, receiver_process, redis_process

SECRET = "whsec_" + base64.b64encode(b"inbox-chaos-secret-32-bytes-long").decode()
DEADLINE = 240.0  # seconds any one condition may take on a loaded 2-core machine
STREAM = "chaos:webhooks"
IDS = 300
COPIES = 3

RECEIVER = """
from crewai_amp.webhooks import RedisInbox, asgi_app

app = asgi_app(secret={secret!r}, inbox=RedisInbox({url!r}, stream={stream!r}, put_timeout=1))
"""

# A worker process. Each outcome is one line appended to the log (one write with O_APPEND):
# "ok <id> <pid>", "failed <id> <pid>", "frozen <id> <pid>". An id in the failing set fails its
# first attempt, whichever worker makes it (an O_EXCL marker file decides). A worker whose
# freeze file exists stops inside its next handler, before recording anything.
WORKER = """
import os, sys, time
from crewai_amp.webhooks import RedisInbox

url, stream, log, marks, name = sys.argv[1:6]
failing = set(os.environ.get("FAILING", "").split(","))
max_attempts = int(os.environ.get("MAX_ATTEMPTS", "5"))

def write(what, kickoff):
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{what} {kickoff} {os.getpid()}\\n".encode())
    finally:
        os.close(fd)

def first_attempt(kickoff):
    try:
        os.close(os.open(os.path.join(marks, kickoff), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False

def handle(event):
    kickoff = event.kickoff_id
    if os.path.exists(os.path.join(marks, f"freeze-{os.getpid()}")):
        write("frozen", kickoff)
        time.sleep(3600)
    if kickoff in failing and first_attempt(kickoff):
        write("failed", kickoff)
        raise RuntimeError(f"first attempt of {kickoff} fails")
    if kickoff.startswith("poison-") and not os.path.exists(os.path.join(marks, "fixed")):
        write("failed", kickoff)
        raise RuntimeError(f"{kickoff} cannot be handled yet")
    write("ok", kickoff)

# claim_after well above what a loaded machine can stall a worker for (its heartbeat renews
# every claim_after / 3): a take-over here must mean a dead worker, not a slow one.
inbox = RedisInbox(url, stream=stream, claim_after=10.0, backoff=0.2, block=0.2, max_attempts=max_attempts)
inbox.work(on_crew=handle, consumer=name)
"""


class Workers:
    """Worker processes, each stopped by its own pid."""

    def __init__(self, directory: Path, url: str, **env: str) -> None:
        self.script = directory / "worker.py"
        self.script.write_text(textwrap.dedent(WORKER), "utf-8")
        self.log = directory / "handled.log"
        self.marks = directory / "marks"
        self.marks.mkdir(exist_ok=True)
        self.url = url
        self.env = {**os.environ, **env}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, str(self.script), self.url, STREAM, str(self.log), str(self.marks), name]
        process = subprocess.Popen(command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.processes[name] = process
        return process

    def lines(self) -> list[tuple[str, str, str]]:
        if not self.log.exists():
            return []
        return [tuple(line.split()) for line in self.log.read_text("utf-8").splitlines()]  # type: ignore[misc]

    def outcomes(self, what: str) -> Counter[str]:
        return Counter(kickoff for kind, kickoff, _ in self.lines() if kind == what)

    def alive(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is None]

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def redis() -> Iterator[RedisProcess]:
    with redis_process() as server:
        yield server


def poll(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    ends = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < ends, f"timed out waiting for {what}"
        time.sleep(0.1)


def body_of(kickoff: str) -> bytes:
    return json.dumps({"kickoff_id": kickoff, "result": f"result of {kickoff}", "token_usage": None}).encode()


async def send_all(
    urls: list[str], ids: list[str], copies: int, answers: Counter[str], *, until_ok: bool = True
) -> None:
    """Each id ``copies`` times (same webhook-id, a fresh signature each time), the copies spread
    over the receivers, 40 requests at a time; a copy answered anything but 200 is sent again
    (to the other receiver), as a sender retries. ``answers`` counts every answer."""
    gate = asyncio.Semaphore(40)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=60)) as client:

        async def one(kickoff: str, copy: int) -> None:
            body = body_of(kickoff)
            for attempt in range(10_000):
                url = urls[(copy + attempt) % len(urls)]
                async with gate:
                    try:
                        response = await client.post(
                            url, content=body, headers=sign(body, secret=SECRET, msg_id=f"msg_{kickoff}")
                        )
                    except httpx.HTTPError:
                        answers["transport error"] += 1
                        continue
                if response.status_code == 200:
                    answers[response.json()["status"]] += 1
                    return
                answers[str(response.status_code)] += 1
                if not until_ok:
                    return
                await asyncio.sleep(0.2)

        await asyncio.gather(*(one(kickoff, copy) for kickoff in ids for copy in range(copies)))


def test_the_acceptance_run_handles_every_id_exactly_once(redis: RedisProcess, tmp_path: Path) -> None:
    ids = [f"run-{n:03d}" for n in range(IDS)]
    failing = ids[::10]  # ~10 %: their first attempt fails
    workers = Workers(tmp_path, redis.url, FAILING=",".join(failing))
    app = RECEIVER.format(secret=SECRET, url=redis.url, stream=STREAM)
    answers: Counter[str] = Counter()
    try:
        with receiver_process(tmp_path, app) as first, receiver_process(tmp_path, app) as second:
            for name in ("w1", "w2", "w3"):
                workers.start(name)
            victim = workers.processes["w1"]

            async def deliver_and_kill() -> None:
                sending = asyncio.create_task(send_all([first, second], ids, COPIES, answers))
                # Midway: freeze w1 inside its next handler, then SIGKILL it there.
                await asyncio.to_thread(
                    poll, lambda: sum(workers.outcomes("ok").values()) >= IDS // 3, "a third handled"
                )
                (workers.marks / f"freeze-{victim.pid}").touch()
                await asyncio.to_thread(
                    poll, lambda: bool(workers.outcomes("frozen")), "w1 to stop inside a handler"
                )
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                await sending

            asyncio.run(deliver_and_kill())
            poll(lambda: set(workers.outcomes("ok")) == set(ids), "every id to be handled")
            inbox = RedisInbox(redis.url, stream=STREAM)
            poll(lambda: inbox.stats() == InboxStats(0, 0, 0, 0), "the inbox to drain")
            inbox.close()
    finally:
        workers.stop_all()
    ok, failed, frozen = workers.outcomes("ok"), workers.outcomes("failed"), workers.outcomes("frozen")
    figures = {
        "deliveries sent": IDS * COPIES,
        "stored (queued)": answers["queued"],
        "duplicates suppressed": answers["duplicate"],
        "handled once": sum(1 for kickoff in ids if ok[kickoff] == 1),
        "handled twice or more": sum(1 for kickoff in ids if ok[kickoff] > 1),
        "lost": sum(1 for kickoff in ids if ok[kickoff] == 0),
        "first attempts failed": sum(failed.values()),
        "frozen then killed": sum(frozen.values()),
    }
    print("acceptance figures:", json.dumps(figures))
    assert answers["queued"] == IDS and answers["duplicate"] == IDS * (COPIES - 1)
    assert {kickoff: n for kickoff, n in ok.items() if n != 1} == {}
    assert set(ok) == set(ids)  # none lost
    assert set(failed) == set(failing) and all(n == 1 for n in failed.values())
    frozen_id = next(iter(frozen))
    assert ok[frozen_id] == 1  # the entry w1 held when it died was taken over
    pids = {pid for kind, _, pid in workers.lines() if kind == "ok"}
    assert len(pids) >= 2


def test_a_worker_killed_at_any_moment_loses_nothing(redis: RedisProcess, tmp_path: Path) -> None:
    # SIGKILL wherever the worker is: reading, handling, acknowledging. Nothing is lost; the one
    # thing a kill can cost is a handler that had returned but whose ack had not reached Redis
    # yet: that entry runs again (handlers should be idempotent for that window).
    ids = [f"any-{n:03d}" for n in range(200)]
    workers = Workers(tmp_path, redis.url)
    app = RECEIVER.format(secret=SECRET, url=redis.url, stream=STREAM)
    answers: Counter[str] = Counter()
    try:
        with receiver_process(tmp_path, app) as first, receiver_process(tmp_path, app) as second:
            for name in ("w1", "w2", "w3"):
                workers.start(name)
            victim = workers.processes["w1"]

            async def deliver_and_kill() -> None:
                sending = asyncio.create_task(send_all([first, second], ids, 2, answers))
                await asyncio.to_thread(
                    poll, lambda: sum(workers.outcomes("ok").values()) >= 60, "60 handled"
                )
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                await sending

            asyncio.run(deliver_and_kill())
            poll(lambda: set(workers.outcomes("ok")) == set(ids), "every id to be handled")
            inbox = RedisInbox(redis.url, stream=STREAM)
            poll(lambda: inbox.stats() == InboxStats(0, 0, 0, 0), "the inbox to drain")
            inbox.close()
    finally:
        workers.stop_all()
    ok = workers.outcomes("ok")
    again = [kickoff for kickoff, n in ok.items() if n > 1]
    print(
        "killed at any moment:",
        json.dumps({"handled": len(ok), "lost": len(set(ids) - set(ok)), "ran twice": again}),
    )
    assert set(ok) == set(ids) and answers["queued"] == len(ids)
    assert len(again) <= 1 and all(n <= 2 for n in ok.values())
    for kickoff in again:  # the victim ran it, then another worker
        assert str(victim.pid) in {pid for kind, k, pid in workers.lines() if kind == "ok" and k == kickoff}


def test_while_redis_is_paused_no_delivery_gets_a_2xx_and_retries_are_handled_after(
    redis: RedisProcess, tmp_path: Path
) -> None:
    workers = Workers(tmp_path, redis.url)
    app = RECEIVER.format(secret=SECRET, url=redis.url, stream=STREAM)
    during: Counter[str] = Counter()
    after: Counter[str] = Counter()
    ids = [f"paused-{n}" for n in range(40)]
    try:
        with receiver_process(tmp_path, app) as first, receiver_process(tmp_path, app) as second:
            workers.start("w1")
            workers.start("w2")
            redis.pause()
            try:
                asyncio.run(send_all([first, second], ids, 2, during, until_ok=False))
            finally:
                redis.resume()
            asyncio.run(send_all([first, second], ids, 1, after))  # the senders' retries
            poll(lambda: set(workers.outcomes("ok")) == set(ids), "every id to be handled")
            assert workers.alive() == ["w1", "w2"]
    finally:
        workers.stop_all()
    assert set(during) == {"503"}, during  # not one 2xx while Redis was paused
    assert after["queued"] + after["duplicate"] == len(ids)
    assert all(n == 1 for n in workers.outcomes("ok").values())


def test_while_redis_is_down_no_delivery_gets_a_2xx_and_workers_recover(
    redis: RedisProcess, tmp_path: Path
) -> None:
    workers = Workers(tmp_path, redis.url)
    app = RECEIVER.format(secret=SECRET, url=redis.url, stream=STREAM)
    before: Counter[str] = Counter()
    down: Counter[str] = Counter()
    after: Counter[str] = Counter()
    try:
        with receiver_process(tmp_path, app) as first, receiver_process(tmp_path, app) as second:
            for name in ("w1", "w2", "w3"):
                workers.start(name)
            asyncio.run(send_all([first, second], ["before-1", "before-2"], 1, before))
            poll(lambda: set(workers.outcomes("ok")) == {"before-1", "before-2"}, "the first deliveries")
            redis.kill()
            asyncio.run(send_all([first, second], [f"down-{n}" for n in range(30)], 2, down, until_ok=False))
            redis.start()  # empty: no persistence in this test
            ids = [f"after-{n}" for n in range(30)]
            asyncio.run(send_all([first, second], ids, 2, after))
            poll(lambda: set(ids) <= set(workers.outcomes("ok")), "the workers to carry on after the restart")
            assert workers.alive() == ["w1", "w2", "w3"]
    finally:
        workers.stop_all()
    assert set(down) <= {"503", "transport error"} and down["503"] > 0, down  # never a 2xx
    assert after["queued"] == 30 and after["duplicate"] == 30
    assert all(n == 1 for n in workers.outcomes("ok").values())


def test_a_handler_that_keeps_failing_dead_letters_its_entry_and_the_cli_replays_it(
    redis: RedisProcess, tmp_path: Path
) -> None:
    from crewai_amp.cli import main

    workers = Workers(tmp_path, redis.url, MAX_ATTEMPTS="3")
    app = RECEIVER.format(secret=SECRET, url=redis.url, stream=STREAM)
    answers: Counter[str] = Counter()
    inbox = RedisInbox(redis.url, stream=STREAM)
    try:
        with receiver_process(tmp_path, app) as url:
            workers.start("w1")
            workers.start("w2")
            asyncio.run(send_all([url], ["poison-1", "fine-1"], 1, answers))
            poll(lambda: inbox.stats().dead == 1, "the dead letter")
            assert workers.outcomes("failed") == Counter({"poison-1": 3})
            (letter,) = inbox.dead()
            assert letter.error == "RuntimeError: poison-1 cannot be handled yet" and letter.attempts == 3
            (workers.marks / "fixed").touch()  # the handler is fixed; replay from the command line
            assert main(["webhooks", "inbox", "--redis", redis.url, "--stream", STREAM, "--replay"]) == 0
            poll(lambda: workers.outcomes("ok")["poison-1"] == 1, "the replayed entry to be handled")
            poll(lambda: inbox.stats() == InboxStats(0, 0, 0, 0), "the inbox to drain")
    finally:
        inbox.close()
        workers.stop_all()
    assert workers.outcomes("ok") == Counter({"poison-1": 1, "fine-1": 1})


def _stderr(process: subprocess.Popen[bytes]) -> Any:  # pragma: no cover - debugging aid
    return process.stderr.read().decode(errors="replace") if process.stderr else ""
