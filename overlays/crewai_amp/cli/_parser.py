"""Argument parsing for `crewai-amp`: the parser, its commands, options and help (the value
types and the inputs file are in `_values`).

Nothing here talks to AMP or prints: a bad command line becomes a `UsageError` (exit code 2)
that the entry point renders as one line (or one JSON document with `--json`).
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Sequence
from typing import Any, NoReturn

from .._config import ENV_BASE_URL, ENV_TOKEN, ENV_WEBHOOK_SECRET
from .._version import __version__
from ._errors import UsageError
from ._values import (
    basic_credentials,
    check_argv,
    count,
    key_value,
    kickoff_id,
    port,
    positive_int,
    positive_seconds,
    scale,
)

__all__ = [
    "DEFAULT_LISTEN_PORT",
    "DEFAULT_MOCK_PORT",
    "DEFAULT_TIMEOUT",
    "build_parser",
    "parse_args",
]

DEFAULT_TIMEOUT = 600.0
DEFAULT_MOCK_PORT = 8000
DEFAULT_LISTEN_PORT = 8001


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, hint=f"see '{self.prog} --help'")


_DESCRIPTION = f"""\
Kick off CrewAI AMP crews, follow their progress, answer human reviews, and try it all
against a local emulator. Connection: --base-url/--token or {ENV_BASE_URL}/{ENV_TOKEN}.
"""

# The inputs of the emulator's crew (`crewai-amp mock serve`), which every example runs against.
TRY_INPUTS = "--input topic=AI --input target_audience=devs --input depth=short"
_KICKED = f"id=$(crewai-amp kickoff {TRY_INPUTS})"

_EPILOG = f"""\
exit codes: 0 success, 1 the crew ended in error, 2 usage error, 3 API or auth error,
4 timeout, 74 stdout could not be written (a kickoff id then goes to stderr),
130 interrupted (Ctrl-C), 143 / 129 stopped by SIGTERM / SIGHUP (handled as Ctrl-C).

Example (against the local emulator):
  crewai-amp mock serve          # in one terminal; prints the exports for the other
  crewai-amp kickoff {TRY_INPUTS} --wait
"""

# Each command's --help ends with an example that runs against `crewai-amp mock serve` (in
# another terminal, its exports set): tests/cli check that each one parses as that command.
_EXAMPLES = {
    "inputs": "crewai-amp inputs --json",
    "kickoff": f"crewai-amp kickoff {TRY_INPUTS} --wait --timeout 120",
    "status": f'{_KICKED}\ncrewai-amp status "$id"',
    "wait": f'{_KICKED}\ncrewai-amp wait "$id" --timeout 120',
    "resume": f"""\
crewai-amp mock serve --review write   # in another terminal: a crew that pauses after "write"
{_KICKED}
crewai-amp status "$id"                # until it says: waiting for human input on ...
crewai-amp resume "$id" --task write --feedback "Looks good" --approve""",
    "mock": "crewai-amp mock serve --scale 0.1",
    "mock serve": f"crewai-amp mock serve --port {DEFAULT_MOCK_PORT} --review write --scale 0.1",
    "webhooks": f"crewai-amp webhooks listen --port {DEFAULT_LISTEN_PORT}",
    "webhooks listen": f"""\
crewai-amp webhooks listen --port {DEFAULT_LISTEN_PORT}   # checks $CREWAI_AMP_WEBHOOK_SECRET's signatures
crewai-amp kickoff {TRY_INPUTS} --crew-webhook http://127.0.0.1:{DEFAULT_LISTEN_PORT}/""",
    "webhooks inbox": "crewai-amp webhooks inbox --redis redis://127.0.0.1:6379/0 --dead 5",
}


def _example(command: str) -> str:
    """The epilog of ``command``'s --help: its example, indented."""
    lines = "\n".join(f"  {line}" for line in _EXAMPLES[command].splitlines())
    return f"Example:\n{lines}\n"


def _wrapped(text: str) -> str:
    """A description as argparse would wrap it (the help keeps epilogs as written)."""
    return textwrap.fill(text, 80)


_BATCH_DESCRIPTION = """\
Kick off one run per line of INPUTS.jsonl (a JSON object of inputs per line), --concurrency at
a time, and write each outcome as a JSON line on stdout as it finishes. Each kickoff id goes to
stderr the moment AMP answers. With --journal, every kickoff id and outcome is kept in a SQLite
file: after a crash, Ctrl-C or kill, the same command resumes (finished runs come from the
journal, started ones are waited on, only the rest are kicked off: nothing is paid for twice).
"""

_BATCH_EXAMPLE = """\
exit codes: 0 every run completed, 1 some did not (their outcomes say why), 2 bad file or a
journal made for another batch, 3 API error, 130/143/129 stopped by a signal.

Example:
  echo '{"topic": "AI", "target_audience": "devs", "depth": "short"}' >  inputs.jsonl
  echo '{"topic": "Go", "target_audience": "devs", "depth": "deep"}'  >> inputs.jsonl
  crewai-amp batch inputs.jsonl --journal runs.db --concurrency 8 > outcomes.jsonl
  crewai-amp batch inputs.jsonl --journal runs.db > outcomes.jsonl   # again: resumes
"""


def _global_parents() -> tuple[_Parser, _Parser]:
    """Options accepted both before and after the subcommand. SUPPRESS as the default means an
    option given in either place is kept (and one given in neither is simply absent)."""
    output = _Parser(add_help=False)
    output.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="machine-readable output: one JSON document on stdout, errors as JSON on stderr",
    )
    connection = _Parser(add_help=False)
    connection.add_argument(
        "--base-url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help=f"the crew's URL, e.g. https://my-crew.crewai.com (env {ENV_BASE_URL})",
    )
    connection.add_argument(
        "--token",
        metavar="TOKEN",
        default=argparse.SUPPRESS,
        help=f"the crew's bearer token (env {ENV_TOKEN}, preferred: a flag shows in `ps`)",
    )
    return output, connection


def build_parser() -> argparse.ArgumentParser:
    output, connection = _global_parents()
    api = [output, connection]
    parser = _Parser(
        prog="crewai-amp",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        parents=api,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help: str, parents: list[_Parser]) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help,
            description=help,
            parents=parents,
            epilog=_example(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(run=name)
        return sub

    command("inputs", "list the inputs the crew expects", api)

    kickoff = command("kickoff", "start a crew run (and optionally wait for it)", api)
    kickoff.add_argument(
        "--input",
        dest="inputs",
        metavar="KEY=VALUE",
        type=key_value,
        action="append",
        default=[],
        help="an input (repeatable); overrides the same key from --inputs-file",
    )
    kickoff.add_argument("--inputs-file", metavar="FILE", help="a JSON object of inputs ('-' reads stdin)")
    kickoff.add_argument(
        "--meta",
        metavar="KEY=VALUE",
        type=key_value,
        action="append",
        default=[],
        help="metadata echoed back in webhook events (repeatable)",
    )
    kickoff.add_argument("--task-webhook", metavar="URL", help="POST each completed task here")
    kickoff.add_argument("--step-webhook", metavar="URL", help="POST each agent step here")
    kickoff.add_argument("--crew-webhook", metavar="URL", help="POST the crew's final result here")
    kickoff.add_argument(
        "--wait", action="store_true", help="wait for the crew to finish, with live progress"
    )
    kickoff.add_argument(
        "--timeout",
        metavar="S",
        type=positive_seconds,
        help=f"with --wait: give up after S seconds (default {DEFAULT_TIMEOUT:g}); exit code 4",
    )
    kickoff.add_argument(
        "--not-found-grace",
        metavar="S",
        type=scale,
        help="with --wait: poll through NOT FOUND for S seconds after the kickoff (default 30)",
    )

    status = command("status", "show a run's status once (exit code 1 if it ended in error)", api)
    status.add_argument("kickoff_id", metavar="ID", type=kickoff_id, help="the kickoff id")

    wait = command("wait", "wait for a run to finish, with live progress", api)
    wait.add_argument("kickoff_id", metavar="ID", type=kickoff_id, help="the kickoff id")
    wait.add_argument(
        "--timeout",
        metavar="S",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"give up after S seconds (default {DEFAULT_TIMEOUT:g}); exit code 4",
    )
    wait.add_argument(
        "--not-found-grace",
        metavar="S",
        type=scale,
        help="poll through NOT FOUND for S seconds before failing (default 30): a run may not be "
        "visible right after its kickoff",
    )

    resume = command("resume", "answer a human review: approve the task or have it redone", api)
    resume.add_argument("kickoff_id", metavar="ID", type=kickoff_id, help="the kickoff (execution) id")
    resume.add_argument("--task", required=True, metavar="TASK", help="the id of the task under review")
    resume.add_argument("--feedback", required=True, metavar="TEXT", help="the reviewer's feedback")
    decision = resume.add_mutually_exclusive_group(required=True)
    decision.add_argument(
        "--approve", dest="approve", action="store_const", const=True, help="accept the task's output"
    )
    decision.add_argument(
        "--retry",
        dest="approve",
        action="store_const",
        const=False,
        help="run the task again, with the feedback",
    )

    batch = commands.add_parser(
        "batch",
        help="run many inputs from a JSON Lines file, resumable with a journal",
        description=_BATCH_DESCRIPTION,
        epilog=_BATCH_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=api,
    )
    batch.set_defaults(run="batch")
    batch.add_argument(
        "inputs_file", metavar="INPUTS.jsonl", help="one JSON object of inputs per line ('-' reads stdin)"
    )
    batch.add_argument(
        "--journal",
        metavar="FILE",
        help="a SQLite file keeping every kickoff id and outcome; the same command with it resumes",
    )
    batch.add_argument(
        "--concurrency",
        metavar="N",
        type=positive_int,
        default=8,
        help="runs under way at once (default 8)",
    )
    batch.add_argument(
        "--timeout",
        metavar="S",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"give up waiting for one run after S seconds (default {DEFAULT_TIMEOUT:g})",
    )
    batch.add_argument(
        "--retry-unknown",
        metavar="INDEXES",
        nargs="?",
        const="all",
        help="kick off again the runs whose kickoff answer was lost (all, or e.g. 3,17): only once "
        "AMP shows no run with their correlation id",
    )
    batch.add_argument(
        "--meta",
        metavar="KEY=VALUE",
        type=key_value,
        action="append",
        default=[],
        help="metadata for every run, echoed back in webhook events (repeatable)",
    )
    batch.add_argument("--task-webhook", metavar="URL", help="POST each completed task here")
    batch.add_argument("--step-webhook", metavar="URL", help="POST each agent step here")
    batch.add_argument("--crew-webhook", metavar="URL", help="POST each run's final result here")

    mock = commands.add_parser(
        "mock",
        help="a local fake AMP crew (extra 'emulator')",
        description="A local fake AMP crew (extra 'emulator').",
        epilog=_example("mock"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[output],
    )
    mock_commands = mock.add_subparsers(dest="mock_command", metavar="COMMAND", required=True)
    serve = mock_commands.add_parser(
        "serve",
        help="run the AMP emulator in the foreground until Ctrl-C",
        description=_wrapped(
            "Run the AMP emulator (a scripted crew following the spec) on 127.0.0.1 "
            "until Ctrl-C. Prints its URL, token and webhook secret: it is a local fake, so "
            "printing its token is safe, unlike a real one."
        ),
        epilog=_example("mock serve"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[output],
    )
    serve.set_defaults(run="mock serve")
    serve.add_argument(
        "--port",
        type=port,
        default=DEFAULT_MOCK_PORT,
        help=f"port on 127.0.0.1 (default {DEFAULT_MOCK_PORT}; 0 picks a free one)",
    )
    serve.add_argument(
        "--scale",
        type=scale,
        default=1.0,
        help="time scale: 1.0 is human pace (about 13 s per run), 0.01 is test speed",
    )
    serve.add_argument(
        "--review",
        metavar="TASK",
        action="append",
        default=[],
        help="pause for human review after this task (repeatable; tasks: research, outline, write, review)",
    )
    serve.add_argument("--fail-at", metavar="TASK", help="make the crew fail at this task")
    serve.add_argument(
        "--dialect",
        choices=("spec", "observed"),
        default="spec",
        help="answer as the spec declares (default) or as deployed crews do "
        "(the platform's {state, status, result, progress, ...} status, legacy webhooks with a bearer token)",
    )
    serve.add_argument(
        "--failed-state",
        choices=("FAILED", "FAILURE"),
        default="FAILED",
        help="observed dialect: the state of a failed run (default FAILED, as AMP documents it)",
    )
    serve.add_argument(
        "--old-deployment",
        action="store_true",
        help="observed dialect: answer as a deployment on crewai <= 1.15.21 (null progress and events)",
    )
    serve.add_argument(
        "--not-found-polls",
        metavar="N",
        type=count,
        default=0,
        help="each run answers NOT FOUND to its first N status checks (default 0)",
    )
    serve.add_argument(
        "--token",
        metavar="TOKEN",
        help="the bearer token to accept (default: a new random one each start)",
    )
    serve.add_argument(
        "--max-body-bytes",
        metavar="N",
        type=positive_int,
        default=1024 * 1024,
        help="the largest request body accepted; a larger one is answered 413 (default 1 MiB)",
    )
    serve.add_argument(
        "--print-env",
        action="store_true",
        help="write only the export line to stdout (for `source`/`eval`), the rest to stderr; "
        "then serve as usual",
    )

    webhooks = commands.add_parser(
        "webhooks",
        help="webhook tools",
        description="Webhook tools: a local receiver, and a Redis inbox's counts and dead letters.",
        epilog=_example("webhooks"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[output],
    )
    webhook_commands = webhooks.add_subparsers(dest="webhooks_command", metavar="COMMAND", required=True)
    listen = webhook_commands.add_parser(
        "listen",
        help="receive, verify and print webhook events on 127.0.0.1",
        description=_wrapped(
            "A local webhook receiver: verifies each event (signature or bearer token) "
            "and prints it; rejects the rest with 401. Point a kickoff's --task-webhook, "
            "--step-webhook and --crew-webhook at it."
        ),
        epilog=_example("webhooks listen"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[output],
    )
    listen.set_defaults(run="webhooks listen")
    listen.add_argument(
        "--port",
        type=port,
        default=DEFAULT_LISTEN_PORT,
        help=f"port on 127.0.0.1 (default {DEFAULT_LISTEN_PORT}; 0 picks a free one)",
    )
    auth = listen.add_mutually_exclusive_group()
    auth.add_argument(
        "--secret",
        metavar="S",
        help=f"Standard Webhooks signing secret, whsec_... (env {ENV_WEBHOOK_SECRET})",
    )
    auth.add_argument("--bearer", metavar="T", help="expect 'Authorization: Bearer T' instead of a signature")
    auth.add_argument(
        "--basic",
        metavar="USER:PASSWORD",
        type=basic_credentials,
        help="expect HTTP basic authentication with these credentials instead of a signature",
    )
    _add_inbox(webhook_commands, output)
    return parser


def _add_inbox(webhook_commands: Any, output: argparse.ArgumentParser) -> None:
    inbox = webhook_commands.add_parser(
        "inbox",
        help="counts of a Redis webhook inbox; list and replay its dead letters",
        description=_wrapped(
            "What a Redis webhook inbox (RedisInbox) holds: deliveries queued, pending "
            "(being handled or waiting for a retry), retrying and dead. --dead lists the dead "
            "letters with their last error; --replay sends them back to the workers."
        ),
        epilog=_example("webhooks inbox"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[output],
    )
    inbox.set_defaults(run="webhooks inbox")
    inbox.add_argument("--redis", metavar="URL", required=True, help="the inbox's Redis, redis://host:6379/0")
    inbox.add_argument(
        "--stream", default="crewai-amp:webhooks", help="the inbox's stream (default %(default)s)"
    )
    inbox.add_argument(
        "--group", default="crewai-amp-workers", help="its consumer group (default %(default)s)"
    )
    inbox.add_argument(
        "--dead",
        metavar="N",
        type=positive_int,
        nargs="?",
        const=20,
        help="list the N oldest dead letters (default 20)",
    )
    inbox.add_argument(
        "--replay",
        metavar="ID",
        nargs="*",
        help="send dead letters back to the workers: these ids, or all of them",
    )
    inbox.add_argument(
        "--timeout", type=positive_seconds, default=5.0, help="seconds to wait for Redis (default 5)"
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse `argv`; raises UsageError for a bad command line (SystemExit only for --help and
    --version, which print and succeed)."""
    check_argv(argv)
    return build_parser().parse_args(list(argv))
