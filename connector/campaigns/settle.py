"""A fanned-out campaign's progress and end, counted from its part leases (what each part came to).

Counting from the rows, not adding one per part, makes it repeatable: a redelivered message, a
resume or two workers finishing at once all write the same figures. The write is conditional on the
campaign's ETag, read again and counted again on a 412, a bounded number of times. Once every part is
done the campaign is Sent with the totals (as validate's summary always said them); when some part
kept failing it stays Sending with the reason, and validating again takes those parts up.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connector.campaigns.model import Campaign, CampaignStatus
from connector.errors import Conflict
from connector.repositories.campaigns import KEEP, Campaigns, PartsProgress
from connector.repositories.leases import CAMPAIGN_PART, Lease, Leases, LeaseState, give_back, settle
from connector.user_texts import say

SETTLE_ATTEMPTS = 5


@dataclass(frozen=True)
class Settled:
    status: CampaignStatus
    progress: PartsProgress
    summary: str | None = None      # written on the campaign when it settled (or a part failed)
    campaign_lease: Lease | None = None     # the campaign's own lease as read (before any write here)


def final_summary(lang: str, rows: list[Lease], total: int) -> str:
    """As validate always said it: SMS sent, activities refused, opt-outs since the preparation;
    then each failed part with its reason, and how to resume."""
    outcomes = [r.outcome for r in rows if r.state == LeaseState.DONE and r.outcome]
    summary = say(lang, "campaign_sent", total=sum(o.messages for o in outcomes))
    if refused := sum(o.refused_activities for o in outcomes):
        summary += " " + say(lang, "campaign_activities_refused", count=refused)
    if opted_out := sum(o.opted_out for o in outcomes):
        numbers = [n for o in outcomes for n in o.opted_out_numbers]
        summary += " " + say(lang, "campaign_optouts_since_preparation", count=opted_out,
                             numbers=", ".join(numbers) + (", …" if len(numbers) < opted_out else ""))
    return summary + failure_lines(lang, rows, total)


def failure_lines(lang: str, rows: list[Lease], total: int) -> str:
    failed = [r for r in rows if r.state == LeaseState.FAILED]
    if not failed:
        return ""
    lines = [say(lang, "campaign_part_failed", part=r.key.part, total=total,
                 reason=(r.reason or say(lang, "campaign_no_reason")).rstrip(".")) for r in failed]
    return " " + " ".join(lines) + " " + say(lang, "campaign_resume_hint")


def settle_campaign(campaigns: Campaigns, leases: Leases, campaign_id: str, ticket: str, *, lang: str,
                    now: datetime, report_failures: bool = False, campaign: Campaign | None = None) -> Settled | None:
    """Counts the parts, writes the progress and, when nothing is in flight any more, the end.
    `report_failures`: a part just failed for good, so the last result says it even while other
    parts are still on their way. None when the campaign is no longer this ticket's send.
    `campaign`: as the caller read it (its progress write is conditional on its ETag: read again
    when it changed since)."""
    for attempt in range(SETTLE_ATTEMPTS):
        if attempt or campaign is None:
            campaign = campaigns.get(campaign_id)
        if campaign.status != CampaignStatus.SENDING or campaign.ticket != ticket:
            return None
        every = leases.of_campaign(campaign_id, ticket)
        rows = [r for r in every if r.key.part != CAMPAIGN_PART]
        campaign_lease = next((r for r in every if r.key.part == CAMPAIGN_PART), None)
        total = campaign.parts.total if campaign.parts else len(rows)
        progress = PartsProgress(total, sum(r.state == LeaseState.DONE for r in rows),
                                 sum(r.state == LeaseState.FAILED for r in rows))
        if progress == campaign.parts or progress.settled:     # its end writes the progress with the result
            break
        try:
            campaigns.record_parts(campaign, progress)
            break
        except Conflict:            # another part was counted meanwhile: read and count again
            continue
    else:
        raise Conflict(f"campaign {campaign_id} kept changing while its parts were counted")
    if not progress.settled:
        if report_failures and progress.failed:
            summary = say(lang, "campaign_parts_done", done=progress.done, total=total)
            summary += failure_lines(lang, rows, total)
            campaigns.finish(campaign_id, summary)
            return Settled(CampaignStatus.SENDING, progress, summary, campaign_lease)
        return Settled(CampaignStatus.SENDING, progress, campaign_lease=campaign_lease)
    return _end(campaigns, leases, campaign, rows, progress, campaign_lease, lang=lang, now=now)


def settle_released(campaigns: Campaigns, campaign: Campaign, part: Lease, *, lang: str, now: datetime,
                    said: str = "") -> Settled:
    """The end of a campaign of one part that validate released itself (connector.campaigns.parts
    `PartRelease.run_here`): `part` is what it came to, `campaign` as validate moved it. Written on
    the campaign only: no lease row says it (the campaign's runs out; a crash before this write is
    taken up by the resume timer, whose worker finds every window of the part written). `said`:
    what validate warned of, after the result."""
    progress = PartsProgress(1, int(part.state == LeaseState.DONE), int(part.state == LeaseState.FAILED))
    return _end(campaigns, None, campaign, [part], progress, None, lang=lang, now=now, said=said)


def _end(campaigns: Campaigns, leases: Leases | None, campaign: Campaign, rows: list[Lease], progress: PartsProgress,
         campaign_lease: Lease | None, *, lang: str, now: datetime, said: str = "") -> Settled:
    """Every part settled: the final result, and Sent when none failed."""
    campaign_id, total = campaign.id, progress.total
    summary = " ".join(filter(None, (final_summary(lang, rows, total), said)))
    parts = KEEP if progress == campaign.parts else progress
    if progress.failed:             # stays Sending, in no one's hands: validating again resumes at once
        campaigns.finish(campaign_id, summary, parts=parts)
        if leases is not None and campaign_lease is not None and campaign_lease.state == LeaseState.HELD:
            give_back(leases, campaign_lease)
        return Settled(CampaignStatus.SENDING, progress, summary, campaign_lease)
    # The send time its closing counts from was written by validate (a deferred start kept, else when it
    # went); a campaign without one gets now.
    campaigns.finish(campaign_id, summary, status=CampaignStatus.SENT, start=KEEP if campaign.start else now,
                     parts=parts)
    if leases is not None and campaign_lease is not None and campaign_lease.state != LeaseState.DONE:
        settle(leases, campaign_lease, LeaseState.DONE)
    return Settled(CampaignStatus.SENT, progress, summary, campaign_lease)
