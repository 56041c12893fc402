"""The run states AMP documents, and what each one means: one table, read by the client, the
CLI and the emulator alike.

The reading rule (AMP's platform guide, https://docs-platform.crewai.com/platform/en/guides/kickoff-crew,
summarised in crewAIInc/skills, skills/call-deployed-crew/references/api-contract.md): read a
status body's ``state``, else its ``status``; compare without regard to case; success is
``success``/``completed``, failure ``failed``/``error``/``revoked`` (and ``failure``), ``paused``
waits for a human, ``not found`` is an unknown id, and anything else means keep polling.
Spaces, ``-`` and ``_`` count as one separator, so ``NOT_FOUND`` and ``not-found`` are
``NOT FOUND``. A state missing from the table is kept as it was sent (StatusUnknown) and polled
through.
"""

from __future__ import annotations

import re
from typing import Literal, TypeAlias

__all__ = ["KINDS", "STATES", "Kind", "kind_of", "normal_state"]

Kind: TypeAlias = Literal["completed", "error", "running", "paused", "not_found"]
KINDS: tuple[Kind, ...] = ("completed", "error", "running", "paused", "not_found")

# State (normalised) -> kind. Sources:
# - SUCCESS, FAILED, PENDING, STARTED, RUNNING, PAUSED, REVOKED: the platform guide's `state`;
#   COMPLETED, ERROR, RUNNING: the API reference's `status`;
# - FAILURE and NOT FOUND: Semantic Kernel's CrewAI client (crew_ai_models.py), NOT FOUND
#   also seen live for an unknown id;
# - QUEUED: the reading rule for in-progress states (a queued run, which the guide
#   reports as PENDING);
# - PENDING HUMAN INPUT: the state CrewAI's HITL guide names for a paused run ("The system will
#   pause in the `Pending Human Input` state", docs.crewai.com/en/enterprise/guides/human-in-the-loop).
STATES: dict[str, Kind] = {
    "SUCCESS": "completed",
    "COMPLETED": "completed",
    "FAILED": "error",
    "FAILURE": "error",
    "ERROR": "error",
    "REVOKED": "error",
    "PENDING": "running",
    "QUEUED": "running",
    "STARTED": "running",
    "RUNNING": "running",
    "PAUSED": "paused",
    "PENDING HUMAN INPUT": "paused",
    "NOT FOUND": "not_found",
}


def normal_state(state: str) -> str:
    """A state as compared: upper case, runs of spaces, ``-`` and ``_`` as one space
    (``"not_found "`` -> ``"NOT FOUND"``)."""
    return " ".join(part for part in re.split(r"[\s_-]+", state.upper()) if part)


def kind_of(state: str) -> Kind | None:
    """What a state means (``"Success"`` -> ``"completed"``), or None for a state not in the table."""
    return STATES.get(normal_state(state))
