"""GET /api/health: is each dependency reachable? (No data, no secrets in the answer.)"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any


def _timed(check: Callable[[], Any]) -> dict:
    started = time.perf_counter()
    outcome: dict[str, str | float]
    try:
        check()
        outcome = {"status": "ok"}
    except Exception as error:          # a health check reports every failure, whatever its kind
        outcome = {"status": "error", "error": f"{type(error).__name__}: {error}"[:300]}
    outcome["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return outcome


def check_health(probes: Mapping[str, Callable[[], Any]]) -> dict:
    """Each dependency's probe, timed: a probe that raises reports its error."""
    checks = {name: _timed(probe) for name, probe in probes.items()}
    status = "ok" if all(c["status"] == "ok" for c in checks.values()) else "degraded"
    return {"status": status, "checks": checks}
