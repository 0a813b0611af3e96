"""Unit SMS: an `smsc_textmessage` whose status is *Send requested* goes out exactly once.

The activity is taken with a conditional update (`If-Match` on the ETag read), so a webhook
delivered twice, a double click or a retried function finds it taken and sends nothing. Every
outcome is written on the activity, where the user sees it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.activity import (ACTIVITY_SET, COLUMNS, ENCODING_CHOICE, EXPAND_PARTIES, SmsStatus,
                                recipient_reference)
from connector.clock import odata_utc, parse_utc, utcnow
from connector.compose import ComposedSms, SmsRejected, compose
from connector.idempotency import unit_key
from connector.configuration import Configuration, load_configuration
from connector.crm.port import ConcurrencyConflict, Crm
from connector.messages import render_text, user_format
from connector.quiet_hours import next_allowed
from connector.optout import is_opted_out
from connector.sms.port import DuplicateRequest, ProviderError, Recipient, SmsProvider, SmsRequest, SmsType
from connector.text.encoding import analyze
from connector.text.templates import TemplateError
from connector.user_texts import language_of, say

log = logging.getLogger(__name__)
SCHEDULE_MARGIN = timedelta(minutes=1)    # a due date closer than this is sent now


@dataclass(frozen=True)
class UnitSmsResult:
    outcome: str            # sent | scheduled | failed | already-taken | nothing-to-do
    activity_id: str
    detail: str | None = None
    ticket: str | None = None



class UnitSmsService:
    def __init__(self, crm: Crm, provider: SmsProvider, clock=utcnow):
        self.crm, self.provider, self.clock = crm, provider, clock
        self.user_id: str | None = None
        self.config = Configuration()

    def _lang(self) -> str:
        """The language of the user who asked: errors are written for them to read."""
        return language_of(user_format(self.crm, self.user_id)["locale"]) if self.user_id else "en"

    def send(self, activity_id: str, user_id: str | None = None) -> UnitSmsResult:
        activity = self.crm.retrieve(ACTIVITY_SET, activity_id, select=COLUMNS, expand=EXPAND_PARTIES)
        status = activity.get("smsc_status")
        if status != SmsStatus.SEND_REQUESTED:
            # Already taken by an earlier delivery of the event, or never asked for: nothing to send.
            label = SmsStatus(status).name.lower() if status in SmsStatus._value2member_map_ else status
            return UnitSmsResult("nothing-to-do", activity_id, detail=f"the SMS status is {label}")
        etag = activity["@odata.etag"]
        config = self.config = load_configuration(self.crm)
        self.user_id = user_id
        try:
            sms = self._compose(activity, config, user_id)
        except SmsRejected as error:
            return self.record_failure(activity_id, etag, error.say(self._lang()), keep_key=False)
        except TemplateError as error:
            return self.record_failure(activity_id, etag, say(self._lang(), "template", detail=error),
                                       keep_key=False)
        # A fresh key per send request (one kept from an uncertain attempt is reused instead).
        key = activity.get("smsc_idempotencykey") or unit_key(activity_id)
        try:
            self.crm.update(ACTIVITY_SET, activity_id, _taken(sms, key), etag=etag)
        except ConcurrencyConflict:
            if not self._taken_by_us(activity_id, key):
                return UnitSmsResult("already-taken", activity_id)
        return self._deliver(activity_id, activity, sms, key)

    def _taken_by_us(self, activity_id: str, key: str) -> bool:
        """A 412 can answer our own take: it committed, its answer was lost (504, time-out) and the
        retry carried the old ETag. Then the row holds our key. A rival delivery has its own key;
        a reused key can only go out once anyway, the provider refusing its `request_id` twice."""
        row = self.crm.retrieve(ACTIVITY_SET, activity_id, select=["smsc_status", "smsc_idempotencykey"])
        return row.get("smsc_status") == SmsStatus.SENDING and row.get("smsc_idempotencykey") == key

    def resume(self, activity: dict) -> UnitSmsResult:
        """Finish a send interrupted after the take (crash, time-out): same text, same key, so the
        provider refuses it if the first attempt did go out."""
        activity_id, key = activity["activityid"], activity.get("smsc_idempotencykey")
        self.config = load_configuration(self.crm)
        if not key or not activity.get("smsc_phonenumber"):
            return self.record_failure(activity_id, activity["@odata.etag"], "the send was interrupted before "
                              "it was prepared; request it again", keep_key=False)
        try:   # claim it, so that two recovery runs do not both resume it
            self.crm.update(ACTIVITY_SET, activity_id, {"smsc_error": None}, etag=activity["@odata.etag"])
        except ConcurrencyConflict:
            return UnitSmsResult("already-taken", activity_id)
        text = activity.get("description") or ""
        sms = ComposedSms(text, analyze(text), SmsType(activity.get("smsc_smstype") or SmsType.TRANSACTIONAL),
                          activity.get("smsc_sender"), activity["smsc_phonenumber"])
        return self._deliver(activity_id, activity, sms, key)

    def _compose(self, activity: dict, config: Configuration, user_id: str | None) -> ComposedSms:
        reference = recipient_reference(activity)
        if reference is None:
            raise SmsRejected("no_recipient")
        text, recipient = render_text(self.crm, activity, reference, user_id)
        raw_number = activity.get("smsc_phonenumber") or recipient.mobile
        # Users choose type and sender only where the configuration allows; a hook workflow's
        # definition is the admin's own choice and is kept.
        prefs = config.unit
        if activity.get("_smsc_workflowid_value"):
            prefs = prefs.model_copy(update={"allow_type_choice": True, "allow_sender_choice": True})
        sms = compose(text, config=config, prefs=prefs, raw_number=raw_number,
                      requested_type=activity.get("smsc_smstype"),
                      requested_sender=activity.get("smsc_sender"))
        if config.exclude_optouts and is_opted_out(self.crm, sms.phone_number):
            raise SmsRejected("opted_out", number=sms.phone_number)
        return sms

    def _deliver(self, activity_id: str, activity: dict, sms: ComposedSms, key: str) -> UnitSmsResult:
        send_at = self._send_at(activity.get("scheduledend"))
        if sms.sms_type == SmsType.MARKETING:      # not at night: held until the quiet hours end
            send_at = next_allowed(send_at or self.clock(), sms.phone_number, self.config.quiet_hours) or send_at
        request = SmsRequest((Recipient(sms.phone_number),), sms.text, sms.sms_type, key,
                             sender=sms.sender, send_at=send_at)
        try:
            result = self.provider.send(request)
            ticket, cost = result.ticket, result.cost
        except DuplicateRequest:
            ticket, cost = None, None     # an earlier attempt with this key already went out
        except ProviderError as error:
            # Retryable = we cannot know whether it went out: keep the key so a new request
            # reuses it and the provider refuses a second send.
            message = say(self._lang(), "provider", provider=self.provider.name.capitalize(), detail=error)
            return self.record_failure(activity_id, "*", message, keep_key=error.retryable)
        status = SmsStatus.SCHEDULED if send_at else SmsStatus.SENT
        self.crm.update(ACTIVITY_SET, activity_id, {
            "smsc_status": int(status), "smsc_providermessageid": ticket, "smsc_cost": cost,
            "actualend": None if send_at else odata_utc(self.clock())})
        log.info("unit SMS %s %s (ticket %s)", activity_id, status.name.lower(), ticket)
        return UnitSmsResult(status.name.lower(), activity_id, ticket=ticket)

    def record_failure(self, activity_id: str, etag: str, error: str, *, keep_key: bool) -> UnitSmsResult:
        body = {"smsc_status": int(SmsStatus.FAILED), "smsc_error": error[:2000]}
        if not keep_key:
            body["smsc_idempotencykey"] = None
        try:
            self.crm.update(ACTIVITY_SET, activity_id, body, etag=etag)
        except ConcurrencyConflict:
            return UnitSmsResult("already-taken", activity_id)
        log.info("unit SMS %s failed: %s", activity_id, error)
        return UnitSmsResult("failed", activity_id, detail=error)

    def _send_at(self, due: str | None) -> datetime | None:
        if not due:
            return None
        when = parse_utc(due)
        return when if when > self.clock() + SCHEDULE_MARGIN else None


def _taken(sms: ComposedSms, key: str) -> dict:
    """The take: status Sending plus what will be sent, in one conditional write."""
    return {
        "smsc_status": int(SmsStatus.SENDING), "smsc_idempotencykey": key,
        "smsc_phonenumber": sms.phone_number, "description": sms.text,
        "smsc_smstype": int(sms.sms_type), "smsc_sender": sms.sender,
        "smsc_encoding": ENCODING_CHOICE[sms.stats.encoding], "smsc_segments": sms.stats.segments,
        "smsc_error": None,
    }

