"""Dataverse's service-protection limits, as the emulator enforces them (Microsoft's "Service protection
API limits"): per user, at most `requests` requests in any sliding window of `window` seconds and at most
`concurrent` requests at once. Beyond either, the answer is 429 with `Retry-After` (whole seconds) and the
Web API error body: 0x80072322 for the number of requests, 0x80072326 for concurrency. A `$batch` counts
as one request; a refused request does not count. Defaults are Dataverse's (6,000 per 300 s, 52).

The user is who the request acts as: the `CallerObjectId` (or `MSCRMCallerID`) it impersonates, else
the bearer token's application user. Set at start from the environment (`from_environment`, which
`smsc emulators --limit-*` fills) and at run time through `/_emulator/limits`; the clock is injectable.
"""
from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

REQUESTS_CODE = "0x80072322"
CONCURRENCY_CODE = "0x80072326"
DEFAULTS = {"requests": 6000, "window": 300.0, "concurrent": 52, "enabled": True}
ENVIRONMENT = {"requests": "SMSC_EMULATOR_REQUESTS_PER_WINDOW", "window": "SMSC_EMULATOR_WINDOW_SECONDS",
               "concurrent": "SMSC_EMULATOR_CONCURRENT_REQUESTS", "enabled": "SMSC_EMULATOR_LIMITS"}


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: the error code and message, and the seconds to wait."""
    code: str
    message: str
    retry_after: int


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "requests": (lambda v: _whole(v, 1, 10_000_000), "a whole number of requests >= 1"),
    "window": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 86_400,
               "seconds in (0, 86400]"),
    "concurrent": (lambda v: _whole(v, 1, 100_000), "a whole number of requests >= 1"),
    "enabled": (lambda v: isinstance(v, bool), "true or false"),
}


def limit_options(options: Any) -> tuple[dict[str, Any], str | None]:
    """The settings a control request asks for, or the problem with it (answered 400, nothing changed)."""
    if not isinstance(options, dict):
        return {}, 'the body must be a JSON object such as {"requests": 50, "window": 5, "concurrent": 52}'
    unknown = sorted(set(options) - set(CHECKS))
    if unknown:
        return {}, f"unknown fields {unknown}; known: {sorted(CHECKS)}"
    wrong = [f"{name} ({CHECKS[name][1]})" for name in CHECKS if name in options and not CHECKS[name][0](options[name])]
    if wrong:
        return {}, f"bad values for {wrong}"
    return options, None


class ServiceLimits:
    def __init__(self, requests: int = 6000, window: float = 300.0, concurrent: int = 52, *,
                 enabled: bool = True, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.initial = {"requests": requests, "window": float(window), "concurrent": concurrent, "enabled": enabled}
        self.requests, self.window, self.concurrent, self.enabled = requests, float(window), concurrent, enabled
        self._seen: dict[str, deque[float]] = {}       # user -> times of its admitted requests, oldest first
        self._running: dict[str, int] = {}
        self.refused = {REQUESTS_CODE: 0, CONCURRENCY_CODE: 0}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ, **kwargs: Any) -> ServiceLimits:
        """Dataverse's limits, or what the SMSC_EMULATOR_* variables say (a value that does not read is
        an error at start, naming the variable)."""
        settings: dict[str, Any] = dict(DEFAULTS)
        for name, variable in ENVIRONMENT.items():
            raw = environ.get(variable, "").strip()
            if not raw:
                continue
            try:
                value: Any = raw.lower() not in ("0", "false", "off", "no") if name == "enabled" else (
                    float(raw) if name == "window" else int(raw))
            except ValueError:
                raise ValueError(f"{variable}={raw!r}: expected {CHECKS[name][1]}") from None
            if not CHECKS[name][0](value):
                raise ValueError(f"{variable}={raw!r}: expected {CHECKS[name][1]}")
            settings[name] = value
        return cls(**settings, **kwargs)

    def configure(self, **options: Any) -> None:
        """New settings (as checked by `limit_options`); what was counted so far stays counted."""
        with self.lock:
            for name, value in options.items():
                setattr(self, name, float(value) if name == "window" else value)

    def reset(self) -> None:
        """The settings given at start, and nothing counted."""
        with self.lock:
            for name, value in self.initial.items():
                setattr(self, name, value)
            self._seen.clear()
            self._running.clear()
            self.refused = {REQUESTS_CODE: 0, CONCURRENCY_CODE: 0}

    def enter(self, user: str) -> Refusal | None:
        """Admits one request of `user` (then `leave` must follow) or says why not."""
        with self.lock:
            if not self.enabled:
                return None
            now = self.clock()
            seen = self._seen.setdefault(user, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if self._running.get(user, 0) >= self.concurrent:
                self.refused[CONCURRENCY_CODE] += 1
                return Refusal(CONCURRENCY_CODE,
                               f"Number of concurrent requests exceeded the limit of {self.concurrent}.", 1)
            if len(seen) >= self.requests:
                self.refused[REQUESTS_CODE] += 1
                wait = max(1, math.ceil(seen[0] + self.window - now))
                return Refusal(REQUESTS_CODE, f"Number of requests exceeded the limit of {self.requests} over "
                                              f"time window of {self.window:g} seconds.", wait)
            seen.append(now)
            self._running[user] = self._running.get(user, 0) + 1
            return None

    def leave(self, user: str) -> None:
        with self.lock:
            if self._running.get(user, 0) > 0:
                self._running[user] -= 1

    def shown(self) -> dict[str, Any]:
        """The settings, and per user the requests in the current window and those running."""
        with self.lock:
            now = self.clock()
            users = {user: {"in_window": sum(1 for t in seen if t > now - self.window),
                            "running": self._running.get(user, 0)} for user, seen in self._seen.items()}
            return {"requests": self.requests, "window": self.window, "concurrent": self.concurrent,
                    "enabled": self.enabled, "refused": {"requests": self.refused[REQUESTS_CODE],
                                                         "concurrent": self.refused[CONCURRENCY_CODE]},
                    "users": users}


def user_of(headers: Mapping[str, str]) -> str:
    """Who a request acts as, for the limits: the impersonated user, else the application (its token,
    shown only as a short digest)."""
    object_id, legacy = headers.get("CallerObjectId"), headers.get("MSCRMCallerID")
    if object_id:
        return f"CallerObjectId:{object_id.lower()}"
    if legacy:
        return f"MSCRMCallerID:{legacy.lower()}"
    token = headers.get("Authorization", "")
    return f"application:{hashlib.sha256(token.encode()).hexdigest()[:8]}"
