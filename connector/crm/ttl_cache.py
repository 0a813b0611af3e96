"""What the adapter keeps between requests (the configuration row, a user's formats, table
definitions): each value for a few seconds or minutes, shared by the threads of one process."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    def __init__(self, seconds: float, *, limit: int = 1000):
        self.seconds, self.limit = seconds, limit            # `limit` entries, then it starts afresh
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def lookup(self, key: Hashable, load: Callable[[], V], *, now: float | None = None) -> V:
        """The value kept for `key` if younger than `seconds`, else `load()`'s (kept; not when it raises)."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            kept = self._entries.get(key)
        if kept is not None and moment - kept[0] < self.seconds:
            return kept[1]
        value = load()
        with self._lock:
            if len(self._entries) >= self.limit:
                self._entries.clear()
            self._entries[key] = (moment, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
