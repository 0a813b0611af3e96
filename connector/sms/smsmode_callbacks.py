"""smsmode's callbacks (reference/smsmode.md, « Delivery-report callback » and « Inbound »): the
Message resource posted as JSON to the message's `callbackUrlStatus` (a delivery report) or
`callbackUrlMo` (a reply). Unsigned: the route checks our key in the URL.

- A report is told from a reply by `status.value` (smsmode's `direction` is unreliable on reports).
- Numbers come as digits without `+` ("33600000001"): read as E.164. In a reply, the contact's number
  is whichever of `from` / `recipient.to` holds a number (production has been seen to swap them).
- The report's status is smsmode's own (`DELIVERED`, `UNDELIVERABLE`, `UNDELIVERED`, `ENROUTE`...);
  `status.detail` `BLACKLISTED` (an opted-out number) is reported as `BLACKLISTED`. What each means
  for the activity is connector/delivery_status.py's rule.
- Dates without an offset are taken as UTC (unconfirmed).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

from connector.sms.callbacks import CallbackKind, CallbackParser, MalformedCallback, ProviderCallback

DIGITS = re.compile(r"^\+?[1-9]\d{6,14}$")
LONGEST_FIELD = 2000
LONGEST_TEXT = 10_000
SPECIFIC_DETAILS = frozenset({"BLACKLISTED"})


def _body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedCallback("the smsmode callback body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedCallback("the smsmode callback body must be a JSON object")
    return data


def _field(data: dict[str, Any], *path: str, longest: int = LONGEST_FIELD) -> str | None:
    value: Any = data
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    if value is None or value == "":
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise MalformedCallback(f"'{'.'.join(path)}' must be a string")
    text = str(value).strip()
    if len(text) > longest:
        raise MalformedCallback(f"'{'.'.join(path)}' is longer than {longest} characters")
    return text


def e164(value: str | None) -> str | None:
    """smsmode's number ("33600000001" or "+33600000001") as E.164; None when it is no number."""
    number = (value or "").replace(" ", "")
    return ("+" + number.lstrip("+")) if DIGITS.match(number) else None


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedCallback(f"the date must be ISO 8601, not {value[:40]!r}") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_delivery(body: bytes, content_type: str) -> ProviderCallback:
    data = _body(body)
    status = (_field(data, "status", "value") or "").upper()
    if not status:
        raise MalformedCallback("the smsmode delivery report has no 'status.value'")
    detail = (_field(data, "status", "detail") or "").upper()
    number = e164(_field(data, "recipient", "to"))
    if number is None:
        raise MalformedCallback("'recipient.to' must be a phone number such as 33600000001")
    ticket = _field(data, "messageId")
    if ticket is None:
        raise MalformedCallback("the smsmode delivery report has no 'messageId'")
    return ProviderCallback(CallbackKind.DELIVERY, number, ticket=ticket,
                            status=detail if detail in SPECIFIC_DETAILS else status,
                            occurred_at=_date(_field(data, "status", "deliveryDate")), raw=data)


def parse_inbound(body: bytes, content_type: str) -> ProviderCallback:
    """A reply (STOP included: the connector reads the keyword, smsmode posts no opt-out of its own)."""
    data = _body(body)
    if _field(data, "status", "value") and not _field(data, "body", "text"):
        return parse_delivery(body, content_type)         # a report posted to the reply URL
    number = e164(_field(data, "from")) or e164(_field(data, "recipient", "to"))
    if number is None:
        raise MalformedCallback("the smsmode reply has no sender number ('from')")
    text = _field(data, "body", "text", longest=LONGEST_TEXT)
    if text is None:
        raise MalformedCallback("the smsmode reply has no 'body.text'")
    return ProviderCallback(CallbackKind.INBOUND, number, ticket=_field(data, "originMessageId"), text=text,
                            occurred_at=_date(_field(data, "acceptedAt")), raw=data)


SMSMODE_CALLBACKS = CallbackParser(delivery=parse_delivery, inbound=parse_inbound)
