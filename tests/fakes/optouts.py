from collections.abc import Iterator, Sequence

from connector.repositories.optouts import OptOut, OptOutReason


class FakeOptOuts:
    """Rows by number; `numbers` given at construction are active STOP opt-outs."""

    def __init__(self, numbers: set[str] | None = None):
        self.rows = {n: OptOut(n, OptOutReason.STOP, True) for n in numbers or ()}
        self.refuse: dict[str, str] = {}      # numbers opt_out_many refuses, with the CRM's reason
        self.batches: list[int] = []          # sizes of the opt_out_many calls

    @property
    def numbers(self) -> set[str]:
        return {n for n, row in self.rows.items() if row.active}

    def is_opted_out(self, e164: str) -> bool:
        return e164 in self.numbers

    def active_numbers(self) -> Iterator[str]:
        return iter(sorted(self.numbers))

    def find(self, e164: str) -> OptOut | None:
        return self.rows.get(e164)

    def opt_out(self, e164: str, reason: OptOutReason) -> None:
        self.rows[e164] = OptOut(e164, reason, True)

    def lift(self, e164: str) -> None:
        if e164 in self.rows:
            self.rows[e164] = OptOut(e164, self.rows[e164].reason, False)

    def opt_out_many(self, numbers: Sequence[str], reason: OptOutReason) -> dict[str, str]:
        self.batches.append(len(numbers))
        for number in numbers:
            if number not in self.refuse:
                self.opt_out(number, reason)
        return {n: self.refuse[n] for n in numbers if n in self.refuse}
