"""OpenTelemetry in the tests: an SDK TracerProvider with an InMemorySpanExporter, installed as
the global provider for one test (and taken away after it), and helpers to read the spans.

The API keeps its global provider in ``opentelemetry.trace._TRACER_PROVIDER`` and lets it be set
once per process; the test is given its own and the global is restored after, as
opentelemetry-python's own test utilities do (``reset_trace_globals``), so no other test records
spans."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class Spans:
    """The spans finished during the test, with a few ways to look at them."""

    def __init__(self, exporter: InMemorySpanExporter, provider: TracerProvider) -> None:
        self.exporter = exporter
        self.provider = provider

    def all(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.all() if span.name == name]

    def one(self, name: str) -> ReadableSpan:
        found = self.named(name)
        assert len(found) == 1, [span.name for span in self.all()]
        return found[0]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        return [s for s in self.all() if s.parent is not None and s.parent.span_id == parent.context.span_id]

    def clear(self) -> None:
        self.exporter.clear()


@contextlib.contextmanager
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spans]:
    """An SDK provider as the global one until the test ends (the ``spans`` fixture)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
    try:
        yield Spans(exporter, provider)
    finally:
        provider.shutdown()


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def parent_of(span: ReadableSpan, among: Iterable[ReadableSpan]) -> ReadableSpan | None:
    if span.parent is None:
        return None
    return next((s for s in among if s.context.span_id == span.parent.span_id), None)


def values(spans: Iterable[ReadableSpan]) -> str:
    """Every attribute value of every span, as one text (to look for a secret in)."""
    return " ".join(str(value) for span in spans for value in attrs(span).values())
