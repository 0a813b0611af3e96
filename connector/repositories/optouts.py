"""The opt-out list: numbers that must not receive SMS (STOP replies, undeliverable, manual)."""
from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol


class OptOutReason(enum.IntEnum):
    """Values of the CRM choice `smsc_optout.smsc_reason`."""
    STOP = 1
    UNDELIVERABLE = 2
    MANUAL = 3


@dataclass(frozen=True)
class OptOut:
    number: str             # E.164
    reason: OptOutReason
    active: bool


class OptOuts(Protocol):
    def is_opted_out(self, e164: str) -> bool:
        """True when an active opt-out holds this number (read now: no cache outlives a STOP)."""
        ...

    def active_numbers(self) -> Iterator[str]:
        """Every actively opted-out number (E.164), for checks over a whole campaign."""
        ...

    def find(self, e164: str) -> OptOut | None:
        """The number's opt-out row, active or not."""
        ...

    def opt_out(self, e164: str, reason: OptOutReason) -> None:
        """Write, or re-activate, the number's one row: active (set explicitly) with this reason."""
        ...

    def lift(self, e164: str) -> None:
        """Set the number's row inactive (nothing when it has none). Which opt-outs may be lifted,
        and by whom, is the caller's rule (connector.optout)."""
        ...

    def opt_out_many(self, numbers: Sequence[str], reason: OptOutReason) -> dict[str, str]:
        """`opt_out` for many numbers (E.164, distinct) in batched writes (imports): the numbers the
        CRM refused, each with its reason; the others are written, active with this reason."""
        ...
