"""Validate ("Envoyer les SMS"): sends exactly what preparation staged in the `resume.xml` notes,
then writes one SMS activity per recipient, in `$batch` requests of up to 1,000.

Exactly once, whatever is retried: each provider request carries a `request_id` derived from the
ticket and the chunk (the provider refuses it twice), and each activity an idempotency key
campaign + recipient (an alternate key: a second create is refused and ignored).
"""
from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from connector.activity import ACTIVITY_SET, ENCODING_CHOICE, SmsStatus
from connector.campaigns.model import Campaign
from connector.campaigns.progress import Progress, chunked
from connector.clock import odata_utc
from connector.idempotency import campaign_recipient_key, campaign_request_id, campaign_window_key
from connector.quiet_hours import next_allowed
from connector.crm.port import Crm, DuplicateRecord
from connector.sms.port import MERGE_SLOTS, DuplicateRequest, Recipient, SmsRequest, SmsType
from connector.text.encoding import analyze

CHUNK = 1000              # activities per $batch, and entries per provider window
PROVIDER_MAX = 500        # recipients per Octopush request


@dataclass(frozen=True)
class Staged:
    number: str
    table: str
    id: str
    text: str
    model: str | None = None               # the text with provider placeholders
    slots: tuple = ()                      # (slot, value) pairs for the placeholders


def staged_parts(crm: Crm, campaign: Campaign) -> list[str]:
    """The ids of the preparation notes, in order: each part is a unit of work of its own."""
    notes = crm.retrieve_multiple("annotations", select=["filename"], orderby="createdon asc", filter=(
        f"_objectid_value eq {campaign.id} and contains(notetext,'ticket: {campaign.ticket}')"))
    return [note["annotationid"] for note in notes]


def staged_messages(crm: Crm, note_id: str) -> Iterator[Staged]:
    """The SUCCES entries of one preparation note (parsed as it streams)."""
    body = crm.retrieve("annotations", note_id, select=["documentbody"])["documentbody"]
    models: dict[str, str] = {}
    for _, element in ET.iterparse(io.BytesIO(base64.b64decode(body)), events=("end",)):
        if element.tag == "modele":
            models[element.get("id")] = element.text or ""
        elif element.tag == "sms" and element.get("statut") == "SUCCES":
            slots = tuple((s, element.get(s)) for s in MERGE_SLOTS if element.get(s) is not None)
            yield Staged(element.get("numero"), element.get("entite"), element.get("id"), element.text or "",
                         models.get(element.get("modele")), slots)
        element.clear()


def activity_row(campaign: Campaign, staged: Staged, *, ticket: str | None, sms_type: SmsType,
                 sender: str | None, scheduled: bool, now: str) -> dict:
    plural = f"{staged.table}s"
    stats = analyze(staged.text)
    return {
        "subject": campaign.name[:200] or "SMS", "description": staged.text,
        f"regardingobjectid_{staged.table}_smsc_textmessage@odata.bind": f"/{plural}({staged.id})",
        "smsc_textmessage_activity_parties": [
            {"participationtypemask": 2, f"partyid_{staged.table}@odata.bind": f"/{plural}({staged.id})"}],
        "smsc_CampaignId@odata.bind": f"/campaigns({campaign.id})",
        "smsc_idempotencykey": campaign_recipient_key(campaign.id, staged.table, staged.id),
        "smsc_status": int(SmsStatus.SCHEDULED if scheduled else SmsStatus.SENT), "smsc_direction": 1,
        "smsc_phonenumber": staged.number, "smsc_smstype": int(sms_type), "smsc_sender": sender,
        "smsc_encoding": ENCODING_CHOICE[stats.encoding], "smsc_segments": stats.segments,
        "smsc_providermessageid": ticket, "actualend": None if scheduled else now,
    }


def send_window(provider, window: list[Staged], key: str, sms_type: SmsType, sender: str | None,
                send_at: datetime | None) -> dict[str, str | None]:
    """One request per text, or per placeholder model (≤ 500 numbers each); the ticket per number."""
    by_text: dict[str, list[Staged]] = {}
    for staged in window:
        by_text.setdefault(staged.model or staged.text, []).append(staged)
    tickets = {}
    for group_no, (text, group) in enumerate(by_text.items()):
        for part_no, part in enumerate(chunked(group, PROVIDER_MAX)):
            recipients = tuple(Recipient.merged(s.number, dict(s.slots)) if s.model else Recipient(s.number)
                               for s in part)
            request = SmsRequest(recipients, text, sms_type, campaign_request_id(key, group_no, part_no),
                                 sender=sender, send_at=send_at)
            try:
                ticket = provider.send(request).ticket
            except DuplicateRequest:
                ticket = None          # sent by an earlier, interrupted run: not again
            tickets.update({s.number: ticket for s in part})
    return tickets


@dataclass
class Released:
    messages: int = 0
    refused_activities: int = 0     # refused for a reason other than already existing


def release_part(crm: Crm, provider, campaign: Campaign, part_no: int, note_id: str, *, sms_type: SmsType,
                 sender: str | None, now: datetime, quiet: tuple[int, int] | None = None) -> Released:
    """One preparation part, end to end. Parts are independent (keys carry the part number), so
    they can run in any order, again, or on several workers."""
    send_at = campaign.start if campaign.start and campaign.start > now else None
    stamp = odata_utc(now)
    done = Released()
    for window_no, window in enumerate(chunked(staged_messages(crm, note_id), CHUNK)):
        key = campaign_window_key(campaign.ticket, part_no, window_no)
        at = send_at
        if sms_type == SmsType.MARKETING:     # held until the quiet hours end (first number's time zone)
            at = next_allowed(send_at or now, window[0].number, quiet) or send_at
        tickets = send_window(provider, window, key, sms_type, sender, at)
        rows = [activity_row(campaign, s, ticket=tickets[s.number], sms_type=sms_type, sender=sender,
                             scheduled=at is not None, now=stamp) for s in window]
        results = crm.batch_create(ACTIVITY_SET, rows)
        done.refused_activities += sum(1 for r in results
                                       if r.error is not None and not isinstance(r.error, DuplicateRecord))
        done.messages += len(window)
    return done


def release(crm: Crm, provider, campaign: Campaign, *, sms_type: SmsType, sender: str | None,
            now: datetime, progress: Progress, quiet: tuple[int, int] | None = None) -> tuple[int, int]:
    """Every part in turn; returns (messages released, activities refused)."""
    total = Released()
    for part_no, note_id in enumerate(staged_parts(crm, campaign), start=1):
        done = release_part(crm, provider, campaign, part_no, note_id, sms_type=sms_type, sender=sender,
                            now=now, quiet=quiet)
        total.messages += done.messages
        total.refused_activities += done.refused_activities
        progress("validate", total.messages)
    return total.messages, total.refused_activities
