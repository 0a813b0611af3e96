"""A user cancels a unit SMS until it leaves (DESIGN §7 « Schedules »).

« Annuler l'envoi » on the SMS form sets `smsc_status` Cancelled and saves; the webhook step on
`smsc_status` brings the change here with the status before it (the step's pre-image). Nothing has to
be done to stop the send: the release timer only takes *Scheduled* rows, under the ETag it read, so a
cancel saved before that take makes the take fail and nothing leaves. A cancel saved after it (the
form's save is not conditional) overwrote *Sending* or *Sent*: it is refused, the status it replaced
written back with the reason in the user's language, conditional on the row's ETag so that the send's
own outcome, if it lands meanwhile, is kept.
"""
from __future__ import annotations

from connector.activity import SmsStatus, status_label
from connector.errors import Conflict, NotFound
from connector.unit_sms import UnitSmsResult, UnitSmsService
from connector.user_texts import say

# Statuses an SMS may be cancelled from: nothing of it reached the provider.
CANCELLABLE = {SmsStatus.DRAFT, SmsStatus.SEND_REQUESTED, SmsStatus.SCHEDULED, SmsStatus.FAILED, SmsStatus.CANCELLED}
LEFT = {SmsStatus.SENDING, SmsStatus.SENT, SmsStatus.DELIVERED, SmsStatus.UNDELIVERABLE, SmsStatus.RECEIVED}
ATTEMPTS = 3


def settle_cancel(service: UnitSmsService, activity_id: str, before: int | None,
                  user_id: str | None = None) -> UnitSmsResult:
    """The cancel stands (`cancelled`) or is refused (`cancel-refused`, the status restored); `before`
    is the status the cancel replaced (None when the event carried no pre-image: a provider ticket on
    the row then says it left)."""
    lang = service.lang_of(user_id)
    for _ in range(ATTEMPTS):
        try:
            row = service.activities.take_state(activity_id)
        except NotFound:
            return UnitSmsResult("gone", activity_id, detail="the SMS activity no longer exists")
        if row.status != SmsStatus.CANCELLED:     # the send (or a new request) wrote after the cancel
            return UnitSmsResult("nothing-to-do", activity_id, detail=f"the SMS status is {status_label(row.status)}")
        was = before if before is not None else (SmsStatus.SENT if row.ticket else SmsStatus.SCHEDULED)
        if was in CANCELLABLE and not row.ticket:
            return UnitSmsResult("cancelled", activity_id)
        restored = was if was in LEFT else SmsStatus.SCHEDULED    # e.g. handed to the provider before this version
        reason = say(lang, "unit_cancel_refused", status=say(lang, f"unit_cancel_status_{int(restored)}"))
        try:
            service.activities.undo_cancel(row, restored, reason)
        except Conflict:        # the row changed while we looked: look again
            continue
        return UnitSmsResult("cancel-refused", activity_id, detail=reason)
    return UnitSmsResult("already-taken", activity_id)
