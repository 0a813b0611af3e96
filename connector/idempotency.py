"""Idempotency keys: what makes one send *one* send, whoever retries it (DESIGN §3).

Activity keys go in `smsc_idempotencykey`, an alternate key, so Dataverse refuses a second row
with the same key; provider keys go in the provider's `request_id`, which it refuses twice.
Every path that sends builds its keys here, so their shapes cannot drift apart.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

MAX_KEY = 160          # longer workflow keys keep their workflow and record, the rest hashed


def unit_key(activity_id: str) -> str:
    """A unit SMS send request: fresh per request (a kept one is reused when an attempt was uncertain)."""
    return f"unit-{activity_id}-{uuid.uuid4().hex[:12]}"


def campaign_recipient_key(campaign_id: str, table: str, record_id: str) -> str:
    """One activity per campaign and recipient."""
    return f"camp:{campaign_id}:{table}:{record_id}"


def campaign_window_key(ticket: str, part_no: int, window_no: int) -> str:
    """One release window of a staged part: parts and windows are independent units of work."""
    return f"{ticket}-{part_no}-{window_no}"


def campaign_request_id(window_key: str, group_no: int, request_no: int) -> str:
    """One provider request of a window (a text group, a chunk of the provider's recipient limit)."""
    return f"{window_key}-{group_no}-{request_no}"


# A campaign request id: its window key starts with the preparation's ticket
# (connector.campaigns.transmit.new_ticket, `smsc-…`), then part, window, group and request numbers.
CAMPAIGN_REQUEST_PREFIX = "smsc-"
CAMPAIGN_REQUEST = re.compile(r"smsc-.+-(?P<part>\d+)-(?P<window>\d+)-\d+-\d+")


@dataclass(frozen=True)
class CampaignRequest:
    request_id: str
    part: int
    window: int


def parse_campaign_request_id(reference: str) -> CampaignRequest | None:
    """The campaign request a provider reference names (an activity written without its ticket carries
    its request id), or None when it is anything else (a provider ticket, a unit SMS key)."""
    match = CAMPAIGN_REQUEST.fullmatch(reference or "")
    if match is None:
        return None
    return CampaignRequest(reference, int(match["part"]), int(match["window"]))


def workflow_key(workflow_id: str, record_id: str | None, event_key: str, step: str) -> str:
    """One SMS per workflow, record, event and step; hashed tail when it would not fit."""
    key = f"wf:{workflow_id}:{record_id}:{event_key}:{step}"
    if len(key) <= MAX_KEY:
        return key
    return f"wf:{workflow_id}:{record_id}:" + hashlib.sha1(f"{event_key}:{step}".encode()).hexdigest()


def inbound_key(event_id: str) -> str:
    """One incoming SMS activity per provider event, however often the queue delivers it."""
    return f"in:{event_id}"
