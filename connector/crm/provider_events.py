"""The provider-event table `smsc_providerevent` (DESIGN §4) behind the `ProviderEvents` port."""
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connector.clock import odata_utc, parse_utc
from connector.crm.port import Crm, DuplicateRecord
from connector.errors import Unavailable
from connector.repositories.provider_events import ProviderEvent
from connector.sms.callbacks import CallbackKind, ProviderCallback

EVENT_SET = "smsc_providerevents"
COLUMNS = ("smsc_providereventid", "smsc_kind", "smsc_ticket", "smsc_phonenumber", "smsc_providerstatus",
           "smsc_text", "smsc_receivedon", "smsc_body", "smsc_processedon", "_smsc_textmessageid_value")
BODY_LENGTH = 100_000       # smsc_body's maximum length
NAME_LENGTH = 100
BATCH = 1000                # rows per $batch (the Web API's limit)
IDS_PER_QUERY = 50          # ids per `or` filter, well inside the URL limit
EVENT_IDS = uuid.UUID("5e1f0c3a-7d0b-4c53-9a51-0e5a1d7b2c40")     # namespace of rows named after a provider event


def event_row(callback: ProviderCallback, received_on: datetime) -> dict[str, Any]:
    label = {CallbackKind.DELIVERY: callback.status or "delivery", CallbackKind.INBOUND: "inbound",
             CallbackKind.OPT_OUT: "opt-out"}[callback.kind]
    return {
        "smsc_name": f"{label} {callback.number} {callback.ticket or ''}".strip()[:NAME_LENGTH],
        "smsc_kind": int(callback.kind), "smsc_ticket": callback.ticket, "smsc_phonenumber": callback.number,
        "smsc_providerstatus": callback.status, "smsc_text": callback.text,
        "smsc_receivedon": odata_utc(received_on),
        "smsc_body": json.dumps(dict(callback.raw), ensure_ascii=False, default=str)[:BODY_LENGTH],
    }


def event_from_row(row: Mapping[str, Any]) -> ProviderEvent:
    try:
        raw = json.loads(row.get("smsc_body") or "{}")
    except ValueError:      # cut at BODY_LENGTH: the columns above carry what matters
        raw = {}
    occurred = None
    callback = ProviderCallback(CallbackKind(row["smsc_kind"]), row.get("smsc_phonenumber") or "",
                                ticket=row.get("smsc_ticket"), status=row.get("smsc_providerstatus"),
                                text=row.get("smsc_text"), occurred_at=occurred,
                                raw=raw if isinstance(raw, dict) else {})
    processed = row.get("smsc_processedon")
    return ProviderEvent(row["smsc_providereventid"], callback, parse_utc(row["smsc_receivedon"]),
                         processed_on=parse_utc(processed) if processed else None,
                         activity_id=row.get("_smsc_textmessageid_value"))


class DataverseProviderEvents:
    def __init__(self, crm: Crm):
        self.crm = crm

    def record(self, callback: ProviderCallback, received_on: datetime) -> str:
        if callback.event_id is None:
            return self.crm.create(EVENT_SET, event_row(callback, received_on))
        # The row's id is the provider's event id, hashed: a second delivery is refused as a duplicate.
        event_id = str(uuid.uuid5(EVENT_IDS, callback.event_id))
        try:
            return self.crm.create(EVENT_SET, {"smsc_providereventid": event_id, **event_row(callback, received_on)})
        except DuplicateRecord:
            return event_id

    def get_many(self, event_ids: Sequence[str]) -> Sequence[ProviderEvent]:
        found: dict[str, ProviderEvent] = {}
        for start in range(0, len(event_ids), IDS_PER_QUERY):
            chunk = event_ids[start:start + IDS_PER_QUERY]
            rows = self.crm.retrieve_multiple(
                EVENT_SET, select=COLUMNS, filter=" or ".join(f"smsc_providereventid eq {i}" for i in chunk))
            found.update((row["smsc_providereventid"], event_from_row(row)) for row in rows)
        return [found[i] for i in event_ids if i in found]

    def unprocessed(self, kind: CallbackKind, *, received_after: datetime | None = None,
                    limit: int = 5000) -> Sequence[ProviderEvent]:
        condition = f"smsc_kind eq {int(kind)} and smsc_processedon eq null"
        if received_after is not None:
            condition += f" and smsc_receivedon gt {odata_utc(received_after)}"
        rows = self.crm.retrieve_multiple(EVENT_SET, select=COLUMNS, filter=condition,
                                          orderby="smsc_receivedon asc", top=limit)
        return [event_from_row(row) for row in rows]

    def mark_processed(self, outcomes: Mapping[str, str | None], processed_on: datetime) -> None:
        updates: list[tuple[str, Mapping[str, Any]]] = []
        for event_id, activity_id in outcomes.items():
            body: dict[str, Any] = {"smsc_processedon": odata_utc(processed_on)}
            if activity_id:
                body["smsc_TextMessageId@odata.bind"] = f"/smsc_textmessages({activity_id})"
            updates.append((event_id, body))
        for start in range(0, len(updates), BATCH):
            failed = [r for r in self.crm.batch_update(EVENT_SET, updates[start:start + BATCH]) if r.error]
            if failed:      # left unprocessed, so the next sweep applies them again (idempotent)
                raise Unavailable(f"{len(failed)} provider events could not be marked processed: "
                                  f"{failed[0].error}")
