"""What a provider tells us back (DESIGN §3, §6): delivery reports, inbound SMS and opt-outs, as the
core sees them whatever the provider. Each provider's adapter parses its own bodies into these."""
from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connector.errors import BadInput


class CallbackKind(enum.IntEnum):
    """Values of the CRM choice `smsc_providerevent.smsc_kind`."""
    DELIVERY = 1
    INBOUND = 2
    OPT_OUT = 3


class MalformedCallback(BadInput):
    """A callback body we cannot read: answered 400, nothing written."""
    error_code = "malformed_callback"


@dataclass(frozen=True)
class ProviderCallback:
    kind: CallbackKind
    number: str                         # E.164: the recipient of a report, the sender of an inbound SMS
    ticket: str | None = None           # the send's ticket (one covers many recipients); None when unknown
    status: str | None = None           # the provider's own delivery status, e.g. DELIVERED
    text: str | None = None             # an inbound SMS's text, or the opt-out keyword
    occurred_at: datetime | None = None     # when the provider says it happened (UTC)
    raw: Mapping[str, Any] = field(default_factory=dict)    # the body as received, for support
    event_id: str | None = None         # the provider's own id of this event (Event Grid's `id`): a
                                        # delivery of it again (at least once) is recorded once


def callback_message(callback: ProviderCallback) -> dict[str, Any]:
    """The callback as JSON (a queue message), read back by `callback_from_message`."""
    return {"kind": int(callback.kind), "number": callback.number, "ticket": callback.ticket,
            "status": callback.status, "text": callback.text,
            "occurred_at": callback.occurred_at.isoformat() if callback.occurred_at else None,
            "raw": dict(callback.raw), "event_id": callback.event_id}


def callback_from_message(message: Mapping[str, Any]) -> ProviderCallback:
    occurred = message.get("occurred_at")
    return ProviderCallback(CallbackKind(message["kind"]), message["number"], ticket=message.get("ticket"),
                            status=message.get("status"), text=message.get("text"),
                            occurred_at=datetime.fromisoformat(occurred) if occurred else None,
                            raw=message.get("raw") or {}, event_id=message.get("event_id"))


@dataclass(frozen=True)
class CallbackParser:
    """One provider's callbacks: `delivery` reads a delivery-report body, `inbound` a reply or an
    opt-out body (the provider may post both to one URL). Both take the body bytes and the request's
    content type, and raise MalformedCallback."""
    delivery: Callable[[bytes, str], ProviderCallback]
    inbound: Callable[[bytes, str], ProviderCallback]
