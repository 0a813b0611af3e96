"""Fixtures for every test."""
from __future__ import annotations

import pytest

from connector import http


@pytest.fixture(autouse=True)
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds the HTTP retries asked to wait (Retry-After, back-off), recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(http, "retry_sleep", waits.append)
    return waits
