"""GET /api/health: is each dependency reachable? (No data, no secrets in the answer.)"""
from __future__ import annotations

import time


def _timed(check) -> dict:
    started = time.perf_counter()
    outcome: dict[str, str | float]
    try:
        check()
        outcome = {"status": "ok"}
    except Exception as error:          # a health check reports every failure, whatever its kind
        outcome = {"status": "error", "error": f"{type(error).__name__}: {error}"[:300]}
    outcome["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return outcome


def check_health(crm, sms) -> dict:
    checks = {
        "dataverse": _timed(lambda: next(iter(crm.retrieve_multiple(
            "smsc_configurations", select=["smsc_configurationid"], top=1)), None)),
        sms.name: _timed(sms.balance),
    }
    status = "ok" if all(c["status"] == "ok" for c in checks.values()) else "degraded"
    return {"status": status, "checks": checks}
