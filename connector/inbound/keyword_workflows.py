"""What the inbound service asks of the hook workflows (a port: the workflows sit above the connector's
services, so the queue step's wiring hands in `workflows.inbound.KeywordWorkflowRunner`)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from connector.repositories.sms_activities import RowRef


@dataclass(frozen=True)
class InboundMessage:
    """An inbound SMS as a workflow trigger sees it."""
    event_id: str                       # the provider event: one run per workflow and event
    number: str                         # the sender, E.164
    text: str
    records: tuple[RowRef, ...] = ()    # the conversation's record, then the sender's (when known)
    activity_id: str | None = None      # the incoming SMS activity


class KeywordWorkflows(Protocol):
    def run(self, message: InboundMessage) -> Sequence[object]:
        """Runs the active workflows whose `inbound` keywords the text is; what each did."""
        ...
