"""The hook workflows stored in the CRM: the active definitions, and what each has sent lately."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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
