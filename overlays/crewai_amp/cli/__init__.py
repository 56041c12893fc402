"""`crewai-amp`: the command line for CrewAI AMP crews (extra `cli` for the live progress bar).

    crewai-amp mock serve                                   # a local fake crew, in one terminal
    crewai-amp kickoff --input topic=AI --wait              # kick off and follow it, in another

Modules, one job each: `_parser` (the command line), `_commands` (the AMP commands),
`_servers` (`mock serve`, `webhooks listen`), `_progress` (live progress), `_render` (statuses
and events as prose or JSON), `_output` (streams, redaction, rich), `_errors` (exit codes),
`_main` (the entry point).
"""

from __future__ import annotations

from ._main import main

__all__ = ["main"]
