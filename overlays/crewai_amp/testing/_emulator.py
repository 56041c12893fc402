"""`AmpEmulator`: a local AMP crew on 127.0.0.1 that follows the spec (or speaks as deployed
crews are observed to)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from ..webhooks import SECRET_PREFIX, generate_secret
from ._app import IMPLEMENTED, build_app
from ._crew import Crew, default_crew
from ._dialect import DialectName, FailedState, dialect_for
from ._faults import Faults
from ._runner import dumps
from ._server import BackgroundServer
from ._spec import load_spec
from ._state import DEFAULT_MAX_BODY_BYTES, EmulatorState, RequestLog
from ._stats import Stats
from ._webhook_sender import Auth, BasicAuth, BearerAuth, Signed

__all__ = ["AmpEmulator"]


class AmpEmulator:
    """A stateful fake AMP crew: the REST spec's operations on a real HTTP server in a
    background thread, scripted crew runs, webhooks, human review and fault injection.

    ```python
    with AmpEmulator(scale=0.01) as amp:
        client = AmpClient(base_url=amp.base_url, token=amp.token)
        result = client.run({"topic": "AI", "target_audience": "devs", "depth": "short"})
    ```

    Arguments (all keyword-only but `crew`):

    - `crew`: the scripted crew (default: `default_crew()`).
    - `host`, `port`: where to listen; 127.0.0.1 and an ephemeral port by default.
    - `scale`: time scale; 1.0 is the script's human pace, 0.01 runs the default crew in
      about 0.13 s. Also scales the webhook retry backoff.
    - `dialect`: `"spec"` (default) answers and sends what the specs declare; `"observed"`
      answers as deployed crews do (the platform's status body: `state` RUNNING, PAUSED,
      SUCCESS or FAILED, a `status` message, `result`/`result_json`, `progress`,
      `usage_metrics`, events...; inputs as a name → type map; `GET /{kickoff_id}/status` too;
      null optional kickoff fields accepted; live error bodies) and sends legacy webhook
      payloads with a static credential instead of a signature.
    - `spec`: the OpenAPI document requests are validated against (default: the one the
      wheel's client was generated from, `crewai_amp_api/openapi.json`).
    - `token`: the bearer token to accept (default: a random one).
    - `webhook_secret`: the Standard Webhooks secret, `whsec_<base64>` (default: random);
      signs the spec dialect's webhooks.
    - `webhook_token` / `webhook_basic_auth`: the credential the observed dialect's webhooks
      carry, `Authorization: Bearer <token>` or basic `(username, password)` (default: a
      random bearer token, `webhook_token`).
    - `faults`: fault injection settings (default: none); also settable later.
    - `seed`: seeds the fault draws, for reproducible runs.
    - `webhook_attempts`, `webhook_backoff`, `webhook_timeout`: delivery attempts per event,
      the first retry delay in seconds at scale 1.0 (doubling after each failure), and the
      timeout of one attempt in seconds.
    - `webhook_hosts`: if given, webhooks go only to URLs on these hosts (e.g.
      `{"127.0.0.1", "localhost"}` to keep a test off the network); others are skipped and
      counted in `stats.webhooks_skipped`. Default: any host.
    - `on_request`: called after each request with (method, path, status, milliseconds), from
      the server's thread; status 0 means the connection was dropped. A request log.
    - `failed_state` (observed dialect): the state of a failed run, `"FAILED"` (default, as
      AMP's platform guide and crewai-tools have it) or `"FAILURE"`.
    - `old_deployment` (observed dialect): answer as a deployment on crewai <= 1.15.21 does,
      with null `progress`, `events`, `events_count`, `events_by_type` and `last_event`.
    - `not_found_polls`: each run answers NOT FOUND to its first N status checks (the
      dialect's NOT FOUND: 404 in the spec dialect, 200 `{"state": "NOT FOUND"}` in the
      observed one), as a run not yet visible right after its kickoff does.
    - `max_body_bytes`: the largest request body accepted (default 1 MiB); a larger one is
      answered 413 without being read whole (a Content-Length over it, before any of it).
    """

    def __init__(
        self,
        crew: Crew | None = None,
        *,
        dialect: DialectName = "spec",
        spec: Mapping[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        scale: float = 1.0,
        token: str | None = None,
        webhook_secret: str | None = None,
        webhook_token: str | None = None,
        webhook_basic_auth: tuple[str, str] | None = None,
        faults: Faults | None = None,
        seed: int | None = None,
        webhook_attempts: int = 5,
        webhook_backoff: float = 1.0,
        webhook_timeout: float = 10.0,
        webhook_hosts: Iterable[str] | None = None,
        on_request: RequestLog | None = None,
        failed_state: FailedState = "FAILED",
        old_deployment: bool = False,
        not_found_polls: int = 0,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if scale < 0:
            raise ValueError(f"scale must be >= 0, not {scale!r}")
        if webhook_attempts < 1:
            raise ValueError("webhook_attempts must be >= 1")
        if webhook_secret is not None and not webhook_secret.startswith(SECRET_PREFIX):
            raise ValueError("webhook_secret must look like whsec_<base64>")
        if webhook_token is not None and webhook_basic_auth is not None:
            raise ValueError("give webhook_token or webhook_basic_auth, not both")
        if isinstance(not_found_polls, bool) or not isinstance(not_found_polls, int) or not_found_polls < 0:
            raise ValueError(f"not_found_polls must be a non-negative integer, not {not_found_polls!r}")
        if token is not None and (not isinstance(token, str) or not token.strip()):
            raise ValueError("token must be a non-empty string: an empty bearer token would let anyone in")
        if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) or max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be a positive integer, not {max_body_bytes!r}")
        loaded = load_spec(spec)
        speaking = dialect_for(
            dialect, loaded.status_variants(), failed_state=failed_state, old_deployment=old_deployment
        )
        self.host = host
        self.seed = seed
        self._webhook_secret = webhook_secret if webhook_secret is not None else generate_secret()
        self._webhook_credential: BearerAuth | BasicAuth = (
            BasicAuth(*webhook_basic_auth)
            if webhook_basic_auth is not None
            else BearerAuth(
                webhook_token if webhook_token is not None else f"amp-hook-{secrets.token_urlsafe(24)}"
            )
        )
        webhook_auth: Auth = Signed(self._webhook_secret) if dialect == "spec" else self._webhook_credential
        self._state = EmulatorState(
            spec=loaded,
            dialect=speaking,
            crew=crew if crew is not None else default_crew(),
            token=token if token is not None else f"amp-emu-{secrets.token_urlsafe(24)}",
            webhook_auth=webhook_auth,
            scale=scale,
            faults=faults if faults is not None else Faults(),
            seed=seed,
            webhook_attempts=webhook_attempts,
            webhook_backoff=webhook_backoff,
            webhook_timeout=webhook_timeout,
            webhook_hosts=None if webhook_hosts is None else frozenset(webhook_hosts),
            on_request=on_request,
            not_found_polls=not_found_polls,
            max_body_bytes=max_body_bytes,
        )
        self._server = BackgroundServer(build_app(self._state), host=host, port=port)
        self._requested_port = port
        self._started = False

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> AmpEmulator:
        """Start serving; returns once the server accepts connections. An emulator runs once:
        after `stop()`, make a new one."""
        if self._started:
            raise RuntimeError("this AmpEmulator was already started; create a new one")
        self._started = True
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving: cancel running crews and pending webhooks, close the port. Idempotent."""
        self._server.stop()

    def serve_forever(self) -> None:
        """Start if needed, then block until `stop()` is called from another thread or the
        process gets Ctrl-C (KeyboardInterrupt propagates, after the emulator has stopped).
        For a command line: `AmpEmulator(port=8000, scale=1.0).serve_forever()`."""
        if not self._started:
            self.start()
        try:
            while self._server.running:
                self._server.join(0.2)  # short waits, so Ctrl-C is seen promptly
        finally:
            self.stop()

    def __enter__(self) -> AmpEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is serving (between ``start()`` and ``stop()``)."""
        return self._server.running

    # --- what a client needs ------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on (RuntimeError before ``start()``)."""
        if self._server.port is None:
            raise RuntimeError("the emulator is not started")
        return self._server.port

    @property
    def base_url(self) -> str:
        """The URL to give a client: ``http://127.0.0.1:<port>``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def token(self) -> str:
        """The bearer token it accepts (a fake's: printing it is safe)."""
        return self._state.token

    @property
    def webhook_secret(self) -> str:
        """The Standard Webhooks secret that signs the spec dialect's webhooks."""
        return self._webhook_secret

    @property
    def webhook_token(self) -> str | None:
        """The bearer token the observed dialect's webhooks carry (None with basic auth)."""
        credential = self._webhook_credential
        return credential.token if isinstance(credential, BearerAuth) else None

    @property
    def webhook_basic_auth(self) -> tuple[str, str] | None:
        """The (username, password) the observed dialect's webhooks carry, if basic."""
        credential = self._webhook_credential
        return (credential.username, credential.password) if isinstance(credential, BasicAuth) else None

    @property
    def unimplemented_operations(self) -> tuple[str, ...]:
        """Operations (by operationId) the spec has and this emulator answers only with a
        clear 501, or the 404 the operation declares: a newer spec's, until one is written."""
        return tuple(op for op in self._state.spec.operations if op not in IMPLEMENTED)

    @property
    def dialect(self) -> DialectName:
        """``"spec"`` or ``"observed"``: which dialect it answers and sends webhooks in."""
        return self._state.dialect.name

    @property
    def crew(self) -> Crew:
        """The scripted crew it runs."""
        return self._state.crew

    @property
    def scale(self) -> float:
        """The time scale of its crews (1.0: human pace)."""
        return self._state.scale

    @property
    def faults(self) -> Faults:
        """The fault injection settings; assign new ones at any time."""
        return self._state.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._state.faults = faults

    # --- what a test inspects ---------------------------------------------------------------

    @property
    def kickoff_count(self) -> int:
        """`POST /kickoff` requests received, whatever the answer (faults included)."""
        return self._state.counters.kickoffs_received

    @property
    def stats(self) -> Stats:
        """A snapshot of the counters: requests per operation, answers per status code,
        faults injected, kickoffs received and started, webhook deliveries."""
        return self._state.counters.snapshot()

    @property
    def kickoff_ids(self) -> list[str]:
        """Ids of the crews started, oldest first."""
        return list(self._state.runs)

    def status_of(self, kickoff_id: str) -> str:
        """`running`, `completed` or `error` (KeyError for an unknown id)."""
        return self._state.runs[kickoff_id].status

    def awaiting_review(self, kickoff_id: str) -> str | None:
        """The id of the task of this kickoff that waits for human feedback, if any."""
        return self._state.runs[kickoff_id].awaiting_task

    def script_status(self, kickoff_id: str, body: Mapping[str, Any] | None) -> None:
        """From now on, `GET /status` of this kickoff answers `body` as given (e.g. a status
        variant newer than this emulator, or a malformed answer for a client test); None goes
        back to the crew's own status. The crew keeps running underneath (KeyError for an
        unknown id; TypeError if `body` is not JSON-serializable)."""
        run = self._state.runs[kickoff_id]
        run.scripted = None if body is None else dumps(body)

    def __repr__(self) -> str:
        # Never the token or the webhook secret.
        where = self.base_url if self._server.port is not None else f"{self.host}:{self._requested_port}"
        state = "running" if self.running else ("stopped" if self._started else "not started")
        crew = self._state.crew
        return (
            f"<AmpEmulator {where} {state} dialect={self.dialect!r} crew={crew.name!r} tasks={len(crew.tasks)} "
            f"scale={self._state.scale} kickoffs={self._state.counters.kickoffs_received}>"
        )
