import itertools
from dataclasses import replace
from datetime import datetime

from connector.repositories.provider_events import ProviderEvent
from connector.sms.callbacks import CallbackKind, ProviderCallback


class FakeProviderEvents:
    def __init__(self):
        self.rows: dict[str, ProviderEvent] = {}
        self.ids = (f"event-{n}" for n in itertools.count(1))

    def record(self, callback: ProviderCallback, received_on: datetime) -> str:
        event_id = f"provider-{callback.event_id}" if callback.event_id else next(self.ids)
        if event_id in self.rows:
            return event_id
        self.rows[event_id] = ProviderEvent(event_id, callback, received_on)
        return event_id

    def get_many(self, event_ids):
        return [self.rows[i] for i in event_ids if i in self.rows]

    def unprocessed(self, kind: CallbackKind, *, received_after=None, limit=5000):
        found = [e for e in self.rows.values() if e.callback.kind == kind and e.processed_on is None
                 and (received_after is None or e.received_on > received_after)]
        return sorted(found, key=lambda e: e.received_on)[:limit]

    def mark_processed(self, outcomes, processed_on):
        for event_id, activity_id in outcomes.items():
            self.rows[event_id] = replace(self.rows[event_id], processed_on=processed_on, activity_id=activity_id)
