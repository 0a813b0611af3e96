"""« Tester » a prepared campaign (seed 000, issue 16): the first recipients' texts, exactly as the
preparation staged them (merged, STOP mention, cheaper text), sent to a few internal numbers so the
marketer reads on a real phone what the recipients will get. A test is not the campaign: no
recipient activity, no status change, nothing counted; a note on the campaign keeps what was sent
(« Test de la campagne »), and each test request has its own request id (a rerun is a new test).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from connector.campaigns.model import Campaign, CampaignError
from connector.campaigns.release import Staged, staged_messages
from connector.repositories.report_notes import ReportNotes
from connector.sms.port import Recipient, SmsRequest, SmsType

MAX_TEST_NUMBERS = 10


@dataclass(frozen=True)
class TestSms:
    number: str
    text: str
    ticket: str


def first_staged(notes: ReportNotes, campaign: Campaign, count: int) -> list[Staged]:
    """The first `count` messages the preparation staged, in its order."""
    parts = (staged_messages(notes.content(note_id)) for note_id in notes.staged_parts(campaign.id, campaign.ticket))
    return list(itertools.islice(itertools.chain.from_iterable(parts), count))


def send_test(provider, notes: ReportNotes, campaign: Campaign, numbers: list[str], *, sms_type: SmsType,
              sender: str | None, now: datetime) -> list[TestSms]:
    """One SMS per test number, the n-th number getting the n-th staged text (cycling when fewer)."""
    if not numbers:
        raise CampaignError("test_no_numbers")
    if len(numbers) > MAX_TEST_NUMBERS:
        raise CampaignError("test_too_many", limit=MAX_TEST_NUMBERS)
    staged = first_staged(notes, campaign, len(numbers))
    if not staged:
        raise CampaignError("test_nothing_staged")
    sent = []
    for n, number in enumerate(numbers):
        text = staged[n % len(staged)].text
        request_id = f"test-{campaign.ticket}-{now:%Y%m%d%H%M%S}-{n}"
        result = provider.send(SmsRequest((Recipient(number),), text, sms_type, request_id=request_id, sender=sender))
        sent.append(TestSms(number, text, result.ticket))
    return sent
