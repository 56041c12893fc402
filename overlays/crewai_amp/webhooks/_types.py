"""The event type aliases at run time. Building them loads pydantic and the generated models, so
the package imports this module only when one of them is first used."""

from __future__ import annotations

from typing import Any, Union

import crewai_amp_events as models

from ._events import registry

__all__ = ["Event", "StreamedEvent"]

# Every message model the generated registry lists: a message added to the spec joins the union.
Event: Any = Union[tuple(registry().messages.values())]  # noqa: UP007 - built at run time
StreamedEvent: Any = models.StreamedEventBatchEvent
