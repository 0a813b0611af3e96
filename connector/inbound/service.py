"""Inbound SMS and opt-out callbacks applied to the CRM (the queue step of the loop back calls `handle`).

For each event: an Octopush opt-out callback puts the number on the opt-out list; an inbound SMS
becomes an incoming SMS activity in its conversation (connector.inbound.replies), then a STOP keyword
opts the number out, a START keyword lifts its STOP (connector.optout), and any other text is offered
to the `inbound` hook workflows (keywords such as « OUI »). STOP and START never start workflows.

Idempotent: the queue may deliver an event twice. The opt-out writes are upserts on the number, the
activity carries an idempotency key derived from the event id (an alternate key: a second create is
refused and the first activity is answered), and workflow SMS have their own keys.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from connector import optout
from connector.configuration import Configuration
from connector.crm.port import CrmError
from connector.errors import Conflict
from connector.idempotency import inbound_key
from connector.inbound.keyword_workflows import InboundMessage, KeywordWorkflows
from connector.inbound.keywords import OptOutKeyword, opt_out_keyword
from connector.inbound.replies import Thread, thread_of
from connector.repositories.configuration import ConfigurationSource
from connector.repositories.conversations import Conversations, IncomingSms
from connector.repositories.optouts import OptOuts
from connector.repositories.provider_events import ProviderEvent
from connector.sms.callbacks import CallbackKind
from connector.user_texts import say

log = logging.getLogger(__name__)
REFUSED = (400, 404)         # the CRM refused a link of the new activity (a lookup to a row gone)


class InboundService:
    """`workflows`: the keyword workflows to offer replies to (None: none run); `lang`: the language of
    what the connector writes itself (the replies' subject), French as the organisation's default."""

    def __init__(self, conversations: Conversations, optouts: OptOuts, configuration: ConfigurationSource, *,
                 workflows: KeywordWorkflows | None = None, lang: str = "fr"):
        self.conversations, self.optouts, self.configuration = conversations, optouts, configuration
        self.workflows, self.lang = workflows, lang

    def handle(self, events: Sequence[ProviderEvent]) -> dict[str, str | None]:
        """Event id -> the SMS activity it created or found (None: an opt-out callback, nothing to link)."""
        if not events:
            return {}
        config = self.configuration.get()
        return {event.id: self._one(event, config) for event in events}

    def _one(self, event: ProviderEvent, config: Configuration) -> str | None:
        callback = event.callback
        if callback.kind == CallbackKind.OPT_OUT:
            optout.stop(callback.number, self.optouts)
            return None
        if callback.kind != CallbackKind.INBOUND:
            return None                  # delivery reports are the delivery service's
        keyword = opt_out_keyword(callback.text, config)
        if keyword == OptOutKeyword.STOP:       # first: the opt-out matters more than the timeline
            optout.stop(callback.number, self.optouts)
        elif keyword == OptOutKeyword.START and not optout.start(callback.number, self.optouts):
            log.info("START in provider event %s: no STOP opt-out of its number to lift", event.id)
        runs_workflows = keyword is None and self.workflows is not None
        activity_id, thread = self._activity(event, config, runs_workflows)
        if runs_workflows and self.workflows is not None:
            records = tuple(dict.fromkeys(r for r in (thread.regarding, thread.sender) if r is not None))
            self.workflows.run(InboundMessage(event.id, callback.number, callback.text or "", records, activity_id))
        return activity_id

    def _activity(self, event: ProviderEvent, config: Configuration, needs_thread: bool) -> tuple[str, Thread]:
        """The event's incoming SMS activity (created once) and its conversation (when the activity
        exists already, only read again when `needs_thread`: the workflows want its records)."""
        callback, key = event.callback, inbound_key(event.id)
        received = callback.occurred_at or event.received_on
        existing = self.conversations.find_incoming(key)
        if existing is not None and not needs_thread:
            return existing, Thread()
        thread = thread_of(callback.number, callback.ticket, received, config, self.conversations)
        if existing is not None:
            return existing, thread
        sms = IncomingSms(key, callback.number, callback.text or "", say(self.lang, "reply_subject",
                          number=callback.number), received, thread.regarding, thread.sender,
                          thread.campaign_id)
        try:
            return self._create(sms), thread
        except CrmError as error:
            if error.status not in REFUSED:
                raise                    # the CRM is unavailable: the queue delivers the event again
            # The thread's record or campaign was refused (deleted meanwhile...): keep the reply anyway.
            log.warning("reply %s kept without its conversation: %s", event.id, error)
            return self._create(replace(sms, regarding=None, sender=None, campaign_id=None)), Thread()

    def _create(self, sms: IncomingSms) -> str:
        try:
            return self.conversations.create_incoming(sms)
        except Conflict:                 # a rival delivery of the same event created it meanwhile
            found = self.conversations.find_incoming(sms.idempotency_key)
            if found is None:
                raise
            return found
