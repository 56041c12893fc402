"""Which function handles which event, and how it is called: shared by the receiver (handlers run
in the request) and the Redis inbox's workers (handlers run after the delivery was stored)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from ..errors import ConfigurationError

__all__ = ["EventHandlers", "Handler", "Handlers", "call_async", "call_sync"]

Handler = Callable[[Any], Any]


class EventHandlers(TypedDict, total=False):
    """The handlers a [WebhookReceiver][crewai_amp.webhooks.WebhookReceiver] (or ``asgi_app``)
    and the inbox's workers ([work][crewai_amp.webhooks.RedisInbox.work],
    [awork][crewai_amp.webhooks.RedisInbox.awork]) take as keyword arguments. Each is called
    with the parsed event; ``async def`` ones are awaited. An event without a handler is
    acknowledged and dropped."""

    on_task: Handler | None
    """A task finished (``TaskCompleted``, or the legacy task shape)."""
    on_step: Handler | None
    """An agent step (``StepEvent``)."""
    on_crew: Handler | None
    """The crew finished (``CrewCompleted``)."""
    on_human_input: Handler | None
    """A task waits for a human review (the ``humanInputWebhookUrl`` notification)."""
    on_flow_feedback: Handler | None
    """A flow asks for human feedback (signed with ``X-CrewAI-Signature``)."""
    on_event: Handler | None
    """Each streamed event (``{"events": [...]}`` batches) that ``on_events`` does not name."""
    on_events: Mapping[str, Handler] | None
    """Streamed events by type name, e.g. ``{"crew_kickoff_completed": handle}``."""


_HANDLER_NAMES = frozenset(EventHandlers.__annotations__)

# Handler keyword -> the channel it serves ("event" and on_events serve streamed events).
CHANNEL_OF = {
    "task": "task",
    "step": "step",
    "crew": "crew",
    "human_input": "humanInput",
    "flow_feedback": "flowFeedback",
}


class Handlers:
    """The handlers of one receiver or worker, checked once. ``for_unit(channel, name)`` is the
    function for a single event of ``channel`` (``name`` is the event type of a streamed event):
    ``on_events[name]``, else ``on_event``, for streamed events; ``on_<channel>`` otherwise.
    None: no handler (the event is acknowledged and dropped)."""

    def __init__(self, where: str, handlers: Mapping[str, Any]) -> None:
        unknown = sorted(set(handlers) - _HANDLER_NAMES)
        if unknown:
            raise TypeError(f"{where} got an unexpected keyword argument {unknown[0]!r}")
        given = {
            name.removeprefix("on_"): handlers.get(name) for name in sorted(_HANDLER_NAMES - {"on_events"})
        }
        on_events = handlers.get("on_events")
        for name, handler in given.items():
            if handler is not None and not callable(handler):
                raise ConfigurationError(f"on_{name} must be callable")
        if on_events is not None and not isinstance(on_events, Mapping):
            raise ConfigurationError("on_events must map event type names to callables")
        by_type = dict(on_events or {})
        for name, handler in by_type.items():
            if not isinstance(name, str) or not callable(handler):
                raise ConfigurationError("on_events must map event type names to callables")
        self.by_channel: dict[str, Handler | None] = {
            channel: given[keyword] for keyword, channel in CHANNEL_OF.items()
        }
        self.on_event = given["event"]
        self.by_type = by_type

    def names(self) -> list[str]:
        """The handlers given, for a repr."""
        named = [f"on_{kw}" for kw, channel in CHANNEL_OF.items() if self.by_channel[channel] is not None]
        if self.on_event is not None:
            named.append("on_event")
        return named + [f"on_events[{name!r}]" for name in self.by_type]

    def any(self) -> bool:
        return bool(self.names())

    def for_unit(self, channel: str, name: str) -> Handler | None:
        if channel == "stream":
            handler = self.by_type.get(name)
            return self.on_event if handler is None else handler
        return self.by_channel.get(channel)


async def call_async(handler: Handler, event: Any) -> None:
    """``async def`` handlers run on the loop, others in a worker thread (never blocking it)."""
    if inspect.iscoroutinefunction(handler):
        await handler(event)
        return
    result = await asyncio.to_thread(handler, event)
    if inspect.isawaitable(result):
        await result


def call_sync(handler: Handler, event: Any) -> None:
    """A sync handler is called; an ``async def`` one runs to completion on a fresh event loop."""
    result = handler(event)
    if inspect.isawaitable(result):
        asyncio.run(_awaited(result))


async def _awaited(result: Any) -> None:
    await result
