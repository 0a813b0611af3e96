from connector.repositories.send_ledger import LedgerEntry


class FakeSendLedger:
    """Entries by request id; counts its reads and writes (one call = one CRM request)."""

    def __init__(self):
        self.entries: dict[str, LedgerEntry] = {}
        self.reads = self.writes = 0
        self.fail_on_write: int | None = None       # raise on that write (1 = the first)

    def part_entries(self, campaign_id: str, part: int) -> list[LedgerEntry]:
        self.reads += 1
        return [e for e in self.entries.values() if e.campaign_id == campaign_id and e.part == part]

    def write(self, entries) -> None:
        self.writes += 1
        if self.fail_on_write == self.writes:
            raise ConnectionError("the CRM went away")
        for entry in entries:
            kept = self.entries.get(entry.request_id)
            ticket = entry.ticket if entry.ticket is not None else (kept.ticket if kept else None)
            self.entries[entry.request_id] = LedgerEntry(**{**entry.__dict__, "ticket": ticket})
