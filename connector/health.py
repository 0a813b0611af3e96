"""GET /api/health: is each dependency reachable, and how long did it take to say so?

A probe returns nothing (reachable), a mapping of details worth showing (e.g. the provider's credit), or
`NotChecked` (what could not be tried, and why: not a failure); it raises when the dependency is down.
The answer never carries data or secrets: error texts lose URL queries, phone numbers and long tokens.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connector.repositories.work_queue import CAMPAIGN_ACTIONS

_QUERY = re.compile(r"(https?://[^\s?#'\"]+)\?[^\s'\"]*")
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+=_\-]{40,}")


@dataclass(frozen=True)
class NotChecked:
    """A dependency the probe does not contact; `detail` says what was checked instead."""
    detail: str


def safe_error(error: BaseException) -> str:
    """The error's type and message without URL queries, phone numbers or token-like strings."""
    from connector.telemetry import mask_phone_numbers

    text = _QUERY.sub(r"\1?…", f"{type(error).__name__}: {error}")
    return mask_phone_numbers(_LONG_TOKEN.sub("…", text))[:300]


def _timed(check: Callable[[], Any]) -> dict:
    started = time.perf_counter()
    outcome: dict[str, Any]
    try:
        result = check()
        if isinstance(result, NotChecked):
            outcome = {"status": "not checked", "detail": result.detail}
        else:
            outcome = {"status": "ok", **(dict(result) if isinstance(result, Mapping) else {})}
    except Exception as error:          # a health check reports every failure, whatever its kind
        outcome = {"status": "error", "error": safe_error(error)}
    outcome["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return outcome


def check_health(probes: Mapping[str, Callable[[], Any]]) -> dict:
    """Each dependency's probe, timed: a probe that raises reports its error and degrades the answer
    (GET /api/health then answers 503); one not checked does not."""
    started = time.perf_counter()
    checks = {name: _timed(probe) for name, probe in probes.items()}
    status = "degraded" if any(c["status"] == "error" for c in checks.values()) else "ok"
    return {"status": status, "checks": checks, "ms": round((time.perf_counter() - started) * 1000, 1)}


def storage_queue_probe(environ: Mapping[str, str], queue: str = CAMPAIGN_ACTIONS
                        ) -> Callable[[], dict | NotChecked]:
    """The work queues live in the `AzureWebJobsStorage` account: the queue service is asked about the
    campaign actions' queue (its message count shown, never the connection string). Without storage
    settings, a local run: its queues are in-process and nothing is contacted."""
    def probe() -> dict | NotChecked:
        from connector.queues.storage import STORAGE, check_queue_service, storage_connection

        connection = storage_connection(environ)
        if connection is None:
            return NotChecked(f"{STORAGE} is not set: a local run, where queue messages run in-process "
                              "(the Functions host does not start without it)")
        return check_queue_service(connection, queue)
    return probe


def provider_credit_probe(balance: Callable[[], Any]) -> Callable[[], dict]:
    """The provider answers with the account's credit (money or SMS left)."""
    def probe() -> dict:
        credit = balance()
        return {"credit": credit.amount, "unit": credit.unit}
    return probe
