from connector.errors import NotFound
from connector.repositories.recipients import RecipientError, RecipientRecord
from connector.text.templates import FieldRefs


class FakeRecipients:
    """Records by (table, id); `merge_values` holds every column a template may read."""

    def __init__(self, *records: RecipientRecord):
        self.records = {(r.table, r.id): r for r in records}

    def load(self, table: str, record_id: str, fields: FieldRefs | None = None) -> RecipientRecord:
        if (table, record_id) not in self.records:
            raise NotFound(f"the {table} {record_id} does not exist")
        record = self.records[table, record_id]
        unknown = sorted(set(fields.columns) - set(record.merge_values)) if fields else []
        if unknown:
            raise RecipientError("unknown_field", table=table, detail=", ".join(unknown))
        return record
