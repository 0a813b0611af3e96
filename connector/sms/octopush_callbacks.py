"""Octopush's callbacks (reference/octopush.md, « Callbacks »): delivery reports, inbound SMS, STOP.

Octopush posts one event per call. Its docs' sample reads JSON; form encoding is not ruled out
(unconfirmed), so both are read. Dates are "Y-m-d H:i:s", taken as Paris time (unconfirmed).
The three bodies are told apart by `delivery_date` / `reception_date` / `stop_date`.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from connector.sms.callbacks import CallbackKind, CallbackParser, MalformedCallback, ProviderCallback

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PROVIDER_ZONE = ZoneInfo("Europe/Paris")
LONGEST_FIELD = 2000        # a longer ticket, status or number is not Octopush's
LONGEST_TEXT = 10_000


def _body(body: bytes, content_type: str) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedCallback("the callback body is not UTF-8") from None
    if "application/x-www-form-urlencoded" in (content_type or "").lower():
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        data = json.loads(text)
    except ValueError:
        raise MalformedCallback("the callback body is not JSON (nor a form)") from None
    if not isinstance(data, dict):
        raise MalformedCallback("the callback body must be a JSON object")
    return data


def _string(data: dict[str, Any], name: str, *, required: bool, longest: int = LONGEST_FIELD) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise MalformedCallback(f"the callback has no '{name}'")
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise MalformedCallback(f"'{name}' must be a string")
    value = str(value).strip()
    if len(value) > longest:
        raise MalformedCallback(f"'{name}' is longer than {longest} characters")
    return value


def _number(data: dict[str, Any]) -> str:
    number = _string(data, "number", required=True) or ""
    number = number.replace(" ", "")
    if not E164.match(number):
        raise MalformedCallback(f"'number' must be an E.164 number such as +33600000000, not {number[:40]!r}")
    return number


def _date(data: dict[str, Any], name: str) -> datetime | None:
    value = _string(data, name, required=False)
    if value is None:
        return None
    try:
        local = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise MalformedCallback(f"'{name}' must read 'YYYY-MM-DD HH:MM:SS', not {value[:40]!r}") from None
    return local.replace(tzinfo=PROVIDER_ZONE).astimezone(ZoneInfo("UTC"))


def parse_delivery(body: bytes, content_type: str) -> ProviderCallback:
    data = _body(body, content_type)
    status = (_string(data, "status", required=True) or "").upper()
    return ProviderCallback(CallbackKind.DELIVERY, _number(data), ticket=_string(data, "message_id", required=True),
                            status=status, occurred_at=_date(data, "delivery_date"), raw=data)


def parse_inbound(body: bytes, content_type: str) -> ProviderCallback:
    """A reply, or an opt-out when the body carries `stop_date` (Octopush's STOP callback)."""
    data = _body(body, content_type)
    number, ticket = _number(data), _string(data, "message_id", required=False)
    text = _string(data, "text", required=False, longest=LONGEST_TEXT)
    if "stop_date" in data:
        return ProviderCallback(CallbackKind.OPT_OUT, number, ticket=ticket, text=text,
                                occurred_at=_date(data, "stop_date"), raw=data)
    if text is None:
        raise MalformedCallback("the inbound SMS has no 'text'")
    return ProviderCallback(CallbackKind.INBOUND, number, ticket=ticket, text=text,
                            occurred_at=_date(data, "reception_date"), raw=data)


OCTOPUSH_CALLBACKS = CallbackParser(delivery=parse_delivery, inbound=parse_inbound)
