"""HTTP for every client of the service (Odoo, Tryton, Morning, CardDAV,
webhooks): one ``requests`` session factory and one retry policy.

The policy, the same for every client (urllib3's ``Retry`` underneath):

- a connection that cannot be made is tried again, whatever the request: the
  server never saw it;
- 408 (the server gave up waiting for the request) and 429 (too many
  requests) are tried again whatever the request: the server did not act;
- 500, 502, 503, 504 and a lost answer (a timeout or a connection cut after
  the request went out) are tried again only for a request that is safe to
  repeat: GET, HEAD, OPTIONS, PUT, DELETE, PROPFIND, REPORT, a request that
  carries an ``Idempotency-Key``, or one the caller marks ``retry_safe``
  (a read over JSON-RPC, a page Odoo applies only once);
- any other answer (a 4xx, 413 included) is the server's answer, returned at
  once; a redirect is returned too, never followed (a POST must not turn into
  a GET).

Waits: the server's ``Retry-After`` when it sends one (seconds or an HTTP
date), else 1, 2, 4, 8 … seconds; no single wait longer than ``MAX_WAIT``.
``max_retries`` (each section of the configuration has one) is the number of
tries after the first. When they are used up the last answer is returned, and
``describe(response)`` says ``gave up after N attempts (HTTP 503)``.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from . import __version__

USER_AGENT = f"crm-sync/{__version__} python-requests/{requests.__version__}"
MAX_WAIT = 300.0
# the server did not act on the request: any request may be sent again
NOT_ACTED_ON = frozenset({408, 429})
# the server may have acted: only a request safe to repeat is sent again
SERVER_FAILURES = frozenset({500, 502, 503, 504})
SAFE_METHODS = frozenset(
    {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "PROPFIND", "REPORT"}
)


class RetryPolicy(Retry):
    """urllib3's Retry with the service's rules (see the module's docstring);
    ``pause`` is the sleep function (tests record the waits instead)."""

    def __init__(
        self,
        *args: Any,
        pause: Callable[[float], None] = time.sleep,
        max_wait: float = MAX_WAIT,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pause = pause
        self.max_wait = max_wait

    def new(self, **kw: Any) -> RetryPolicy:
        retry: RetryPolicy = super().new(**kw)
        retry.pause, retry.max_wait = self.pause, self.max_wait
        return retry

    def is_retry(
        self, method: str, status_code: int, has_retry_after: bool = False
    ) -> bool:
        if status_code in NOT_ACTED_ON:
            return True
        retryable: bool = self._is_method_retryable(method)  # type: ignore[attr-defined]
        return status_code in SERVER_FAILURES and retryable

    def get_backoff_time(self) -> float:
        failures = sum(1 for entry in self.history if entry.redirect_location is None)
        if failures < 1:
            return 0.0
        return float(min(self.max_wait, self.backoff_factor * 2 ** (failures - 1)))

    def get_retry_after(self, response: Any) -> float | None:
        try:
            seconds = super().get_retry_after(response)
        except Exception:  # noqa: BLE001 - a malformed header: back off instead
            return None
        return None if seconds is None else min(float(seconds), self.max_wait)

    def sleep(self, response: Any = None) -> None:
        wait = None
        if response is not None and self.respect_retry_after_header:
            wait = self.get_retry_after(response)
        if wait is None:
            wait = self.get_backoff_time()
        if wait > 0:
            self.pause(wait)


class _PolicyAdapter(HTTPAdapter):
    """Sends with the policy for idempotent methods, or with the policy for
    every method when the request is safe to repeat."""

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__(max_retries=policy)
        self._any_method = HTTPAdapter(max_retries=policy.new(allowed_methods=None))

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        if getattr(request, "retry_safe", False) or "Idempotency-Key" in (
            request.headers
        ):
            return self._any_method.send(request, **kwargs)
        return super().send(request, **kwargs)

    def close(self) -> None:
        # types-requests 2.31 leaves HTTPAdapter.close unannotated
        super().close()  # type: ignore[no-untyped-call]
        self._any_method.close()  # type: ignore[no-untyped-call]


class Session(requests.Session):
    """A requests session with the retry policy, a timeout on every request
    and the service's user agent. ``request(..., retry_safe=True)`` marks a
    request that may be repeated although its method is not idempotent."""

    def __init__(
        self,
        timeout: float,
        max_retries: int,
        *,
        backoff: float = 1.0,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.timeout = timeout
        self.max_retries = max_retries
        self.headers["User-Agent"] = USER_AGENT
        adapter = _PolicyAdapter(
            RetryPolicy(
                total=max_retries,
                backoff_factor=backoff,
                allowed_methods=SAFE_METHODS,
                raise_on_status=False,
                raise_on_redirect=False,
                respect_retry_after_header=True,
                pause=pause,
            )
        )
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        # pooled connections are closed with the session, not left to the GC
        weakref.finalize(self, adapter.close)

    def request(  # type: ignore[override]
        self,
        method: str | bytes,
        url: str | bytes,
        *,
        retry_safe: bool = False,
        timeout: float | None = None,
        allow_redirects: bool = False,  # noqa: ARG002 - redirects are never followed
        **kwargs: Any,
    ) -> requests.Response:
        method = method.decode() if isinstance(method, bytes) else method
        prepared = self.prepare_request(requests.Request(method.upper(), url, **kwargs))
        prepared.retry_safe = retry_safe  # type: ignore[attr-defined]
        settings = self.merge_environment_settings(prepared.url, {}, None, None, None)
        return self.send(
            prepared,
            timeout=self.timeout if timeout is None else timeout,
            allow_redirects=False,
            **settings,
        )

    def explain(self, error: BaseException) -> str:
        """A requests exception in a few words, with the attempts made:
        ``gave up after 4 attempts ([Errno 111] Connection refused)``."""
        cause = error.args[0] if error.args else error
        if isinstance(cause, MaxRetryError):
            return (
                f"gave up after {self.max_retries + 1} attempts "
                f"({_reason(cause.reason or cause, self.timeout)})"
            )
        return _reason(cause, self.timeout)


def session(config: Any, pause: Callable[[float], None] = time.sleep) -> Session:
    """The session of a configuration section with ``timeout`` and
    ``max_retries`` (odoo, a source, a target)."""
    return Session(config.timeout, config.max_retries, pause=pause)


def attempts(response: requests.Response) -> int:
    """How many times the request of ``response`` was sent."""
    retries = getattr(response.raw, "retries", None)
    history = retries.history if retries is not None else ()
    return 1 + sum(1 for entry in history if entry.redirect_location is None)


def describe(response: requests.Response) -> str:
    """``HTTP 404 Not Found``; ``gave up after 4 attempts (HTTP 503)`` when
    the policy tried it again; where a redirect points."""
    tries = attempts(response)
    status = f"HTTP {response.status_code}"
    if tries > 1 and response.status_code in NOT_ACTED_ON | SERVER_FAILURES:
        return f"gave up after {tries} attempts ({status})"
    if response.is_redirect:
        text = f"{status}: redirected to {response.headers.get('Location')}"
    else:
        text = f"{status} {response.reason or ''}".strip()
    return f"{text} (attempt {tries})" if tries > 1 else text


def _reason(error: BaseException, timeout: float) -> str:
    if isinstance(error, ReadTimeoutError | requests.exceptions.ReadTimeout):
        return f"no answer within {timeout:g} s"
    if isinstance(error, NewConnectionError):
        # "<connection object>: Failed to establish a new connection: [Errno …"
        return str(error).split("new connection: ", 1)[-1]
    if isinstance(error, ConnectTimeoutError | requests.exceptions.ConnectTimeout):
        return f"no connection within {timeout:g} s"
    args: tuple[Any, ...] = getattr(error, "args", ())
    # ProtocolError('Connection aborted.', RemoteDisconnected('...'))
    if len(args) == 2 and isinstance(args[1], BaseException):
        return f"{args[0].rstrip('.')}: {args[1]}"
    text = str(error) or type(error).__name__
    # urllib3's messages start with the pool: "HTTPConnectionPool(host=...): "
    return re.sub(r"^\w+ConnectionPool\([^)]*\): ", "", text)
