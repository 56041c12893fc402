"""Client settings: where the crew is, how to authenticate, how long to wait."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import httpx

from ._version import __version__
from .errors import ConfigurationError

ENV_BASE_URL = "CREWAI_AMP_BASE_URL"
ENV_TOKEN = "CREWAI_AMP_TOKEN"  # noqa: S105 - the variable name, not a token
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
USER_AGENT = f"crewai-amp-client/{__version__} httpx/{httpx.__version__}"


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    token: str = field(repr=False)
    timeout: httpx.Timeout
    max_retries: int

    def __repr__(self) -> str:  # the token never appears
        return f"ClientConfig(base_url={self.base_url!r}, token='***', max_retries={self.max_retries})"

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }


def resolve(
    *,
    base_url: str | None,
    crew: str | None,
    token: str | None,
    timeout: float | httpx.Timeout | None,
    max_retries: int,
) -> ClientConfig:
    """Explicit arguments first, then the environment. A missing URL or token is an error now,
    not at the first request."""
    if base_url and crew:
        raise ConfigurationError("give base_url or crew, not both")
    if crew:
        base_url = f"https://{crew}.crewai.com"
    base_url = base_url or os.environ.get(ENV_BASE_URL)
    if not base_url:
        raise ConfigurationError(f"no crew URL: pass base_url= or crew=, or set {ENV_BASE_URL}")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigurationError(f"base_url must start with http:// or https://, got {base_url!r}")
    token = token or os.environ.get(ENV_TOKEN)
    if not token:
        raise ConfigurationError(f"no API token: pass token= or set {ENV_TOKEN}")
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ConfigurationError("max_retries must be a non-negative integer")
    if timeout is None:
        resolved = DEFAULT_TIMEOUT
    elif isinstance(timeout, httpx.Timeout):
        resolved = timeout
    else:
        resolved = httpx.Timeout(float(timeout), connect=min(5.0, float(timeout)))
    return ClientConfig(base_url=base_url.rstrip("/"), token=token, timeout=resolved, max_retries=max_retries)
