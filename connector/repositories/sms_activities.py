"""The SMS activities (`smsc_textmessage`, DESIGN §4) as the send paths see them: the unit send,
its recovery timer, the workflow actions, and the delivery reports to come."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from connector.outgoing import ComposedSms
from connector.sms.port import SmsType


class RowRef(NamedTuple):
    """A CRM row: its table's logical name and its id."""
    table: str
    id: str


@dataclass(frozen=True)
class SmsActivity:
    """One SMS activity; a column the read did not ask for stays None."""
    id: str
    etag: str | None = None             # the row version a conditional write must match
    status: int | None = None           # connector.activity.SmsStatus, or a value we do not know
    subject: str | None = None
    text: str | None = None
    phone_number: str | None = None
    sms_type: int | None = None
    sender: str | None = None
    due: datetime | None = None         # send at (scheduledend)
    idempotency_key: str | None = None
    recipient: RowRef | None = None     # the To party, else the regarding record
    template_id: str | None = None
    workflow_id: str | None = None
    modified_on: datetime | None = None
    owner_id: str | None = None         # whose language a timer writes a failure in (read by the timers' queries)
    cheaper_text: bool | None = None    # this SMS's cheaper-text choice; None: the configuration's
    # Written by the send; not read back by `get` (the fakes keep them for tests to look at).
    encoding: str | None = None
    segments: int | None = None
    error: str | None = None
    ticket: str | None = None
    cost: float | None = None
    sent_on: datetime | None = None


@dataclass(frozen=True)
class NewWorkflowSms:
    """The activity a workflow's send_sms creates, under its idempotency key: Send requested, or
    Failed with `error` when a problem was found before the send."""
    subject: str
    text: str
    sms_type: SmsType
    idempotency_key: str
    workflow_id: str
    sender: str | None = None
    error: str | None = None
    regarding: RowRef | None = None     # the triggering record
    to: RowRef | None = None            # the recipient


class SmsActivities(Protocol):
    def get(self, activity_id: str) -> SmsActivity:
        """The activity with what a send reads; NotFound naming it when it does not exist."""
        ...

    def take(self, activity: SmsActivity, sms: ComposedSms, key: str, *, hold_until: datetime | None = None) -> None:
        """Status Sending plus what will be sent and the key, in one write conditional on
        `activity.etag`; connector.errors.Conflict when the row changed since it was read.
        With `hold_until`: status Scheduled instead, the due date (`scheduledend`) set to the instant
        the connector releases it (nothing goes to the provider before)."""
        ...

    def take_state(self, activity_id: str) -> SmsActivity:
        """The status, key and provider ticket of the row now, with its ETag (to tell our own take
        from a rival's; to settle a cancel)."""
        ...

    def mark_sent(self, activity_id: str, ticket: str | None, cost: float | None, sent_on: datetime) -> None:
        ...

    def fail(self, activity_id: str, etag: str | None, reason: str, *, keep_key: bool) -> None:
        """Status Failed with the reason; conditional on `etag` unless None (Conflict when lost).
        The key is cleared unless kept (an uncertain attempt: a new request must reuse it)."""
        ...

    def stuck_sending(self, modified_before: datetime, limit: int = 500) -> Sequence[SmsActivity]:
        """Unit SMS (not campaign SMS) still Sending and unchanged since `modified_before`, oldest first."""
        ...

    def due_scheduled(self, now: datetime, page_size: int = 500) -> Iterable[SmsActivity]:
        """Unit SMS held by the connector (Scheduled, no provider ticket) whose due date is `now` or
        earlier, earliest first: one query, read page by page."""
        ...

    def left_requested(self, modified_before: datetime, page_size: int = 500) -> Iterable[SmsActivity]:
        """Unit SMS still Send requested and unchanged since `modified_before` (no webhook delivery
        took them), oldest first: one query, read page by page."""
        ...

    def undo_cancel(self, activity: SmsActivity, status: int, reason: str) -> None:
        """A cancel that came too late: the status it replaced written back with the reason, conditional
        on `activity.etag` (Conflict when the send wrote its own outcome meanwhile)."""
        ...

    def claim(self, activity: SmsActivity) -> None:
        """A write conditional on `activity.etag` that clears the error: two recoveries cannot both
        resume it (Conflict for the second)."""
        ...

    def create_workflow_sms(self, sms: NewWorkflowSms) -> str:
        """The new activity's id; Conflict when an activity already holds the key."""
        ...

    def find_by_key(self, key: str) -> SmsActivity | None:
        """The activity holding this idempotency key (its id and status), if any."""
        ...

    def reopen(self, activity: SmsActivity, text: str) -> None:
        """A Failed activity asked again (a scheduled workflow's next run, once the cause is fixed):
        Send requested with the text, its error cleared; conditional on `activity.etag` (Conflict)."""
        ...

    def keep_key(self, activity_id: str, key: str) -> None:
        """Write the key back (Conflict when another activity holds it)."""
        ...

    def find_by_ticket(self, ticket: str, phone_number: str) -> SmsActivity | None:
        """The activity sent under a provider ticket to a number (a campaign ticket covers many)."""
        ...
