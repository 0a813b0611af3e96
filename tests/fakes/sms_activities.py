import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from connector.activity import SmsStatus
from connector.errors import Conflict, NotFound
from connector.repositories.sms_activities import NewWorkflowSms, SmsActivity
from connector.outgoing import ComposedSms


class FakeSmsActivities:
    """Rows by id; every write bumps the ETag. `meanwhile(fake, activity)` runs once before the next
    conditional write (a rival's change between our read and our write); `answer_lost` makes our
    own take commit but answer Conflict (its answer lost, the retry carrying the old ETag)."""

    def __init__(self, *activities: SmsActivity):
        self.rows = {a.id: replace(a, etag=a.etag or 'W/"1"') for a in activities}
        self.created: list[NewWorkflowSms] = []
        self.meanwhile: Callable[[FakeSmsActivities, SmsActivity], None] | None = None
        self.answer_lost = False
        self.versions = itertools.count(2)

    def _write(self, activity_id: str, etag: str | None = None, **changes) -> None:
        if etag is not None and self.meanwhile:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile(self, self.get(activity_id))
        row = self.get(activity_id)
        if etag is not None and etag != row.etag:
            raise Conflict(f"the SMS activity {activity_id} changed")
        self.rows[activity_id] = replace(row, etag=f'W/"{next(self.versions)}"', **changes)

    def get(self, activity_id: str) -> SmsActivity:
        if activity_id not in self.rows:
            raise NotFound(f"the SMS activity {activity_id} does not exist")
        return self.rows[activity_id]

    def take(self, activity: SmsActivity, sms: ComposedSms, key: str, *, hold_until: datetime | None = None) -> None:
        held = {"status": SmsStatus.SCHEDULED, "due": hold_until} if hold_until else {"status": SmsStatus.SENDING}
        self._write(activity.id, activity.etag, idempotency_key=key,
                    phone_number=sms.phone_number, text=sms.text, sms_type=int(sms.sms_type), sender=sms.sender,
                    encoding=sms.stats.encoding, segments=sms.stats.segments, error=sms.notice, **held)
        if self.answer_lost:
            raise Conflict("the retry of our own take carried the old ETag")

    def take_state(self, activity_id: str) -> SmsActivity:
        return self.get(activity_id)

    def mark_sent(self, activity_id: str, ticket, cost, sent_on: datetime) -> None:
        self._write(activity_id, status=SmsStatus.SENT, ticket=ticket, cost=cost, sent_on=sent_on)

    def fail(self, activity_id: str, etag: str | None, reason: str, *, keep_key: bool) -> None:
        key = self.get(activity_id).idempotency_key if keep_key else None
        self._write(activity_id, etag, status=SmsStatus.FAILED, error=reason, idempotency_key=key)

    def stuck_sending(self, modified_before: datetime, limit: int = 500) -> list[SmsActivity]:
        stuck = [a for a in self.rows.values() if a.status == SmsStatus.SENDING and a.modified_on
                 and a.modified_on < modified_before]
        return sorted(stuck, key=lambda a: a.modified_on)[:limit]

    def due_scheduled(self, now: datetime, page_size: int = 500) -> list[SmsActivity]:
        due = [a for a in self.rows.values() if a.status == SmsStatus.SCHEDULED and not a.ticket
               and a.due is not None and a.due <= now]
        return sorted(due, key=lambda a: a.due or now)

    def left_requested(self, modified_before: datetime, page_size: int = 500) -> list[SmsActivity]:
        left = [a for a in self.rows.values() if a.status == SmsStatus.SEND_REQUESTED and a.modified_on
                and a.modified_on < modified_before]
        return sorted(left, key=lambda a: a.modified_on or modified_before)

    def undo_cancel(self, activity: SmsActivity, status: int, reason: str) -> None:
        self._write(activity.id, activity.etag, status=status, error=reason)

    def claim(self, activity: SmsActivity) -> None:
        self._write(activity.id, activity.etag, error=None)

    def create_workflow_sms(self, sms: NewWorkflowSms) -> str:
        if self.find_by_key(sms.idempotency_key):
            raise Conflict(f"an SMS activity holds the key {sms.idempotency_key}")
        activity_id = f"wf-sms-{len(self.created) + 1}"
        self.created.append(sms)
        status = SmsStatus.FAILED if sms.error else SmsStatus.SEND_REQUESTED
        self.rows[activity_id] = SmsActivity(activity_id, 'W/"1"', status, sms.subject, sms.text,
                                             sms_type=int(sms.sms_type), sender=sms.sender,
                                             idempotency_key=sms.idempotency_key, recipient=sms.to or sms.regarding,
                                             workflow_id=sms.workflow_id, error=sms.error)
        return activity_id

    def find_by_key(self, key: str) -> SmsActivity | None:
        return next((a for a in self.rows.values() if a.idempotency_key == key), None)

    def reopen(self, activity: SmsActivity, text: str) -> None:
        self._write(activity.id, activity.etag, status=SmsStatus.SEND_REQUESTED, text=text, error=None)

    def keep_key(self, activity_id: str, key: str) -> None:
        holder = self.find_by_key(key)
        if holder is not None and holder.id != activity_id:
            raise Conflict(f"the SMS activity {holder.id} holds the key {key}")
        self._write(activity_id, idempotency_key=key)

    def find_by_ticket(self, ticket: str, phone_number: str) -> SmsActivity | None:
        return next((a for a in self.rows.values() if a.ticket == ticket and a.phone_number == phone_number), None)
