"""Progress of a campaign action, reported chunk by chunk (the CLI draws a bar from it)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
Progress = Callable[[str, int], None]        # (stage, items done so far)


def no_progress(stage: str, done: int) -> None:
    return None


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Fixed-size chunks: the unit of work (and of fan-out) of every campaign action."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass
class Tally:
    total: int = 0
    errors: int = 0
    segments: int = 0

    @property
    def valid(self) -> int:
        return self.total - self.errors
