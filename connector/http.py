"""One place that builds the HTTP sessions of the adapters: pooled, bounded retries, Retry-After, and a
span per request when telemetry is on."""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from connector import telemetry

# 429 (throttled) and 503/504 (busy, gateway time-out) are worth retrying; the rest are answers.
RETRY_STATUSES = (429, 503, 504)
# A 502 (bad gateway) too, for a request its sender declared repeatable (`repeatable`).
REPEATABLE_STATUSES = (502, *RETRY_STATUSES)
# The secrets a URL of ours may carry: SMSC_WEBHOOK_KEY as `key` (provider callbacks), Azure's function key as `code`.
URL_SECRET = re.compile(r"([?&](?:key|code)=)[^&\s\"']+", re.IGNORECASE)


def mask_url_secrets(text: str) -> str:
    """`text` with the values of `key=` and `code=` in any URL it holds replaced by ***."""
    return URL_SECRET.sub(r"\1***", text)

Sleep = Callable[[float], None]


def wall_clock_sleep(seconds: float) -> None:
    time.sleep(seconds)


# How the retries of a session wait, unless `build_session` was given its own `sleep`. Looked up at each
# wait, so the tests (tests/conftest.py) record the waits instead of spending them.
retry_sleep: Sleep = wall_clock_sleep


# What the sender of the request being sent knows about repeating it: None (not said: the session's
# `methods` decide), True (repeating it cannot do a thing twice: retried on 502/503/504 and after a read
# time-out whatever its method, POST included), False (it may not be repeated: 429 only). A context
# variable, so one session serves threads sending repeatable and non-repeatable requests at once.
_repeatable: ContextVar[bool | None] = ContextVar("repeatable_request", default=None)


@contextmanager
def repeatable(decision: bool) -> Iterator[None]:
    """Requests sent inside are retried on 502/503/504 (`decision` True) or only on 429 (False)."""
    token = _repeatable.set(decision)
    try:
        yield
    finally:
        _repeatable.reset(token)


class _Retry(Retry):
    """A 429 means the request was not run, so it is safe to retry whatever the method. Other statuses
    are retried for the session's `methods`, or as the sender said (`repeatable`).

    Waits through `sleep` (default: `retry_sleep`) rather than urllib3's own `time.sleep`."""

    def __init__(self, *args: Any, sleep: Sleep | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sleep = sleep

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)      # urllib3 makes a new Retry after each attempt: keep the sleep
        retry._sleep = self._sleep
        return retry

    def _is_method_retryable(self, method: str) -> bool:
        decision = _repeatable.get()
        return super()._is_method_retryable(method) if decision is None else decision

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429 and self.total and self.status_forcelist and 429 in self.status_forcelist:
            return True
        if status_code == 502 and _repeatable.get() and self.total:
            return True
        return super().is_retry(method, status_code, has_retry_after)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """Retry-After when the server sent one (capped by `retry_after_max`), else the back-off."""
        seconds = self.get_retry_after(response) if response and self.respect_retry_after_header else None
        if not seconds:
            seconds = self.get_backoff_time()
        if seconds > 0:
            (self._sleep or retry_sleep)(seconds)


class TracedAdapter(HTTPAdapter):
    """Each request (its retries included) in a span: method, host, the path without its query (OData
    filters may quote phone numbers, callback URLs carry keys), status and Dataverse's correlation id.
    No header value but that id is recorded, and no body."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if not telemetry.enabled():
            return super().send(request, *args, **kwargs)
        url = urlsplit(request.url or "")
        method = request.method or "GET"
        with telemetry.span(f"HTTP {method}", **{
                "http.request.method": method, "server.address": url.hostname, "server.port": url.port,
                "url.path": url.path}) as span:
            response = super().send(request, *args, **kwargs)
            span.set(**{"http.response.status_code": response.status_code,
                        f"http.response.header.{telemetry.CORRELATION_HEADER}":
                            response.headers.get(telemetry.CORRELATION_HEADER)})
            return response


def build_session(*, retries: int = 4, backoff: float = 0.5, max_retry_after: int = 60,
                  methods: frozenset[str] = frozenset({"GET", "HEAD", "PATCH", "PUT", "DELETE"}),
                  statuses: tuple[int, ...] = RETRY_STATUSES,
                  pool_size: int = 20, user_agent: str = "smsc-dataverse/0.1",
                  sleep: Sleep | None = None) -> requests.Session:
    """A Session retrying `RETRY_STATUSES` at most `retries` times.

    Waits `Retry-After` seconds when the server says so (capped at `max_retry_after`), else
    exponential back-off. POST is retried on 429 (not run by the server), and on 503/504 only when
    the caller adds it to `methods`, i.e. when it carries an idempotency key the server honours, or
    when it is sent inside `repeatable(True)` (then 502 too): the sender decides request by request.
    `statuses` widens `RETRY_STATUSES` for a server that makes a repeated request harmless (an
    idempotency key it honours). `sleep` is how it waits (default: `retry_sleep`, the wall clock).
    """
    retry = _Retry(
        total=retries, connect=retries, read=1, other=0, status=retries,
        status_forcelist=statuses, allowed_methods=methods,
        backoff_factor=backoff, backoff_max=max_retry_after,
        respect_retry_after_header=True, retry_after_max=max_retry_after,
        raise_on_status=False,   # the last answer reaches the adapter, which turns it into an error
        sleep=sleep,
    )
    session = requests.Session()
    adapter = TracedAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    return session
