"""The in-process work queue of a local run (`smsc serve`, the demo): no storage service, the same
port. Messages wait until their delay has passed; whoever hosts the functions takes the due ones
and runs the queue-triggered function on them (smsc.serve)."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from connector.clock import utcnow
from connector.repositories.work_queue import MAX_DELAY


class LocalQueue:
    def __init__(self, name: str, clock: Callable[[], datetime] = utcnow):
        self.name, self.clock = name, clock
        self._waiting: list[tuple[datetime, int, str]] = []
        self._lock = threading.Lock()
        self._order = 0

    def put(self, message: dict, *, delay: timedelta | None = None) -> None:
        due = self.clock() + min(delay or timedelta(0), MAX_DELAY)
        with self._lock:
            self._order += 1
            self._waiting.append((due, self._order, json.dumps(message)))

    def take_due(self) -> list[str]:
        """The bodies whose time has come, oldest first; they leave the queue."""
        now = self.clock()
        with self._lock:
            due = sorted(entry for entry in self._waiting if entry[0] <= now)
            self._waiting = [entry for entry in self._waiting if entry[0] > now]
        return [body for _, _, body in due]

    def __len__(self) -> int:
        return len(self._waiting)
