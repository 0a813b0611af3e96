from dataclasses import replace

from connector.errors import Conflict
from connector.repositories.leases import Lease, LeaseKey


class FakeLeases:
    """Lease rows by key; each write gives a new ETag, so a write from a stale read loses."""

    def __init__(self):
        self.rows: dict[LeaseKey, Lease] = {}
        self.versions = 0

    def read(self, key: LeaseKey) -> Lease | None:
        return self.rows.get(key)

    def of_campaign(self, campaign_id: str, ticket: str) -> list[Lease]:
        return sorted((lease for key, lease in self.rows.items()
                       if key.campaign_id == campaign_id and key.ticket == ticket), key=lambda lease: lease.key.part)

    def create(self, lease: Lease, *, final: bool = False) -> Lease:
        if lease.key in self.rows:
            raise Conflict("a lease row with this request id exists")
        return self._write(lease, f"row-{len(self.rows) + 1}")

    def replace(self, lease: Lease, *, final: bool = False) -> Lease:
        current = self.rows.get(lease.key)
        if current is None or current.etag != lease.etag:
            raise Conflict("the lease changed meanwhile")
        return self._write(lease, current.id)

    def _write(self, lease: Lease, row_id) -> Lease:
        self.versions += 1
        self.rows[lease.key] = replace(lease, etag=f'W/"{self.versions}"', id=row_id)
        return self.rows[lease.key]
