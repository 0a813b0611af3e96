"""The hook workflows stored in the CRM: the active definitions, and what each has sent lately; and
`WorkflowRepositories`, every repository the workflow engine uses."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from connector.repositories.metadata import TableDefinitions
from connector.repositories.records import Records
from connector.repositories.sending import SendingRepositories
from connector.repositories.sms_activities import SmsActivities
from connector.repositories.users import Users


@dataclass(frozen=True)
class StoredWorkflow:
    """One workflow row: its definition is YAML text, parsed (and checked) by workflows.catalog."""
    id: str
    name: str                      # the row's name; its id when it has none
    definition: str                # YAML
    entity: str | None             # the table the row says the definition is for
    version: str | None = None     # changes with every edit of the row (its modification time)


class WorkflowRepository(Protocol):
    def active(self, table: str | None = None) -> list[StoredWorkflow]:
        """The active workflows of `table` (every table when None), ordered by name."""
        ...

    def records_sent_since(self, workflow_id: str, since: datetime) -> set[str]:
        """Ids of the records the workflow made an SMS for since `since`."""
        ...


@dataclass(frozen=True)
class WorkflowRepositories:
    """Everything the hook workflows read and write, over one CRM client (connector.bootstrap builds
    the Dataverse ones; tests give in-memory ones). The workflows get this, never a client: the
    unit send they hand each activity to is built from `activities` and `sending`."""
    workflows: WorkflowRepository
    records: Records
    definitions: TableDefinitions          # the organisation's tables, for validation
    activities: SmsActivities
    sending: SendingRepositories

    @property
    def users(self) -> Users:
        """The acting user's formats (the send paths' users: one cache)."""
        return self.sending.users
