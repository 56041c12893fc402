"""Client settings: where the crew is, how to authenticate, how long to wait, how often to retry.

Resolved once, at construction: a missing or unusable URL or token is a ConfigurationError
there, not a puzzling failure at the first request. The token is held here and nowhere else in
the client, and never shown: not in a repr, not in an error message.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass, field

import httpx

from ._version import __version__
from .errors import ConfigurationError

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ENV_BASE_URL",
    "ENV_TOKEN",
    "ENV_WEBHOOK_SECRET",
    "USER_AGENT",
    "ClientConfig",
    "resolve",
]

ENV_BASE_URL = "CREWAI_AMP_BASE_URL"
ENV_TOKEN = "CREWAI_AMP_TOKEN"  # noqa: S105 - the variable's name, not a token
# The Standard Webhooks signing secret that `crewai-amp webhooks listen` verifies with.
ENV_WEBHOOK_SECRET = "CREWAI_AMP_WEBHOOK_SECRET"  # noqa: S105 - the variable's name, not a secret
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
USER_AGENT = (
    f"crewai-amp-client/{__version__} httpx/{httpx.__version__} "
    f"{platform.python_implementation()}/{platform.python_version()}"
)
# A crew slug as AMP Cloud names hosts: https://<crew>.crewai.com
_CREW = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# What may follow "Bearer " in a header: visible ASCII, no spaces (RFC 6750 b64token and more).
_TOKEN = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True, slots=True)
class ClientConfig:
    base_url: str
    token: str = field(repr=False)
    timeout: httpx.Timeout
    max_retries: int
    timeout_given: bool = False  # the caller chose a timeout (applied even to their own client)

    def __repr__(self) -> str:  # the token never appears
        return (
            f"ClientConfig(base_url={self.base_url!r}, token='***', timeout={self.timeout!r}, "
            f"max_retries={self.max_retries})"
        )

    @property
    def headers(self) -> dict[str, str]:
        """The headers every request carries."""
        return {
            "Authorization": f"Bearer {self.token}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }


def _base_url(base_url: object, crew: object) -> str:
    if base_url is not None and crew is not None:
        raise ConfigurationError("give base_url or crew, not both")
    if crew is not None:
        if not isinstance(crew, str) or not _CREW.fullmatch(crew):
            raise ConfigurationError(
                f"crew must be the crew's slug, as in https://<crew>.crewai.com; got {crew!r}"
            )
        return f"https://{crew}.crewai.com"
    if base_url is None:
        base_url = os.environ.get(ENV_BASE_URL) or None
        if base_url is None:
            raise ConfigurationError(
                f"no crew URL: pass base_url= (e.g. https://my-crew.crewai.com) or crew=, "
                f"or set {ENV_BASE_URL}"
            )
    if not isinstance(base_url, str):
        raise ConfigurationError(f"base_url must be a string, got {type(base_url).__name__}")
    stripped = base_url.strip()
    if not stripped or any(c.isspace() for c in stripped):
        raise ConfigurationError(f"base_url must be an http:// or https:// URL, got {base_url!r}")
    try:
        url = httpx.URL(stripped)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ConfigurationError(f"base_url is not a valid URL ({exc}): {base_url!r}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(f"base_url must be an http:// or https:// URL with a host, got {base_url!r}")
    if url.userinfo:
        raise ConfigurationError("base_url must not contain credentials; pass the token as token=")
    if url.query or url.fragment:
        raise ConfigurationError(f"base_url must not have a query or fragment, got {base_url!r}")
    return str(url).rstrip("/")


def _token(token: object) -> str:
    if token is None:
        token = os.environ.get(ENV_TOKEN) or None
        if token is None:
            raise ConfigurationError(f"no API token: pass token= or set {ENV_TOKEN}")
    if not isinstance(token, str):
        raise ConfigurationError(f"token must be a string, got {type(token).__name__}")
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[len("bearer ") :].strip()
    if not token:
        raise ConfigurationError(f"the API token is empty: pass token= or set {ENV_TOKEN}")
    if not _TOKEN.fullmatch(token):  # described, never shown
        raise ConfigurationError(
            "the API token contains characters an HTTP header cannot carry (spaces, control or "
            "non-ASCII characters); copy it again from the AMP dashboard"
        )
    return token


def _timeout(timeout: object) -> httpx.Timeout:
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ConfigurationError(
            f"timeout must be a positive number of seconds or an httpx.Timeout, got {timeout!r}"
        )
    return httpx.Timeout(float(timeout))


def resolve(
    *,
    base_url: str | None,
    crew: str | None,
    token: str | None,
    timeout: float | httpx.Timeout | None,
    max_retries: int,
) -> ClientConfig:
    """Explicit arguments first, then the environment."""
    url = _base_url(base_url, crew)
    secret = _token(token)
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError(f"max_retries must be a non-negative integer, got {max_retries!r}")
    return ClientConfig(
        base_url=url,
        token=secret,
        timeout=_timeout(timeout),
        max_retries=max_retries,
        timeout_given=timeout is not None,
    )
