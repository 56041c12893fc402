"""A plain ASGI webhook receiver: authenticate, parse, then either store the delivery in a Redis
inbox (workers handle it) or hand it to a handler in the request, once per delivery key.

No framework needed: add it to Starlette/FastAPI or run it with uvicorn. See
[WebhookReceiver][crewai_amp.webhooks.WebhookReceiver] (also spelled ``asgi_app``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError, EventParseError, WebhookVerificationError
from ._asgi import (
    CLOSE,
    Disconnected,
    Receive,
    Scope,
    Send,
    SlowBody,
    TooLarge,
    declared_length,
    header,
    is_json,
    read_body,
    respond,
)
from ._crewai_signing import SIGNATURE_HEADER, FeedbackVerifier
from ._dedupe import DEFAULT_TTL, DedupeStore, MemoryDedupe
from ._events import Channel, channel_of_event, parse_event, registry
from ._handlers import EventHandlers, Handlers
from ._in_request import InRequest, Unit, log_fields, unexpected, units_of
from ._observe import Delivery
from ._signing import (
    DEFAULT_TOLERANCE,
    Secret,
    Verifier,
    read_headers,
    required_header,
    verify_basic_found,
    verify_bearer_found,
    verify_url_token,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._inbox import RedisInbox

__all__ = ["WebhookReceiver", "asgi_app"]

MiB = 1024 * 1024
logger = logging.getLogger("crewai_amp.webhooks")


def _stored_bodies(body: bytes, channel: str) -> list[bytes]:
    """What the inbox stores for each unit: the raw body, or for a streamed batch each event as a
    batch of one (decoded and encoded again, every field and value kept)."""
    if channel != "stream":
        return [body]
    return [json.dumps({"events": [item]}).encode() for item in json.loads(body)["events"]]


def _check_credentials_config(bearer_token: object, basic_auth: object) -> None:
    if bearer_token is not None and (
        not isinstance(bearer_token, str) or not bearer_token.strip() or bearer_token != bearer_token.strip()
    ):
        raise ConfigurationError("bearer_token must be a non-empty string without whitespace around it")
    if basic_auth is not None and not (
        isinstance(basic_auth, tuple)
        and len(basic_auth) == 2
        and all(isinstance(part, str) for part in basic_auth)
        and basic_auth[0]
        and ":" not in basic_auth[0]
        and basic_auth[1]
    ):
        raise ConfigurationError(
            "basic_auth must be a (username, password) pair of non-empty strings, without ':' in the username"
        )


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds")
    return float(value)


class WebhookReceiver:
    """An ASGI app receiving AMP webhooks. Run it with uvicorn, or add it to Starlette/FastAPI:
    `app.add_route("/hooks", receiver, methods=["POST"])` answers `POST /hooks`;
    `app.mount("/hooks", receiver)` answers `/hooks/` and every path below it (Starlette
    redirects `/hooks` to `/hooks/` with a 307).

    Authentication: ``secret`` checks Standard Webhooks signatures (one secret or a list, for
    rotation); ``bearer_token`` checks ``Authorization: Bearer``; ``basic_auth=(user, password)``
    checks ``Authorization: Basic``; ``url_token`` checks a ``token`` query parameter (for AMP's
    task, crew and human-input webhooks, observed to carry no credentials: give AMP a URL ending
    in ``?token=<url_token>``); all compared in constant time; given several, all must pass.
    ``flow_feedback_secret`` (the signing secret of a Human in the Loop webhook in the AMP
    dashboard) accepts flows' human-feedback notifications, signed with ``X-CrewAI-Signature``:
    those need that signature alone.

    Responses (JSON). Refused before the body is read, with ``connection: close``: 405 for
    anything but POST (with ``Allow: POST``); 415 for a Content-Type that is not JSON; 413 when
    Content-Length passes ``max_body``; 401 when a bearer or basic credential fails. Then: 413 as
    soon as a streamed body passes ``max_body``; 408 when the body has not arrived in full after
    ``body_timeout`` seconds (both closing); 401 for a bad signature; 400 for a payload that is
    not a valid event (JSON nested deeper than 200 levels says so).

    With ``inbox=RedisInbox(...)``: the delivery is stored (one entry per event) and answered
    200 ``{"status": "queued" | "duplicate", ...}`` only once Redis acknowledged the write; no
    handler runs in the request (workers run them: ``inbox.work(...)``). When Redis is down or
    slower than the inbox's ``put_timeout``: 503 with Retry-After, and nothing is half-written.

    Without an inbox, handlers ([EventHandlers][crewai_amp.webhooks.EventHandlers]) run in the
    request: ``on_task``, ``on_step``, ``on_crew``,
    ``on_human_input`` (a crew task waiting for review), ``on_flow_feedback`` (a flow waiting for
    feedback) get single events; a streamed batch goes event by event, in the order received, to
    ``on_events[event.type]`` or else ``on_event``. Events without a handler are acknowledged and
    dropped. ``async def`` handlers run on the loop, others in a worker thread. Each delivery key is
    handled at most once, recorded in ``dedupe`` (a [DedupeStore][crewai_amp.webhooks.DedupeStore];
    default an in-memory [MemoryDedupe][crewai_amp.webhooks.MemoryDedupe] of ``dedupe_size`` keys
    kept ``dedupe_ttl`` seconds; ``dedupe_size=0`` turns dedupe off). The key is the verified
    ``webhook-id`` (or the ``webhook-id`` header sent with a bearer/basic credential); without one,
    and for each streamed event, the payload's key
    ([delivery_key][crewai_amp.webhooks.delivery_key]). Then: 200 ``{"status": "ok" | "duplicate",
    ...}``; 500 if a handler raised (logged on the ``crewai_amp.webhooks`` logger; the
    key is released, so the sender's retry is handled); 409 when another request still handles the
    same key after ``dedupe_wait`` seconds; 503 when the store is unreachable or slower than
    ``store_timeout``, or the in-memory store is full of fresh signed ids.

    Raises ConfigurationError (a ValueError) for an unusable configuration. The repr never
    shows a secret.
    """

    def __init__(
        self,
        *,
        secret: Secret | Iterable[Secret] | None = None,
        bearer_token: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        url_token: str | None = None,
        flow_feedback_secret: str | bytes | Iterable[str | bytes] | None = None,
        inbox: RedisInbox | None = None,
        channel: Channel | None = None,
        max_body: int = MiB,
        body_timeout: float = 30.0,
        tolerance: float = DEFAULT_TOLERANCE,
        dedupe: DedupeStore | None = None,
        dedupe_size: int = 100_000,
        dedupe_ttl: float | None = None,
        dedupe_wait: float = 10.0,
        store_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        **handlers: Unpack[EventHandlers],
    ) -> None:
        if all(v is None for v in (secret, bearer_token, basic_auth, url_token, flow_feedback_secret)):
            raise ConfigurationError(
                "asgi_app needs a secret (Standard Webhooks), a bearer_token, basic_auth, a url_token "
                "or a flow_feedback_secret to authenticate"
            )
        self._verifier: Verifier | None = None
        self._feedback: FeedbackVerifier | None = None
        try:
            if secret is not None:
                self._verifier = Verifier(secret, tolerance=tolerance)
            if flow_feedback_secret is not None:
                self._feedback = FeedbackVerifier(flow_feedback_secret, tolerance=tolerance)
        except WebhookVerificationError as exc:
            raise ConfigurationError(str(exc)) from None
        _check_credentials_config(bearer_token, basic_auth)
        if url_token is not None and (
            not isinstance(url_token, str) or not url_token or url_token != url_token.strip()
        ):
            raise ConfigurationError("url_token must be a non-empty string without whitespace around it")
        self._url_token = url_token
        channels = registry().channels
        if channel is not None and channel not in channels:
            raise ConfigurationError(f"unknown channel {channel!r}; expected one of {', '.join(channels)}")
        self._handlers = Handlers("WebhookReceiver()", handlers)
        if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body <= 0:
            raise ConfigurationError("max_body must be a positive number of bytes")
        self.tolerance = _positive("tolerance", tolerance)
        self.body_timeout = _positive("body_timeout", body_timeout)
        self.store_timeout = _positive("store_timeout", store_timeout)
        self._bearer_token = bearer_token
        self._basic_auth = basic_auth
        self.channel = channel
        self.max_body = max_body
        self._inbox = inbox
        if inbox is not None:
            if self._handlers.any() or dedupe is not None:
                raise ConfigurationError(
                    "with an inbox, handlers run in its workers (inbox.work(on_task=...)): "
                    "give the receiver no handlers and no dedupe store"
                )
            self._check_ttl(inbox)
        elif dedupe is not None:
            self._check_ttl(dedupe)
        elif dedupe_size:
            dedupe = MemoryDedupe(
                max_entries=dedupe_size,
                ttl=DEFAULT_TTL if dedupe_ttl is None else dedupe_ttl,
                tolerance=self.tolerance,
                clock=clock,
            )
        self._in_request = InRequest(
            self._handlers, dedupe, store_timeout=self.store_timeout, dedupe_wait=dedupe_wait
        )

    def _check_ttl(self, store: object) -> None:
        ttl = getattr(store, "ttl", None)
        if isinstance(ttl, (int, float)) and ttl < 2 * self.tolerance:
            raise ConfigurationError(
                f"the store keeps keys {ttl:g} s, shorter than the replay window of this receiver "
                f"(twice its tolerance: {2 * self.tolerance:g} s): a replayed delivery would be handled twice"
            )

    def __repr__(self) -> str:
        methods = (
            ("signature", self._verifier is not None),
            ("bearer", self._bearer_token is not None),
            ("basic", self._basic_auth is not None),
            ("url token", self._url_token is not None),
            ("flow feedback signature", self._feedback is not None),
        )
        auth = " + ".join(name for name, on in methods if on)
        target = "inbox" if self._inbox is not None else ", ".join(self._handlers.names()) or "none"
        return f"<WebhookReceiver auth={auth} handlers={target} max_body={self.max_body}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    # --- authentication ----------------------------------------------------------------------

    def _check_credentials(self, found: Mapping[str, str], scope: Scope) -> None:
        if self._bearer_token is not None:
            verify_bearer_found(found, self._bearer_token)
        if self._basic_auth is not None:
            verify_basic_found(found, *self._basic_auth)
        if self._url_token is not None:
            verify_url_token(scope.get("query_string", b""), self._url_token)
        if self._verifier is None and all(
            v is None for v in (self._bearer_token, self._basic_auth, self._url_token)
        ):
            raise WebhookVerificationError(f"missing {SIGNATURE_HEADER} header")

    def _challenge(self) -> tuple[bytes, bytes]:
        return (b"www-authenticate", b"Basic" if self._basic_auth is not None else b"Bearer")

    def _authenticate(
        self, body: bytes, found: Mapping[str, str], scope: Scope
    ) -> tuple[str | None, float | None, bool]:
        """(the delivery's id header, the Unix time until which a replay would verify, whether
        it is a flow feedback notification); WebhookVerificationError if not authentic."""
        if SIGNATURE_HEADER in found and "webhook-signature" not in found:
            if self._feedback is None:
                raise WebhookVerificationError(
                    f"{SIGNATURE_HEADER} deliveries are not accepted here (no flow_feedback_secret)"
                )
            stamp = self._feedback.verify_found(body, found)
            return None, stamp + self.tolerance, True
        if self._verifier is not None:
            verified = self._verifier.verify_found(body, found)
            self._check_credentials(found, scope)
            return verified.id, verified.timestamp + self.tolerance, False
        self._check_credentials(found, scope)
        return self._sent_id(found), None, False

    def _sent_id(self, found: Mapping[str, str]) -> str | None:
        """The webhook-id header of a delivery authenticated by a credential, read as strictly
        as a signed one; None when absent (the payload's key is used)."""
        if not found.get("webhook-id", "").strip(" \t"):
            return None
        return required_header(found, "webhook-id")

    async def _refuse_early(self, send: Send, scope: Scope, raw_headers: list[tuple[bytes, bytes]]) -> bool:
        """The checks made from the headers alone; True when the request was answered."""
        feedback = self._feedback is not None and header(raw_headers, SIGNATURE_HEADER.encode()) is not None
        if self._verifier is None and not feedback:  # credentials alone: refuse before reading anything
            try:
                self._check_credentials(read_headers(raw_headers), scope)
            except WebhookVerificationError as exc:
                await respond(send, 401, {"error": str(exc)}, [self._challenge(), CLOSE])
                return True
        if not is_json(header(raw_headers, b"content-type")):
            await respond(send, 415, {"error": "the body must be JSON (application/json)"}, [CLOSE])
            return True
        declared = declared_length(raw_headers)
        if declared is not None and declared > self.max_body:
            await respond(send, 413, {"error": f"body larger than {self.max_body} bytes"}, [CLOSE])
            return True
        return False

    # --- one request -------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        with Delivery(str(scope.get("method", ""))) as delivery:
            await self._answer(scope, receive, delivery.send(send), delivery)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, delivery: Delivery) -> None:
        if scope.get("method") != "POST":
            await respond(send, 405, {"error": "method not allowed; use POST"}, [(b"allow", b"POST"), CLOSE])
            return
        raw_headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
        if await self._refuse_early(send, scope, raw_headers):
            return
        try:
            body = await read_body(receive, self.max_body, self.body_timeout)
        except TooLarge:
            await respond(send, 413, {"error": f"body larger than {self.max_body} bytes"}, [CLOSE])
            return
        except SlowBody:
            error = f"the body did not arrive within {self.body_timeout:g} s"
            await respond(send, 408, {"error": error}, [CLOSE])
            return
        except Disconnected:
            return

        # 1. Authenticate, before anything else looks at the body.
        try:
            found = read_headers(raw_headers)
            msg_id, replay_until, feedback = self._authenticate(body, found, scope)
        except WebhookVerificationError as exc:
            signed = self._verifier is not None or header(raw_headers, SIGNATURE_HEADER.encode()) is not None
            await respond(send, 401, {"error": str(exc)}, [] if signed else [self._challenge()])
            return

        # 2. Parse.
        try:
            event = parse_event(body, channel="flowFeedback" if feedback else self.channel)
        except EventParseError as exc:
            await respond(send, 400, {"error": str(exc)})
            return
        channel = channel_of_event(event)
        units = units_of(event, channel, msg_id, replay_until)
        delivery.parsed(channel, [unit.key for unit in units])

        # 3. Store it for the workers, or handle it here.
        if self._inbox is not None:
            delivery.outcome = await self._enqueue(send, body, channel, units, found)
        else:
            delivery.outcome = await self._in_request.handle_all(send, channel, units)

    async def _enqueue(
        self, send: Send, body: bytes, channel: str, units: list[Unit], found: Mapping[str, str]
    ) -> str:
        """Store the units and answer; the outcome: queued, duplicate or unavailable."""
        assert self._inbox is not None
        headers = {name: found[name] for name in ("webhook-id", "webhook-timestamp") if name in found}
        items = [
            (unit.key, unit.channel, stored)
            for unit, stored in zip(units, _stored_bodies(body, channel), strict=True)
        ]
        try:
            added = await asyncio.wait_for(self._inbox._aput(items, headers), self._inbox.put_timeout)
        except Exception as exc:  # unreachable or too slow: not stored, so not acknowledged
            logger.warning(
                "webhook inbox unavailable (%s); answered 503",
                type(exc).__name__,
                exc_info=unexpected(exc),
                extra=log_fields(channel, units, "unavailable", type(exc).__name__),
            )
            retry = str(max(1, round(self._inbox.put_timeout)))
            await respond(
                send, 503, {"error": "the webhook inbox is unavailable"}, [(b"retry-after", retry.encode())]
            )
            return "unavailable"
        queued = sum(added)
        answer: dict[str, Any] = {"status": "queued" if queued else "duplicate", "channel": channel}
        if channel == "stream":
            answer.update(queued=queued, duplicates=len(added) - queued)
        await respond(send, 200, answer)
        return str(answer["status"])


# The documented spelling: `asgi_app(...)` is the receiver's constructor, one signature for both.
asgi_app = WebhookReceiver
"""The receiver under the name an ASGI server expects: ``asgi_app(...)`` is
``WebhookReceiver(...)``, with the same keyword arguments."""
