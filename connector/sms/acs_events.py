"""Azure Communication Services' delivery reports and inbound SMS, as Event Grid delivers them to a
webhook (reference/azure-communication-sms.md, « Delivery reports », « Inbound SMS », « Event Grid
webhook delivery »).

A POST carries a JSON array of events (Event Grid schema: `id`, `eventType`, `subject`, `eventTime`,
`data`). Three kinds matter:
- `Microsoft.EventGrid.SubscriptionValidationEvent`: the handshake when the subscription is created;
  answered 200 with `{"validationResponse": data.validationCode}` (never 202);
- `Microsoft.Communication.SMSDeliveryReportReceived`: `data.messageId` (the send's per-recipient id),
  `to`, `deliveryStatus` (Delivered, Failed; others unconfirmed: no change), `receivedTimestamp`;
- `Microsoft.Communication.SMSReceived`: `data.from` (the phone), `message`, `receivedTimestamp`.
Other event types are ignored. Delivery is at least once and unordered: the status rule
(connector.delivery_status) makes reports order-proof, and the event `id` is the callback's `event_id`:
an event delivered again is recorded once (connector.repositories.provider_events).
Numbers come with or without `+` and the sample writes `Tag` for `tag`: both read.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from connector.sms.callbacks import CallbackKind, MalformedCallback, ProviderCallback

VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent"
DELIVERY_REPORT = "Microsoft.Communication.SMSDeliveryReportReceived"
RECEIVED = "Microsoft.Communication.SMSReceived"
DIGITS = re.compile(r"^\+?[1-9]\d{6,14}$")
LONGEST_TEXT = 10_000
MOST_EVENTS = 5_000


@dataclass
class EventBatch:
    """What one Event Grid POST carries: a validation code to answer, or callbacks to record."""
    validation_code: str | None = None
    callbacks: list[ProviderCallback] = field(default_factory=list)
    ignored: int = 0


def e164(value: Any) -> str | None:
    number = str(value or "").replace(" ", "")
    return ("+" + number.lstrip("+")) if DIGITS.match(number) else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_events(body: bytes) -> EventBatch:
    """The events of one POST; MalformedCallback when the body is not an Event Grid array."""
    try:
        events = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedCallback("the Event Grid body is not JSON") from None
    if isinstance(events, dict):
        events = [events]
    if not isinstance(events, list) or len(events) > MOST_EVENTS:
        raise MalformedCallback("the Event Grid body must be an array of events")
    batch = EventBatch()
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            raise MalformedCallback(f"event {index} has no 'data' object")
        kind, data = event.get("eventType"), event["data"]
        if kind == VALIDATION:
            code = data.get("validationCode")
            if not isinstance(code, str) or not code:
                raise MalformedCallback("the validation event has no 'validationCode'")
            batch.validation_code = code
        elif kind == DELIVERY_REPORT:
            batch.callbacks.append(_report(index, event, data))
        elif kind == RECEIVED:
            batch.callbacks.append(_received(index, event, data))
        else:
            batch.ignored += 1
    return batch


def _event_id(event: dict) -> str | None:
    value = event.get("id")
    return value if isinstance(value, str) and value.strip() else None


def _report(index: int, event: dict, data: dict) -> ProviderCallback:
    number, message_id = e164(data.get("to")), data.get("messageId")
    if number is None or not isinstance(message_id, str) or not message_id:
        raise MalformedCallback(f"delivery report {index} needs 'messageId' and a 'to' number")
    status = str(data.get("deliveryStatus") or "").strip().upper()
    if not status:
        raise MalformedCallback(f"delivery report {index} has no 'deliveryStatus'")
    return ProviderCallback(CallbackKind.DELIVERY, number, ticket=message_id, status=status,
                            occurred_at=_time(data.get("receivedTimestamp")) or _time(event.get("eventTime")),
                            raw={"id": event.get("id"), "eventType": event.get("eventType"), "data": data},
                            event_id=_event_id(event))


def _received(index: int, event: dict, data: dict) -> ProviderCallback:
    number, text = e164(data.get("from")), data.get("message")
    if number is None or not isinstance(text, str) or len(text) > LONGEST_TEXT:
        raise MalformedCallback(f"inbound SMS {index} needs a 'from' number and a 'message'")
    return ProviderCallback(CallbackKind.INBOUND, number, ticket=None, text=text,
                            occurred_at=_time(data.get("receivedTimestamp")) or _time(event.get("eventTime")),
                            raw={"id": event.get("id"), "eventType": event.get("eventType"), "data": data},
                            event_id=_event_id(event))
