"""AmpClient and AsyncAmpClient: the generated operations, with typed errors, safe retries
and polling.

Requests are built by the generated operations (`_get_kwargs`) and responses parsed by them
(`_parse_response`), so a regenerated spec flows through. Everything shared between the sync
and async clients lives in `_Core`; the two classes differ only in how they do I/O and sleep.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from types import ModuleType, TracebackType
from typing import Any, TypeVar

import httpx
from crewai_amp_api.api.inputs import list_inputs
from crewai_amp_api.api.kickoff import kickoff_crew
from crewai_amp_api.api.resume import resume_kickoff
from crewai_amp_api.api.status import get_kickoff_status
from crewai_amp_api.client import Client as _GeneratedClient
from crewai_amp_api.models import (
    InputsResponse,
    KickoffRequest,
    KickoffRequestInputs,
    KickoffRequestMeta,
    ResumeRequest,
)
from crewai_amp_api.types import UNSET

from . import _retry
from ._config import DEFAULT_MAX_RETRIES, ClientConfig, resolve
from ._polling import PollPlan
from ._status import (
    KNOWN_STATUSES,
    KickoffResponse,
    ResumeResponse,
    Status,
    StatusCompleted,
    StatusError,
    StatusUnknown,
    status_value,
)
from .errors import (
    APIConnectionError,
    APITimeoutError,
    ExecutionError,
    ResponseValidationError,
    WaitTimeout,
    status_error_class,
)

__all__ = ["AmpClient", "AsyncAmpClient"]

logger = logging.getLogger("crewai_amp")
T = TypeVar("T")
StatusCallback = Callable[[Status], object]
_PARSE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


def _json_or_text(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text


def _status_error(response: httpx.Response) -> Exception:
    body = _json_or_text(response)
    detail = body.get("error") if isinstance(body, dict) else None
    reason = response.reason_phrase or "error"
    message = f"{response.status_code} {reason}" + (
        f": {detail}" if isinstance(detail, str) and detail else ""
    )
    return status_error_class(response.status_code)(message, response=response, body=body)


def _transport_error(exc: httpx.HTTPError) -> APIConnectionError:
    try:
        request: httpx.Request | None = exc.request
    except RuntimeError:  # httpx raises when the exception carries no request
        request = None
    kind = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    return kind(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, request=request)


def _type_problem(parsed: object) -> str | None:
    if isinstance(parsed, InputsResponse) and not (
        isinstance(parsed.inputs, list) and all(isinstance(i, str) for i in parsed.inputs)
    ):
        return "inputs must be a list of strings"
    if isinstance(parsed, KickoffResponse) and not (isinstance(parsed.kickoff_id, str) and parsed.kickoff_id):
        return "kickoff_id must be a non-empty string"
    return None


class _Core:
    """Configuration, request building and response handling shared by both clients."""

    def __init__(self, config: ClientConfig, *, owns_http: bool) -> None:
        self._config = config
        self._owns_http = owns_http
        # The generated parsers only read `raise_on_unexpected_status` from this.
        self._parser_client = _GeneratedClient(base_url=config.base_url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._config.base_url!r})"

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def _request_args(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        args = dict(kwargs)
        args["url"] = self._config.base_url + args["url"]
        if not self._owns_http:  # a user's httpx client: add our headers per request
            args["headers"] = {**self._config.headers, **args.get("headers", {})}
        return args

    def _log(self, method: str, url: str, outcome: object, started: float, attempt: int) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            path = url[len(self._config.base_url) :]
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.debug(
                "%s %s -> %s in %.1f ms (retry %d)", method.upper(), path, outcome, elapsed_ms, attempt
            )

    def _parse(self, operation: ModuleType, response: httpx.Response) -> Any:
        if not response.is_success:
            raise _status_error(response)
        try:
            parsed = operation._parse_response(client=self._parser_client, response=response)
        except _PARSE_ERRORS as exc:  # json.JSONDecodeError is a ValueError
            if operation is get_kickoff_status:
                unknown = self._unknown_status(response)
                if unknown is not None:
                    return unknown
            raise ResponseValidationError(
                f"{response.status_code} response does not match the spec: {type(exc).__name__}: {exc}",
                raw=response.text,
                status_code=response.status_code,
                response=response,
            ) from None
        # The generated parsers cast primitive fields without checking them; check the ones
        # this client hands to callers.
        problem = "unexpected status" if parsed is None else _type_problem(parsed)
        if problem:
            raise ResponseValidationError(
                f"{response.status_code} response does not match the spec: {problem}",
                raw=response.text,
                status_code=response.status_code,
                response=response,
            )
        return parsed

    @staticmethod
    def _unknown_status(response: httpx.Response) -> StatusUnknown | None:
        try:
            body = response.json()
        except ValueError:
            return None
        if (
            isinstance(body, dict)
            and isinstance(body.get("status"), str)
            and body["status"] not in KNOWN_STATUSES
        ):
            return StatusUnknown(status=body["status"], raw=body)
        return None

    @staticmethod
    def _kickoff_kwargs(
        inputs: Mapping[str, Any],
        meta: Mapping[str, Any] | None,
        task_webhook_url: str | None,
        step_webhook_url: str | None,
        crew_webhook_url: str | None,
    ) -> dict[str, Any]:
        body = KickoffRequest(
            inputs=KickoffRequestInputs.from_dict(dict(inputs)),
            meta=KickoffRequestMeta.from_dict(dict(meta)) if meta is not None else UNSET,
            task_webhook_url=task_webhook_url if task_webhook_url is not None else UNSET,
            step_webhook_url=step_webhook_url if step_webhook_url is not None else UNSET,
            crew_webhook_url=crew_webhook_url if crew_webhook_url is not None else UNSET,
        )
        return kickoff_crew._get_kwargs(body=body)

    @staticmethod
    def _resume_kwargs(
        execution_id: str,
        task_id: str,
        human_feedback: str,
        is_approve: bool,
        task_webhook_url: str | None,
        step_webhook_url: str | None,
        crew_webhook_url: str | None,
    ) -> dict[str, Any]:
        body = ResumeRequest(
            execution_id=execution_id,
            task_id=task_id,
            human_feedback=human_feedback,
            is_approve=is_approve,
            task_webhook_url=task_webhook_url if task_webhook_url is not None else UNSET,
            step_webhook_url=step_webhook_url if step_webhook_url is not None else UNSET,
            crew_webhook_url=crew_webhook_url if crew_webhook_url is not None else UNSET,
        )
        return resume_kickoff._get_kwargs(body=body)

    @staticmethod
    def _settled(kickoff_id: str, status: Status) -> StatusCompleted | None:
        """The final status if the crew is done; raises ExecutionError if it failed."""
        if isinstance(status, StatusCompleted):
            return status
        if isinstance(status, StatusError):
            message = status.error if isinstance(status.error, str) else "the crew ended in error"
            raise ExecutionError(f"crew {kickoff_id} failed: {message}", kickoff_id=kickoff_id, status=status)
        return None


class AmpClient(_Core):
    """A synchronous client for one AMP crew.

    >>> client = AmpClient(crew="my-crew", token="...")   # or env CREWAI_AMP_BASE_URL / _TOKEN
    >>> result = client.run({"topic": "AI"})
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        crew: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
    ) -> None:
        config = resolve(base_url=base_url, crew=crew, token=token, timeout=timeout, max_retries=max_retries)
        super().__init__(config, owns_http=http_client is None)
        self._http = http_client or httpx.Client(headers=config.headers, timeout=config.timeout)

    # -- plumbing --

    def _send(self, operation: ModuleType, kwargs: dict[str, Any], *, idempotent: bool) -> Any:
        args = self._request_args(kwargs)
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = self._http.request(**args)
            except httpx.HTTPError as exc:
                self._log(args["method"], args["url"], type(exc).__name__, started, attempt)
                if attempt < self._config.max_retries and _retry.should_retry_exception(
                    exc, idempotent=idempotent
                ):
                    time.sleep(_retry.backoff(attempt))
                    attempt += 1
                    continue
                raise _transport_error(exc) from exc
            self._log(args["method"], args["url"], response.status_code, started, attempt)
            if attempt < self._config.max_retries and _retry.should_retry_status(
                response.status_code, idempotent=idempotent
            ):
                time.sleep(_retry.delay_for(response, attempt))
                attempt += 1
                continue
            return self._parse(operation, response)

    # -- the API --

    def inputs(self) -> list[str]:
        """The input names this crew expects at kickoff."""
        result: InputsResponse = self._send(list_inputs, list_inputs._get_kwargs(), idempotent=True)
        return list(result.inputs)

    def kickoff(
        self,
        inputs: Mapping[str, Any],
        *,
        meta: Mapping[str, Any] | None = None,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> KickoffResponse:
        """Start a crew run. Never retried once the request may have reached AMP."""
        kwargs = self._kickoff_kwargs(inputs, meta, task_webhook_url, step_webhook_url, crew_webhook_url)
        result: KickoffResponse = self._send(kickoff_crew, kwargs, idempotent=False)
        return result

    def status(self, kickoff_id: str) -> Status:
        """The run's current status: running, completed, error, or StatusUnknown."""
        result: Status = self._send(
            get_kickoff_status, get_kickoff_status._get_kwargs(kickoff_id), idempotent=True
        )
        return result

    def wait(
        self, kickoff_id: str, *, timeout: float = 600, on_status: StatusCallback | None = None
    ) -> StatusCompleted:
        """Poll until the run completes. Raises ExecutionError if it fails, WaitTimeout after `timeout` s."""
        started = time.monotonic()
        deadline = started + timeout
        plan = PollPlan(started=started)
        while True:
            status = self.status(kickoff_id)
            if on_status is not None:
                on_status(status)
            final = self._settled(kickoff_id, status)
            if final is not None:
                return final
            now = time.monotonic()
            if now >= deadline:
                raise WaitTimeout(
                    f"crew {kickoff_id} still {status_value(status)} after {timeout:g} s",
                    kickoff_id=kickoff_id,
                    last_status=status,
                )
            time.sleep(min(plan.next_delay(status, now), deadline - now))

    def run(
        self,
        inputs: Mapping[str, Any],
        *,
        timeout: float = 600,
        on_status: StatusCallback | None = None,
        meta: Mapping[str, Any] | None = None,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> StatusCompleted:
        """kickoff() then wait()."""
        kicked = self.kickoff(
            inputs,
            meta=meta,
            task_webhook_url=task_webhook_url,
            step_webhook_url=step_webhook_url,
            crew_webhook_url=crew_webhook_url,
        )
        return self.wait(kicked.kickoff_id, timeout=timeout, on_status=on_status)

    def resume(
        self,
        execution_id: str,
        task_id: str,
        human_feedback: str,
        is_approve: bool,
        *,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> ResumeResponse:
        """Answer a human review: approve (True) or retry the task with the feedback (False)."""
        kwargs = self._resume_kwargs(
            execution_id,
            task_id,
            human_feedback,
            is_approve,
            task_webhook_url,
            step_webhook_url,
            crew_webhook_url,
        )
        result: ResumeResponse = self._send(resume_kickoff, kwargs, idempotent=False)
        return result

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> AmpClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncAmpClient(_Core):
    """The asynchronous twin of AmpClient: the same methods, awaitable."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        crew: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        config = resolve(base_url=base_url, crew=crew, token=token, timeout=timeout, max_retries=max_retries)
        super().__init__(config, owns_http=http_client is None)
        self._http = http_client or httpx.AsyncClient(headers=config.headers, timeout=config.timeout)

    async def _send(self, operation: ModuleType, kwargs: dict[str, Any], *, idempotent: bool) -> Any:
        args = self._request_args(kwargs)
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = await self._http.request(**args)
            except httpx.HTTPError as exc:
                self._log(args["method"], args["url"], type(exc).__name__, started, attempt)
                if attempt < self._config.max_retries and _retry.should_retry_exception(
                    exc, idempotent=idempotent
                ):
                    await asyncio.sleep(_retry.backoff(attempt))
                    attempt += 1
                    continue
                raise _transport_error(exc) from exc
            self._log(args["method"], args["url"], response.status_code, started, attempt)
            if attempt < self._config.max_retries and _retry.should_retry_status(
                response.status_code, idempotent=idempotent
            ):
                await asyncio.sleep(_retry.delay_for(response, attempt))
                attempt += 1
                continue
            return self._parse(operation, response)

    async def inputs(self) -> list[str]:
        result: InputsResponse = await self._send(list_inputs, list_inputs._get_kwargs(), idempotent=True)
        return list(result.inputs)

    async def kickoff(
        self,
        inputs: Mapping[str, Any],
        *,
        meta: Mapping[str, Any] | None = None,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> KickoffResponse:
        kwargs = self._kickoff_kwargs(inputs, meta, task_webhook_url, step_webhook_url, crew_webhook_url)
        result: KickoffResponse = await self._send(kickoff_crew, kwargs, idempotent=False)
        return result

    async def status(self, kickoff_id: str) -> Status:
        result: Status = await self._send(
            get_kickoff_status, get_kickoff_status._get_kwargs(kickoff_id), idempotent=True
        )
        return result

    async def wait(
        self, kickoff_id: str, *, timeout: float = 600, on_status: StatusCallback | None = None
    ) -> StatusCompleted:
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + timeout
        plan = PollPlan(started=started)
        while True:
            status = await self.status(kickoff_id)
            if on_status is not None:
                on_status(status)
            final = self._settled(kickoff_id, status)
            if final is not None:
                return final
            now = loop.time()
            if now >= deadline:
                raise WaitTimeout(
                    f"crew {kickoff_id} still {status_value(status)} after {timeout:g} s",
                    kickoff_id=kickoff_id,
                    last_status=status,
                )
            await asyncio.sleep(min(plan.next_delay(status, now), deadline - now))

    async def run(
        self,
        inputs: Mapping[str, Any],
        *,
        timeout: float = 600,
        on_status: StatusCallback | None = None,
        meta: Mapping[str, Any] | None = None,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> StatusCompleted:
        kicked = await self.kickoff(
            inputs,
            meta=meta,
            task_webhook_url=task_webhook_url,
            step_webhook_url=step_webhook_url,
            crew_webhook_url=crew_webhook_url,
        )
        return await self.wait(kicked.kickoff_id, timeout=timeout, on_status=on_status)

    async def resume(
        self,
        execution_id: str,
        task_id: str,
        human_feedback: str,
        is_approve: bool,
        *,
        task_webhook_url: str | None = None,
        step_webhook_url: str | None = None,
        crew_webhook_url: str | None = None,
    ) -> ResumeResponse:
        kwargs = self._resume_kwargs(
            execution_id,
            task_id,
            human_feedback,
            is_approve,
            task_webhook_url,
            step_webhook_url,
            crew_webhook_url,
        )
        result: ResumeResponse = await self._send(resume_kickoff, kwargs, idempotent=False)
        return result

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncAmpClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
