"""Unit SMS: an SMS activity whose status is *Send requested* goes out exactly once.

The activity is taken with a conditional write (the ETag read), so a webhook delivered twice, a
double click or a retried function finds it taken and sends nothing. Every outcome is written on
the activity, where the user sees it.

A due date in the future, or quiet times for a marketing SMS, hold the SMS at the connector
(DESIGN §7 « Schedules »): the take writes it *Scheduled* with its due date set to the instant it
leaves, nothing goes to the provider, and the release timer (`connector.unit_release`) sends it then
through the same path as an immediate send. Until that take, a cancel wins.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from connector.activity import SmsStatus, status_label
from connector.clock import utcnow
from connector.configuration import ChannelPreferences, Configuration
from connector.errors import Conflict, Forbidden, NotFound
from connector.idempotency import unit_key
from connector.low_credit import send_warning
from connector.messages import render_text
from connector.quotas import QuotaCheck
from connector.repositories.quotas import Quotas
from connector.repositories.sending import SendingRepositories
from connector.repositories.sms_activities import SmsActivities, SmsActivity
from connector.send_policy import (
    PROVIDER_MAX_LENGTH,
    ComposedSms,
    SmsRejected,
    compose,
    quiet_times_end,
    refuse_opted_out,
    replies_wanted,
)
from connector.sms.port import DuplicateRequest, ProviderError, Recipient, SmsProvider, SmsRequest, SmsType
from connector.sms.reason import provider_reason
from connector.telemetry import annotate
from connector.text.encoding import analyze
from connector.text.templates import TemplateError
from connector.user_texts import say

log = logging.getLogger(__name__)
SCHEDULE_MARGIN = timedelta(minutes=1)    # a due date closer than this is sent now
INTERRUPTED_EARLY = "the send was interrupted before it was prepared; request it again"


@dataclass(frozen=True)
class UnitSmsResult:
    outcome: str            # sent | scheduled | failed | already-taken | nothing-to-do | gone
    activity_id: str
    detail: str | None = None
    ticket: str | None = None
    send_at: datetime | None = None     # scheduled: the instant the connector releases it


class UnitSmsService:
    def __init__(self, provider: SmsProvider, activities: SmsActivities, sending: SendingRepositories,
                 clock: Callable[[], datetime] = utcnow, quotas: Quotas | None = None,
                 app_activities: SmsActivities | None = None):
        self.provider, self.activities, self.sending, self.clock = provider, activities, sending, clock
        self.quotas = quotas
        self.quota_check = QuotaCheck(quotas, clock)
        # `activities` act as the user; the CRM refusing them (their roles) is written by the app's.
        self.app_activities = app_activities

    def at(self, clock: Callable[[], datetime]) -> UnitSmsService:
        """The same service on another clock (the recovery timer's instant)."""
        return UnitSmsService(self.provider, self.activities, self.sending, clock, self.quotas, self.app_activities)

    def lang_of(self, user_id: str | None) -> str:
        """The language of the user who asked: errors are written for them to read."""
        return self.sending.users.user_format(user_id).language if user_id else "en"

    def send(self, activity_id: str, user_id: str | None = None) -> UnitSmsResult:
        try:
            return self._send(activity_id, user_id)
        except Forbidden as denied:
            return self._denied(activity_id, user_id, denied)

    def _denied(self, activity_id: str, user_id: str | None, denied: Forbidden) -> UnitSmsResult:
        """The CRM refused to let the user write the SMS: Failed, with why in their language, written
        by the app (the user cannot); nothing was sent."""
        message = say(self.lang_of(user_id), "privilege_sms", privilege=denied.privilege)
        (self.app_activities or self.activities).fail(activity_id, None, message, keep_key=False)
        log.info("unit SMS %s refused by the CRM for user %s: %s", activity_id, user_id, denied)
        return UnitSmsResult("failed", activity_id, detail=message)

    def _send(self, activity_id: str, user_id: str | None) -> UnitSmsResult:
        annotate(**{"smsc.activity_id": activity_id})
        try:
            activity = self.activities.get(activity_id)
        except NotFound:        # deleted between the save and the event's delivery: nothing to send
            return UnitSmsResult("gone", activity_id, detail="the SMS activity no longer exists")
        status = activity.status
        if status != SmsStatus.SEND_REQUESTED:
            # Already taken by an earlier delivery of the event, or never asked for: nothing to send.
            return UnitSmsResult("nothing-to-do", activity_id, detail=f"the SMS status is {status_label(status)}")
        config = self.sending.configuration.get()
        try:
            sms = self._compose(activity, config, user_id)
        except SmsRejected as error:
            return self.fail(activity_id, activity.etag, error.say(self.lang_of(user_id)), keep_key=False)
        except TemplateError as error:
            return self.fail(activity_id, activity.etag, say(self.lang_of(user_id), "template", detail=error),
                             keep_key=False)
        if (refused := self._refusal(sms, user_id)) is not None:
            return self.fail(activity_id, activity.etag, refused, keep_key=False)
        if not activity.workflow_id:     # workflow SMS always go; they count against their owner all the same
            decision = self.quota_check.check(config, user_id, sms=sms.stats.segments, recipients=1)
            if not decision.allowed:     # Block (or Forbidden): Failed with the reason, nothing sent
                return self.fail(activity_id, activity.etag, decision.say(self.lang_of(user_id)) or "", keep_key=False)
            if decision.outcome == "warn":   # Warn, or the threshold: it goes, the warning stays on it (`smsc_error`)
                sms = replace(sms, notice=decision.say(self.lang_of(user_id)))
        if config.low_credit_threshold and (low := send_warning(config, self.provider, self.lang_of(user_id))):
            sms = replace(sms, notice=" ".join(filter(None, (sms.notice, low))))     # connector.low_credit
        # A fresh key per send request (one kept from an uncertain attempt is reused instead).
        key = activity.idempotency_key or unit_key(activity_id)
        hold_until = self._release_time(activity.due, sms, config)
        try:
            self.activities.take(activity, sms, key, hold_until=hold_until)
        except Conflict:
            if not self._taken_by_us(activity_id, key, held=hold_until is not None):
                return UnitSmsResult("already-taken", activity_id)
        if hold_until is not None:
            return self._held(activity_id, hold_until, sms.notice)
        return self._deliver(activity, sms, key, config, user_id)

    def _refusal(self, sms: ComposedSms, user_id: str | None) -> str | None:
        """What the provider cannot carry (its capabilities; ACS: marketing to France from a name), in
        the user's words: refused here, before anything is taken or sent, never as the provider's
        error afterwards."""
        refusal = self.provider.capabilities.refusal(sms.sms_type, sms.phone_number or "", sms.sender)
        if refusal is None:
            return None
        return say(self.lang_of(user_id), refusal.key, provider=self.provider.label, **refusal.values)

    def _taken_by_us(self, activity_id: str, key: str, *, held: bool = False) -> bool:
        """A lost take can be our own: it committed, its answer was lost (504, time-out) and the
        retry carried the old ETag. Then the row holds our key. A rival delivery has its own key;
        a reused key can only go out once anyway, the provider refusing its `request_id` twice."""
        now = self.activities.take_state(activity_id)
        expected = SmsStatus.SCHEDULED if held else SmsStatus.SENDING
        return now.status == expected and now.idempotency_key == key

    def resume(self, activity: SmsActivity) -> UnitSmsResult:
        """Finish a send interrupted after the take (crash, time-out): same text, same key, so the
        provider refuses it if the first attempt did go out. A marketing SMS that now falls in quiet
        times is held again instead (Scheduled, released by the timer with the same key)."""
        key = activity.idempotency_key
        config = self.sending.configuration.get()
        if not key or not activity.phone_number:
            return self.fail(activity.id, activity.etag, INTERRUPTED_EARLY, keep_key=False)
        sms = self._as_taken(activity, config)
        hold_until = self._release_time(activity.due, sms, config)
        try:   # claim it, so that two recovery runs do not both resume it
            if hold_until is not None:
                self.activities.take(activity, sms, key, hold_until=hold_until)
            else:
                self.activities.claim(activity)
        except Conflict:
            return UnitSmsResult("already-taken", activity.id)
        if hold_until is not None:
            return self._held(activity.id, hold_until, None)
        return self._deliver(activity, sms, key, config, None)

    def release(self, activity: SmsActivity) -> UnitSmsResult:
        """A held SMS whose time has come (`activity` as the release timer read it, with its ETag):
        taken Scheduled -> Sending under that ETag, so a cancel or another timer run that wrote
        first wins and nothing is sent here; then sent as it was composed when it was requested, with
        its key, through the same path as an immediate send. Quiet times are asked again (a
        marketing SMS whose time falls in them waits again), and so is the opt-out list."""
        annotate(**{"smsc.activity_id": activity.id})
        key = activity.idempotency_key
        if not key or not activity.phone_number:     # set Scheduled by hand: nothing was composed
            reason = say(self.lang_of(activity.owner_id), "unit_held_unprepared")
            return self.fail(activity.id, activity.etag, reason, keep_key=False)
        config = self.sending.configuration.get()
        try:
            sms = self._as_held(activity, config)
        except SmsRejected as error:
            return self.fail(activity.id, activity.etag, error.say(self.lang_of(activity.owner_id)), keep_key=False)
        hold_until = self._release_time(None, sms, config)
        try:
            self.activities.take(activity, sms, key, hold_until=hold_until)
        except Conflict:        # cancelled, or released by another run, since it was read
            return UnitSmsResult("already-taken", activity.id)
        if hold_until is not None:
            return self._held(activity.id, hold_until, sms.notice)
        return self._deliver(activity, sms, key, config, activity.owner_id)

    def _as_taken(self, activity: SmsActivity, config: Configuration) -> ComposedSms:
        """The SMS the take wrote on the activity (text, number, type, sender), as it was taken."""
        text = activity.text or ""
        return ComposedSms(text, analyze(text), SmsType(activity.sms_type or SmsType.TRANSACTIONAL),
                           activity.sender, activity.phone_number,
                           with_replies=replies_wanted(activity.sender, config), notice=activity.error)

    def _as_held(self, activity: SmsActivity, config: Configuration) -> ComposedSms:
        """The SMS the hold wrote, through the send policy again: a Scheduled SMS stays editable on
        its form (a STOP mention removed, a longer text, another sender), and the number may have
        opted out since. The text is not merged again: the hold wrote it merged."""
        sms = compose(activity.text or "", config=config, prefs=self._prefs(activity, config),
                      raw_number=activity.phone_number, requested_type=activity.sms_type,
                      requested_sender=activity.sender, requested_cheaper=activity.cheaper_text,
                      max_length=PROVIDER_MAX_LENGTH)
        refuse_opted_out(sms.phone_number, config, self.sending.optouts)
        return replace(sms, notice=activity.error)

    def _release_time(self, due: datetime | None, sms: ComposedSms, config: Configuration) -> datetime | None:
        """When the connector holds the SMS: its due date if it is more than a minute away, moved
        past the quiet times for a marketing SMS; None when it goes now."""
        now = self.clock()
        at = due if due is not None and due > now + SCHEDULE_MARGIN else None
        return quiet_times_end(at or now, sms.sms_type, sms.phone_number or "", config) or at

    def _held(self, activity_id: str, until: datetime, notice: str | None) -> UnitSmsResult:
        annotate(**{"smsc.sms.status": "scheduled"})
        log.info("unit SMS %s held until %s", activity_id, until.isoformat())
        return UnitSmsResult("scheduled", activity_id, detail=notice, send_at=until)

    def _compose(self, activity: SmsActivity, config: Configuration, user_id: str | None) -> ComposedSms:
        if activity.recipient is None:
            raise SmsRejected("no_recipient")
        text, recipient = render_text(self.sending, activity, activity.recipient, user_id)
        raw_number = activity.phone_number or recipient.mobile
        prefs = self._prefs(activity, config)
        personal = None
        if not activity.workflow_id and prefs.allow_sender_choice and not activity.sender:
            personal = self.sending.users.default_sender(user_id)     # the user's (or their team's) default
        sms = compose(text, config=config, prefs=prefs, raw_number=raw_number, requested_type=activity.sms_type,
                      requested_sender=activity.sender, personal_sender=personal,
                      requested_cheaper=activity.cheaper_text, max_length=PROVIDER_MAX_LENGTH)
        refuse_opted_out(sms.phone_number, config, self.sending.optouts)
        return sms

    @staticmethod
    def _prefs(activity: SmsActivity, config: Configuration) -> ChannelPreferences:
        """Users choose type and sender only where the configuration allows; a hook workflow's
        definition is the admin's own choice and is kept."""
        if activity.workflow_id:
            return config.unit.model_copy(update={"allow_type_choice": True, "allow_sender_choice": True})
        return config.unit

    def _deliver(self, activity: SmsActivity, sms: ComposedSms, key: str, config: Configuration,
                 user_id: str | None) -> UnitSmsResult:
        activity_id, number = activity.id, sms.phone_number or ""
        annotate(**{"smsc.activity_id": activity_id, "smsc.idempotency_id": key})
        # Never `send_at`: a schedule is held here until it leaves (the provider's cancel is restricted).
        request = SmsRequest((Recipient(number),), sms.text, sms.sms_type, key, sender=sms.sender,
                             with_replies=sms.with_replies)
        if (refused := self._refusal(sms, user_id)) is not None:     # edited since it was held
            return self.fail(activity_id, None, refused, keep_key=False)
        try:
            result = self.provider.send(request)
            ticket, cost = result.ticket, result.cost
        except DuplicateRequest:
            ticket, cost = None, None     # an earlier attempt with this key already went out
        except ProviderError as error:
            # Retryable = we cannot know whether it went out: keep the key so a new request
            # reuses it and the provider refuses a second send.
            lang = self.lang_of(user_id)
            message = say(lang, "provider", provider=self.provider.label, detail=provider_reason(lang, error))
            return self.fail(activity_id, None, message, keep_key=error.retryable)
        self.activities.mark_sent(activity_id, ticket, cost, self.clock())
        annotate(**{"smsc.provider.ticket": ticket, "smsc.sms.status": "sent"})
        log.info("unit SMS %s sent (ticket %s)", activity_id, ticket)
        return UnitSmsResult("sent", activity_id, detail=sms.notice, ticket=ticket)

    def fail(self, activity_id: str, etag: str | None, error: str, *, keep_key: bool) -> UnitSmsResult:
        """Failed with the reason, conditional on `etag` (None: whatever the row's version)."""
        try:
            self.activities.fail(activity_id, etag, error, keep_key=keep_key)
        except Conflict:
            return UnitSmsResult("already-taken", activity_id)
        log.info("unit SMS %s failed: %s", activity_id, error)
        return UnitSmsResult("failed", activity_id, detail=error)
