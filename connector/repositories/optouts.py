"""The opt-out list: numbers that must not receive SMS (STOP replies, undeliverable, manual)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


class OptOuts(Protocol):
    def is_opted_out(self, e164: str) -> bool:
        """True when an active opt-out holds this number."""
        ...

    def active_numbers(self) -> Iterator[str]:
        """Every actively opted-out number (E.164), for checks over a whole campaign."""
        ...
