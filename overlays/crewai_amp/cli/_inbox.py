"""`crewai-amp webhooks inbox`: what a Redis webhook inbox holds, its dead letters, and replaying
them. The Redis URL's password never appears in the output."""

from __future__ import annotations

import argparse
import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._errors import API_ERROR, OK, Failure, UsageError
from ._output import Output

if TYPE_CHECKING:
    from ..webhooks import DeadLetter, InboxStats, RedisInbox

__all__ = ["run_webhooks_inbox"]

ERROR_SHOWN = 200  # characters of a dead letter's error in prose (--json has it whole)


def _where(url: str) -> str:
    """The URL without user:password@."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _open(args: argparse.Namespace, out: Output) -> RedisInbox:
    url: str = args.redis
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    out.add_secret(password)
    try:
        from ..webhooks import RedisInbox
    except ModuleNotFoundError as exc:  # pragma: no cover - the package always has it
        raise UsageError(f"webhooks inbox cannot load: {exc}") from None
    try:
        return RedisInbox(url, stream=args.stream, group=args.group, put_timeout=args.timeout)
    except ValueError as exc:  # ConfigurationError: a bad URL, or the redis extra missing
        hint = (
            "pip install 'crewai-amp-client[redis]'" if "redis package" in str(exc) else "redis://host:6379/0"
        )
        raise UsageError(f"--redis: {exc}", hint=hint) from None


def _unreachable(args: argparse.Namespace, exc: Exception) -> Failure:
    return Failure(
        f"cannot read the inbox at {_where(args.redis)}: {type(exc).__name__}: {exc}",
        API_ERROR,
        "InboxUnavailable",
        hint="check --redis and that Redis is up",
    )


def _when(stamp: float) -> str:
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _letter(dead: DeadLetter) -> dict[str, Any]:
    return {
        "id": dead.id,
        "channel": dead.channel,
        "key": dead.key,
        "attempts": dead.attempts,
        "failed_at": _when(dead.failed_at),
        "error": dead.error,
        "source_id": dead.source_id,
        "body": dead.body.decode("utf-8", "replace"),
    }


def _show(
    out: Output, args: argparse.Namespace, stats: InboxStats, replayed: int | None, dead: list[DeadLetter]
) -> None:
    if out.json_mode:
        document: dict[str, Any] = {
            "redis": _where(args.redis),
            "stream": args.stream,
            "group": args.group,
            "queued": stats.queued,
            "pending": stats.pending,
            "retrying": stats.retrying,
            "dead": stats.dead,
        }
        if replayed is not None:
            document["replayed"] = replayed
        if args.dead is not None:
            document["dead_letters"] = [_letter(letter) for letter in dead]
        out.document(document)
        return
    if replayed is not None:
        out.print(f"replayed {replayed} dead letter{'s' if replayed != 1 else ''}")
    out.print(f"inbox {args.stream} (group {args.group}) at {_where(args.redis)}")
    out.print(f"  queued    {stats.queued}")
    out.print(f"  pending   {stats.pending}  ({stats.retrying} retrying)")
    out.print(f"  dead      {stats.dead}")
    if args.dead is None:
        if stats.dead:
            out.note("list them with --dead, send them back with --replay")
        return
    for letter in dead:
        error = letter.error if len(letter.error) <= ERROR_SHOWN else letter.error[:ERROR_SHOWN] + "..."
        out.print(
            f"{letter.id}  {letter.channel}  {letter.attempts} attempts  {_when(letter.failed_at)}  {letter.key}"
        )
        out.print(f"    {' '.join(error.split())}")


def run_webhooks_inbox(args: argparse.Namespace, out: Output) -> int:
    inbox = _open(args, out)
    replayed: int | None = None
    try:
        if args.replay is not None:
            replayed = inbox.replay(args.replay or None)
        stats = inbox.stats()
        dead = inbox.dead(args.dead) if args.dead else []
    except Exception as exc:  # redis errors: the server is down, slow, or not Redis
        if type(exc).__module__.startswith("redis") or isinstance(exc, OSError):
            raise _unreachable(args, exc) from None
        raise
    finally:
        inbox.close()
    _show(out, args, stats, replayed, dead)
    return OK
