"""Fault injection: what the emulator does to a request before (or instead of) answering it.

Settable at construction (`AmpEmulator(faults=Faults(error_rate=0.3))`) and at runtime
(`emulator.faults.error_rate = 0.3`, `emulator.faults.inject("drop", route="kickoff")`).
Plain data and the standard library only, so cheap to import.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

__all__ = ["ROUTES", "FaultKind", "Faults"]

FaultKind = Literal["error", "rate_limit", "unavailable", "drop"]
"""What a fault does: answer 500, answer 429, answer 503, or drop the connection after acting."""
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
# The four operations of the spec, by the names used in `Faults.routes` and `stats.requests`.
ROUTES: frozenset[str] = frozenset({"inputs", "kickoff", "status", "resume"})
# The field that sets each kind's rate, in the order `choose` draws them.
_RATE_OF: dict[FaultKind, str] = {
    "error": "error_rate",
    "rate_limit": "rate_limit_rate",
    "unavailable": "unavailable_rate",
    "drop": "drop_rate",
}
_RATES = tuple(_RATE_OF.values())


@dataclass
class _Forced:
    kind: FaultKind
    route: str | None
    remaining: int


@dataclass
class Faults:
    """What can go wrong, and how often. Rates are probabilities in [0, 1], drawn per request
    from the emulator's seeded random generator (so a `seed` makes a run reproducible); their
    sum must not exceed 1.

    - `error_rate`: answer 500 with an Error body, without running the operation.
    - `rate_limit_rate`: answer 429 with `Retry-After: <retry_after>` (whole seconds, rounded
      up), without running it.
    - `unavailable_rate`: answer 503 with `Retry-After: <retry_after>`, without running it.
    - `drop_rate`: run the operation (a kickoff does start a crew), then close the connection
      without answering: the request was read and acted on, and the response is lost.
    - `latency`: seconds added before each answer.
    - `routes`: the operations faults apply to (`inputs`, `kickoff`, `status`, `resume`);
      `None` means all of them.

    `inject(kind, times=n, route=...)` forces the next n matching requests to fail that way,
    ahead of (and regardless of) the rates: deterministic faults for retry tests.
    """

    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    unavailable_rate: float = 0.0
    drop_rate: float = 0.0
    latency: float = 0.0
    retry_after: float = 1
    routes: frozenset[str] | None = None
    _forced: deque[_Forced] = field(default_factory=deque, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._check({})

    def __setattr__(self, name: str, value: object) -> None:
        # Checked before assignment, so a refused value leaves the old one in place.
        if name == "routes" and value is not None:
            value = _check_routes(value)  # type: ignore[arg-type]
        elif name in _RATES or name in ("latency", "retry_after"):
            self._check({name: value})
        super().__setattr__(name, value)

    def _check(self, changes: dict[str, object]) -> None:
        # getattr defaults: __setattr__ runs while the dataclass __init__ is still assigning.
        def value(name: str) -> float:
            got = changes[name] if name in changes else getattr(self, name, 0.0)
            if isinstance(got, bool) or not isinstance(got, int | float):
                raise TypeError(f"Faults.{name} must be a number, not {got!r}")
            return float(got)

        rates = [value(name) for name in _RATES]
        for name, rate in zip(_RATES, rates, strict=True):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"Faults.{name} must be between 0 and 1, not {rate!r}")
        if sum(rates) > 1.0 + 1e-9:
            raise ValueError(f"the fault rates add up to {sum(rates):g}, more than 1")
        if value("latency") < 0:
            raise ValueError("Faults.latency must be >= 0")
        if value("retry_after") < 0:
            raise ValueError("Faults.retry_after must be >= 0")

    def inject(self, kind: FaultKind, *, times: int = 1, route: str | None = None) -> None:
        """Force the next `times` requests (to `route`, or to any operation) to fail with `kind`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {sorted(FAULT_KINDS)}, not {kind!r}")
        if route is not None and route not in ROUTES:
            raise ValueError(f"route must be one of {sorted(ROUTES)}, not {route!r}")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._forced.append(_Forced(kind, route, times))

    def clear(self) -> None:
        """No more faults: rates and latency back to 0, forced faults dropped, all routes."""
        with self._lock:
            self._forced.clear()
        for name in _RATES:
            setattr(self, name, 0.0)
        self.latency = 0.0
        self.routes = None

    @property
    def active(self) -> bool:
        """Whether any fault or latency can apply (the emulator skips all of this when not)."""
        return bool(self._forced or self.latency or any(getattr(self, name) for name in _RATES))

    def applies_to(self, route: str) -> bool:
        return self.routes is None or route in self.routes

    def choose(self, route: str, rng: random.Random) -> FaultKind | None:
        """The fault for this request, if any (called by the emulator once per request)."""
        if self._forced:
            with self._lock:
                for entry in self._forced:
                    if entry.route is None or entry.route == route:
                        entry.remaining -= 1
                        if entry.remaining == 0:
                            self._forced.remove(entry)
                        return entry.kind
        if not self.applies_to(route):
            return None
        rates = [(kind, float(getattr(self, name))) for kind, name in _RATE_OF.items()]
        if not any(rate for _, rate in rates):
            return None
        draw = rng.random()
        for kind, rate in rates:
            if draw < rate:
                return kind
            draw -= rate
        return None


def _check_routes(routes: Iterable[str]) -> frozenset[str]:
    if isinstance(routes, str):
        routes = (routes,)
    chosen = frozenset(routes)
    unknown = chosen - ROUTES
    if unknown:
        raise ValueError(f"unknown routes {sorted(unknown)}; choose from {sorted(ROUTES)}")
    return chosen
