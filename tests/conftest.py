"""Fixtures for every test.

Being in the `tests` package, this conftest also makes pytest put the repository root on `sys.path`
(prepend import mode), so `from tests.fakes.records import FakeRecords` works under a plain `pytest`.
"""
from __future__ import annotations

import pytest

from connector import http
from tests.azurite import azurite  # noqa: F401  (Azurite's queue service, session-wide, for the storage tests)


@pytest.fixture(autouse=True)
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds the HTTP retries asked to wait (Retry-After, back-off), recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(http, "retry_sleep", waits.append)
    return waits
