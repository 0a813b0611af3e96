import itertools
from dataclasses import replace
from datetime import datetime

from connector.crm.port import CrmError
from connector.errors import Conflict
from connector.repositories.conversations import IncomingSms, OutgoingSms
from connector.repositories.sms_activities import RowRef


class FakeConversations:
    """Outgoing SMS given; incoming ones by id; records' mobiles as written (`mobiles`: RowRef -> text)."""

    def __init__(self, *outgoing: OutgoingSms, mobiles: dict[RowRef, str] | None = None):
        self.outgoing = list(outgoing)
        self.incoming: dict[str, IncomingSms] = {}
        self.mobiles = dict(mobiles or {})
        self.leads: list[RowRef] = []
        self.ids = (f"in-{n}" for n in itertools.count(1))
        self.refuse_links: CrmError | None = None          # raised by a create that links a record

    def latest_outgoing(self, number: str, sent_since: datetime, *, ticket: str | None = None):
        found = [o for o in self.outgoing if o.number == number and o.sent_on >= sent_since
                 and (ticket is None or o.ticket == ticket)]
        return max(found, key=lambda o: o.sent_on, default=None)

    def find_incoming(self, idempotency_key: str) -> str | None:
        return next((i for i, sms in self.incoming.items() if sms.idempotency_key == idempotency_key), None)

    def create_incoming(self, sms: IncomingSms) -> str:
        if self.refuse_links and (sms.regarding or sms.campaign_id):
            raise self.refuse_links
        if self.find_incoming(sms.idempotency_key):
            raise Conflict(f"the key {sms.idempotency_key} is taken")
        activity_id = next(self.ids)
        self.incoming[activity_id] = sms
        return activity_id

    def records_with_mobile(self, written_forms, limit: int = 3):
        return [(ref, text) for ref, text in self.mobiles.items() if text in set(written_forms)][:limit]

    def create_lead(self, number: str) -> RowRef:
        lead = RowRef("lead", f"lead-{len(self.leads) + 1}")
        self.leads.append(lead)
        self.mobiles[lead] = number
        return lead

    def close_campaign(self, campaign_id: str, on: datetime) -> None:
        self.outgoing = [replace(o, campaign_closed_on=on) if o.campaign_id == campaign_id else o
                         for o in self.outgoing]
