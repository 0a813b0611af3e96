from dataclasses import replace
from datetime import datetime

from connector.repositories.records import Records
from connector.repositories.sending import SendingRepositories
from connector.repositories.sms_activities import SmsActivities
from connector.repositories.users import Users
from connector.repositories.workflows import StoredWorkflow, WorkflowRepositories
from tests.fakes.records import FakeRecords
from tests.fakes.sending import fake_sending
from tests.fakes.sms_activities import FakeSmsActivities
from workflows.schema import StaticTableSchema


class FakeWorkflowRepository:
    def __init__(self, active: list[StoredWorkflow] | None = None):
        self.workflows = list(active or [])
        self.sent: list[tuple[str, str, datetime]] = []        # (workflow id, record id, when)

    def active(self, table: str | None = None) -> list[StoredWorkflow]:
        return sorted((w for w in self.workflows if table is None or w.entity == table), key=lambda w: w.name)

    def records_sent_since(self, workflow_id: str, since: datetime) -> set[str]:
        return {record for workflow, record, when in self.sent if workflow == workflow_id and when >= since}


def fake_workflow_repositories(workflows: list[StoredWorkflow] | FakeWorkflowRepository | None = None, *,
                               records: Records | None = None, users: Users | None = None,
                               activities: SmsActivities | None = None,
                               sending: SendingRepositories | None = None) -> WorkflowRepositories:
    """In-memory repositories of the workflow engine (`users` replaces those of `sending`)."""
    if not isinstance(workflows, FakeWorkflowRepository):
        workflows = FakeWorkflowRepository(workflows)
    sending = sending or fake_sending()
    if users is not None:
        sending = replace(sending, users=users)
    return WorkflowRepositories(workflows, records or FakeRecords({}), StaticTableSchema(),
                                activities or FakeSmsActivities(), sending)
