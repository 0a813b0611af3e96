from connector.repositories.send_ledger import EntriesUnwritten, LedgerEntry, entries_room


class FakeSendLedger:
    """Entries by request id; counts its reads and writes (one call = one CRM request). Given the
    activities, it writes a window's activities with its entries (`record_window`), as the Dataverse
    ledger does when both act as the same user; without them, it leaves them to the caller."""

    def __init__(self, activities=None):
        self.entries: dict[str, LedgerEntry] = {}
        self.activities = activities
        self.reads = self.writes = 0
        self.fail_on_write: int | None = None       # raise on that write (1 = the first)
        self.fail_written_on: int | None = None     # raise before the Written entry of that window write
        self.windows = 0

    def part_entries(self, campaign_id: str, part: int) -> list[LedgerEntry]:
        self.reads += 1
        return [e for e in self.entries.values() if e.campaign_id == campaign_id and e.part == part]

    def write(self, entries) -> None:
        assert len(entries) <= 1000
        self.writes += 1
        if self.fail_on_write == self.writes:
            raise ConnectionError("the CRM went away")
        self._keep(entries)

    def record_window(self, entries, activities, written) -> int | None:
        if self.activities is None:
            try:
                self.write(entries)
            except ConnectionError as error:
                raise EntriesUnwritten(str(error)) from error
            return None
        assert len(entries) <= entries_room(len(activities.messages))
        self.writes += 1
        if self.fail_on_write == self.writes:
            error = ConnectionError("the CRM went away")
            raise EntriesUnwritten(str(error)) from error
        self._keep(entries)
        refused = self.activities.create(activities.campaign, activities.messages, sms_type=activities.sms_type,
                                         sender=activities.sender, sent_at=activities.sent_at)
        self.windows += 1
        if self.fail_written_on == self.windows:
            raise ConnectionError("the CRM failed after the activities")
        self._keep([written])
        return refused

    def _keep(self, entries) -> None:
        for entry in entries:
            kept = self.entries.get(entry.request_id)
            ticket = entry.ticket if entry.ticket is not None else (kept.ticket if kept else None)
            self.entries[entry.request_id] = LedgerEntry(**{**entry.__dict__, "ticket": ticket})
