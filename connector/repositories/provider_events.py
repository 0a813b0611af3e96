"""Provider callbacks as received (`smsc_providerevent`, DESIGN §4): the history support reads on an
SMS, the buffer for a report that arrives before its activity exists, where unknown tickets stay."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from connector.sms.callbacks import CallbackKind, ProviderCallback


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    callback: ProviderCallback
    received_on: datetime
    processed_on: datetime | None = None    # None: not applied yet (its activity may not exist yet)
    activity_id: str | None = None          # the SMS activity it was applied to


class ProviderEvents(Protocol):
    def record(self, callback: ProviderCallback, received_on: datetime) -> str:
        """Keep the callback as received (unprocessed); its id. A callback carrying the provider's
        `event_id` is kept once: another delivery of it answers the id of the first."""
        ...

    def get_many(self, event_ids: Sequence[str]) -> Sequence[ProviderEvent]:
        """These events (those that exist), in the order asked."""
        ...

    def unprocessed(self, kind: CallbackKind, *, received_after: datetime | None = None,
                    limit: int = 5000) -> Sequence[ProviderEvent]:
        """Events of this kind not applied yet, oldest first."""
        ...

    def mark_processed(self, outcomes: Mapping[str, str | None], processed_on: datetime) -> None:
        """Events applied: event id -> the SMS activity it was applied to (None: nothing to apply it
        to, e.g. a reply from an unknown number). One batched write, not one request per event."""
        ...
