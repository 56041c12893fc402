"""Answering a flow's human-feedback request: POST ``{feedback, source}`` to its ``callback_url``.

The Flow HITL Management page (https://docs.crewai.com/en/enterprise/features/flow-hitl-management)
documents the answer: the URL carries its single-use token; 200 ``{"status": "accepted",
"request": {...}}``; 409 when the request was answered already; 401 for a bad token. The URL and
the ``response_token`` are secrets: they never appear in an error message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from .._config import USER_AGENT
from .._responses import PARSE_ERRORS, status_error, transport_error
from ..errors import ConfigurationError, EventParseError

__all__ = ["DEFAULT_SOURCE", "arespond_feedback", "respond_feedback"]

DEFAULT_SOURCE = "crewai-amp-client"
DEFAULT_TIMEOUT = 30.0


def _request(request: Any, feedback: str, source: str | None) -> tuple[str, dict[str, str], list[str]]:
    """The URL, the JSON body and the secrets to mask, from a parsed request or its URL."""
    url = request if isinstance(request, str) else getattr(request, "callback_url", None)
    token = getattr(request, "response_token", None)
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise EventParseError("the feedback request has no http(s) callback_url to answer", raw=None)
    if not isinstance(feedback, str):
        raise ConfigurationError("feedback must be a str")
    body = {"feedback": feedback}
    if source is not None:
        body["source"] = source
    query = urlsplit(url).query
    secrets = [url, query, *(value for value in query.split("&") if value)]
    if isinstance(token, str) and token:
        secrets.append(token)
    return url, body, secrets


def _answer(response: httpx.Response, secrets: list[str]) -> dict[str, Any]:
    if response.status_code >= 400:
        raise status_error(response, secrets)
    try:
        payload = response.json()
    except PARSE_ERRORS:
        payload = None
    return payload if isinstance(payload, dict) else {"status_code": response.status_code}


def respond_feedback(
    request: Any,
    feedback: str,
    *,
    source: str | None = DEFAULT_SOURCE,
    timeout: float = DEFAULT_TIMEOUT,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Answer a flow's human-feedback request (a `FlowFeedbackRequestPayload`, or its
    `callback_url`): POST `{"feedback": ..., "source": ...}` to the callback URL and return
    AMP's JSON answer (`{"status": "accepted", "request": {...}}`).

    `feedback` is the text the flow receives (for a decorator with `emit=[...]`, AMP turns it
    into one of those outcomes). `source` names your app in AMP's history (None leaves it out).
    Raises `APIStatusError` for a refusal (409: answered already; 401: the token is no longer
    valid), `APIConnectionError` when AMP cannot be reached. Not retried: the token is single-use.
    """
    url, body, secrets = _request(request, feedback, source)
    owned = client is None
    http = client or httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT})
    try:
        response = http.post(url, json=body)
    except httpx.HTTPError as exc:
        raise transport_error(exc, secrets) from None
    finally:
        if owned:
            http.close()
    return _answer(response, secrets)


async def arespond_feedback(
    request: Any,
    feedback: str,
    *,
    source: str | None = DEFAULT_SOURCE,
    timeout: float = DEFAULT_TIMEOUT,
    client: httpx.AsyncClient | None = None,
) -> dict[str, Any]:
    """The async twin of `respond_feedback`."""
    url, body, secrets = _request(request, feedback, source)
    owned = client is None
    http = client or httpx.AsyncClient(timeout=timeout, headers={"User-Agent": USER_AGENT})
    try:
        response = await http.post(url, json=body)
    except httpx.HTTPError as exc:
        raise transport_error(exc, secrets) from None
    finally:
        if owned:
            await http.aclose()
    return _answer(response, secrets)
