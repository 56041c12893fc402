"""Client settings: where the crew is, how to authenticate, how long to wait, how often to retry.

Resolved once, at construction: a missing or unusable URL or token is a ConfigurationError
there, not a puzzling failure at the first request. The token is held here and nowhere else in
the client, and never shown: not in a repr, not in an error message; a URL echoed in an error
loses any ``user:password@``.

Limits: ``max_concurrency`` requests in flight per client (the connection pool is sized to
match), and ``max_response_bytes`` of body per response (more is a ResponseTooLarge).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field

import httpx

from ._version import __version__
from .errors import ConfigurationError, safe_text

__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_FIRST_REQUEST_TIMEOUT",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_NOT_FOUND_GRACE",
    "DEFAULT_RUN_CONCURRENCY",
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
# The encodings the client decodes with a bound on memory (see _body); httpx would also ask for
# br and zstd when their packages are installed.
ACCEPT_ENCODING = "gzip, deflate"
DEFAULT_MAX_RETRIES = 2
# httpx's own default pool size: one request per pooled connection, none queued in the pool.
DEFAULT_MAX_CONCURRENCY = 100
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
# platform.python_implementation()'s names, without importing platform (a few ms at import).
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalVM", "ironpython": "IronPython"}
DEFAULT_RUN_CONCURRENCY = 32  # run_many: runs under way at once (each one a paid crew run)
# A deployment idle for a while can take minutes to answer its first request (AMP's platform
# guide; the reference client in crewAIInc/skills gives its first call 180 s).
DEFAULT_FIRST_REQUEST_TIMEOUT = 180.0
# How long wait() polls through NOT FOUND after a kickoff (the platform guide: "a short grace,
# then fail"): a run is not always visible the moment its kickoff returns.
DEFAULT_NOT_FOUND_GRACE = 30.0
USER_AGENT = (
    f"crewai-amp-client/{__version__} httpx/{httpx.__version__} "
    f"{_IMPLEMENTATIONS.get(sys.implementation.name, sys.implementation.name)}/"
    f"{'.'.join(map(str, sys.version_info[:3]))}"
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
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    first_request_timeout: float | None = DEFAULT_FIRST_REQUEST_TIMEOUT
    not_found_grace: float = DEFAULT_NOT_FOUND_GRACE

    def __repr__(self) -> str:  # the token never appears
        return (
            f"ClientConfig(base_url={self.base_url!r}, token='***', timeout={self.timeout!r}, "
            f"max_retries={self.max_retries}, max_concurrency={self.max_concurrency}, "
            f"max_response_bytes={self.max_response_bytes}, "
            f"first_request_timeout={self.first_request_timeout!r}, not_found_grace={self.not_found_grace!r})"
        )

    @property
    def limits(self) -> httpx.Limits:
        """The pool of the client's own httpx client: a connection for every request in flight,
        all kept alive."""
        return httpx.Limits(
            max_connections=self.max_concurrency, max_keepalive_connections=self.max_concurrency
        )

    @property
    def headers(self) -> dict[str, str]:
        """The headers every request carries."""
        return {
            "Authorization": f"Bearer {self.token}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
        }


def _shown(url: object) -> str:
    """A URL as an error may show it: quoted, without credentials."""
    return safe_text(repr(url))


def _base_url(base_url: object, crew: object) -> str:
    if base_url is not None and crew is not None:
        raise ConfigurationError("give base_url or crew, not both")
    if crew is not None:
        if not isinstance(crew, str) or not _CREW.fullmatch(crew):
            raise ConfigurationError(
                f"crew must be the crew's slug, as in https://<crew>.crewai.com; got {_shown(crew)}"
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
        raise ConfigurationError(f"base_url must be an http:// or https:// URL, got {_shown(base_url)}")
    try:
        url = httpx.URL(stripped)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"base_url is not a valid URL ({safe_text(str(exc))}): {_shown(base_url)}"
        ) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"base_url must be an http:// or https:// URL with a host, got {_shown(base_url)}"
        )
    if url.userinfo:
        raise ConfigurationError("base_url must not contain credentials; pass the token as token=")
    if url.query or url.fragment:
        raise ConfigurationError(f"base_url must not have a query or fragment, got {_shown(base_url)}")
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


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"{name} must be a positive integer, got {value!r}")
    return value


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


def seconds(name: str, value: object, *, optional: bool = False) -> float | None:
    """A non-negative number of seconds (None too, when ``optional``); else ConfigurationError."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        allowed = " or None" if optional else ""
        raise ConfigurationError(f"{name} must be a non-negative number of seconds{allowed}, got {value!r}")
    return float(value)


def resolve(
    *,
    base_url: str | None,
    crew: str | None,
    token: str | None,
    timeout: float | httpx.Timeout | None,
    max_retries: int,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    first_request_timeout: float | None = DEFAULT_FIRST_REQUEST_TIMEOUT,
    not_found_grace: float = DEFAULT_NOT_FOUND_GRACE,
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
        max_concurrency=_positive_int("max_concurrency", max_concurrency),
        max_response_bytes=_positive_int("max_response_bytes", max_response_bytes),
        first_request_timeout=seconds("first_request_timeout", first_request_timeout, optional=True),
        not_found_grace=seconds("not_found_grace", not_found_grace) or 0.0,
    )
