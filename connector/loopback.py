"""The loop back's queue step (DESIGN §3): what the provider told us, recorded by the callback routes,
is applied here, out of the provider's one-second wait.

Delivery reports go to the delivery service (with the other reports of the same burst); replies and
opt-outs to the inbound service. The events applied are marked processed in one batch, each linked
to its SMS activity. A report whose activity does not exist yet stays unprocessed (kept, applied later).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from connector.delivery.service import Applied, DeliveryService
from connector.repositories.provider_events import ProviderEvent, ProviderEvents
from connector.sms.callbacks import CallbackKind, callback_from_message


class Inbound(Protocol):
    def handle(self, events: Sequence[ProviderEvent]) -> Mapping[str, str | None]:
        """Replies and opt-outs applied: event id -> the activity it created (None: none)."""
        ...


@dataclass(frozen=True)
class Processed:
    delivery: Applied
    inbound: Mapping[str, str | None]

    def summary(self) -> str:
        return f"{self.delivery.summary()}; {len(self.inbound)} replies and opt-outs handled"


def process_events(event_ids: Sequence[str], *, events: ProviderEvents, delivery: DeliveryService,
                   inbound: Callable[[], Inbound], clock: Callable[[], datetime]) -> Processed:
    """Applies these recorded events (those already processed are skipped: a redelivered message)."""
    loaded = [e for e in events.get_many(list(dict.fromkeys(event_ids))) if e.processed_on is None]
    reports = delivery.with_burst([e for e in loaded if e.callback.kind == CallbackKind.DELIVERY])
    others = [e for e in loaded if e.callback.kind in (CallbackKind.INBOUND, CallbackKind.OPT_OUT)]
    applied = delivery.resolve(reports) if reports else Applied()
    handled = dict(inbound().handle(others)) if others else {}
    outcomes: dict[str, str | None] = {**applied.outcomes, **handled}
    if outcomes:
        events.mark_processed(outcomes, clock())
    return Processed(applied, handled)


def record_held(messages: Sequence[Mapping[str, Any]], events: ProviderEvents) -> list[str]:
    """Callbacks the route held in the queue message (Dataverse could not take them then): recorded
    now with the time they were received; their ids. A failure here makes the host deliver the
    message again, as for any queue step."""
    return [events.record(callback_from_message(m), datetime.fromisoformat(m["received_on"])) for m in messages]
