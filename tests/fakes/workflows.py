from datetime import datetime

from connector.repositories.workflows import StoredWorkflow


class FakeWorkflowRepository:
    def __init__(self, active: list[StoredWorkflow] | None = None):
        self.workflows = list(active or [])
        self.sent: list[tuple[str, str, datetime]] = []        # (workflow id, record id, when)

    def active(self, table: str | None = None) -> list[StoredWorkflow]:
        return sorted((w for w in self.workflows if table is None or w.entity == table), key=lambda w: w.name)

    def records_sent_since(self, workflow_id: str, since: datetime) -> set[str]:
        return {record for workflow, record, when in self.sent if workflow == workflow_id and when >= since}
