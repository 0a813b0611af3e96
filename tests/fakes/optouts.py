from collections.abc import Iterator


class FakeOptOuts:
    def __init__(self, numbers: set[str] | None = None):
        self.numbers = set(numbers or ())

    def is_opted_out(self, e164: str) -> bool:
        return e164 in self.numbers

    def active_numbers(self) -> Iterator[str]:
        return iter(sorted(self.numbers))
