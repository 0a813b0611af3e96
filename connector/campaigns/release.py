"""Validate ("Envoyer les SMS"): sends exactly what preparation staged in the `resume.xml` notes,
then writes one SMS activity per recipient, in `$batch` requests of up to 1,000.

Exactly once, whatever is retried: each provider request carries a `request_id` derived from the
ticket and the chunk (the provider refuses it twice), and each activity an idempotency key
campaign + recipient (an alternate key: a second create is refused and ignored).
"""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from connector.campaigns.model import Campaign
from connector.campaigns.progress import Progress, chunked
from connector.idempotency import campaign_recipient_key, campaign_request_id, campaign_window_key
from connector.quiet_times import QuietTimes, next_allowed
from connector.repositories.campaign_activities import CampaignActivities, CampaignSms
from connector.repositories.report_notes import ReportNotes
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


def staged_messages(content: bytes) -> Iterator[Staged]:
    """The SUCCES entries of one preparation part (parsed as it streams)."""
    models: dict[str, str] = {}
    for _, element in ET.iterparse(io.BytesIO(content), events=("end",)):
        if element.tag == "modele":
            models[element.get("id")] = element.text or ""
        elif element.tag == "sms" and element.get("statut") == "SUCCES":
            slots = tuple((s, element.get(s)) for s in MERGE_SLOTS if element.get(s) is not None)
            yield Staged(element.get("numero"), element.get("entite"), element.get("id"), element.text or "",
                         models.get(element.get("modele")), slots)
        element.clear()


def campaign_sms(campaign: Campaign, staged: Staged, ticket: str | None) -> CampaignSms:
    stats = analyze(staged.text)
    return CampaignSms(campaign_recipient_key(campaign.id, staged.table, staged.id), staged.table, staged.id,
                       staged.number, staged.text, stats.encoding, stats.segments, ticket)


def send_window(provider, window: list[Staged], key: str, sms_type: SmsType, sender: str | None,
                send_at: datetime | None, with_replies: bool = False) -> dict[str, str | None]:
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
                                 sender=sender, send_at=send_at, with_replies=with_replies)
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


def release_part(notes: ReportNotes, activities: CampaignActivities, provider, campaign: Campaign, part_no: int,
                 note_id: str, *, sms_type: SmsType, sender: str | None, now: datetime,
                 quiet: QuietTimes | None = None, excludes: Callable[[str], bool] | None = None,
                 with_replies: bool = False) -> Released:
    """One preparation part, end to end. Parts are independent (keys carry the part number), so
    they can run in any order, again, or on several workers. `excludes`: numbers opted out since."""
    send_at = campaign.start if campaign.deferred(now) else None
    done = Released()
    staged = staged_messages(notes.content(note_id))
    if excludes is not None:
        staged = (s for s in staged if not excludes(s.number))
    for window_no, window in enumerate(chunked(staged, CHUNK)):
        key = campaign_window_key(campaign.ticket or "", part_no, window_no)
        at = send_at
        if sms_type == SmsType.MARKETING:     # held until the quiet times end (first number's time zone)
            at = next_allowed(send_at or now, window[0].number, quiet) or send_at
        tickets = send_window(provider, window, key, sms_type, sender, at, with_replies)
        messages = [campaign_sms(campaign, s, tickets[s.number]) for s in window]
        done.refused_activities += activities.create(campaign, messages, sms_type=sms_type, sender=sender,
                                                     sent_at=None if at is not None else now)
        done.messages += len(window)
    return done


def release(notes: ReportNotes, activities: CampaignActivities, provider, campaign: Campaign, *,
            sms_type: SmsType, sender: str | None, now: datetime, progress: Progress,
            quiet: QuietTimes | None = None, excludes: Callable[[str], bool] | None = None,
            with_replies: bool = False) -> tuple[int, int]:
    """Every part in turn; returns (messages released, activities refused). `excludes`: numbers opted
    out since the preparation (read again at validate), left out. `with_replies`: as the send policy
    decides it for the campaign's sender (connector.send_policy.replies_wanted)."""
    total = Released()
    for part_no, note_id in enumerate(notes.staged_parts(campaign.id, campaign.ticket), start=1):
        done = release_part(notes, activities, provider, campaign, part_no, note_id, sms_type=sms_type,
                            sender=sender, now=now, quiet=quiet, excludes=excludes, with_replies=with_replies)
        total.messages += done.messages
        total.refused_activities += done.refused_activities
        progress("validate", total.messages)
    return total.messages, total.refused_activities
