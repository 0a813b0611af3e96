import json
from datetime import timedelta


class FakeWorkQueue:
    """Keeps what was put, as the JSON the queue would carry, with its delay."""

    def __init__(self, name: str = "smsc-test"):
        self.name = name
        self.put_messages: list[tuple[dict, timedelta | None]] = []

    def put(self, message: dict, *, delay: timedelta | None = None) -> None:
        self.put_messages.append((json.loads(json.dumps(message)), delay))

    def take(self) -> list[dict]:
        """Every message put so far (delays ignored), emptying the queue."""
        taken, self.put_messages = [m for m, _ in self.put_messages], []
        return taken
