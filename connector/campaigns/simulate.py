"""Simulate: check every recipient, send nothing; `resume.csv` note and the last result."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from connector.campaigns.checks import Verdict
from connector.campaigns.context import ActionContext
from connector.campaigns.progress import Progress, Tally, chunked
from connector.campaigns.reports import CsvLines, csv_report
from connector.repositories.campaign_recipients import CampaignRecipients, UnknownColumn
from connector.repositories.report_notes import ReportNotes
from connector.sms.port import SmsType
from connector.text.encoding import segment_count
from connector.text.template_rules import FieldRefs
from connector.user_texts import say

CHUNK = 1000


def verdicts(recipients: CampaignRecipients, ctx: ActionContext, page_size: int) -> Iterator[list[Verdict]]:
    assert ctx.checker is not None, "simulate and prepare build their context with checks"
    fields = ctx.template.fields if ctx.template else None
    consent = ctx.config.consent_column if ctx.checker.sms_type == SmsType.MARKETING else None
    if consent:         # the recipients' consent column is read with them
        fields = FieldRefs((fields.columns if fields else frozenset()) | {consent}, fields.lookups if fields else {})
    try:
        for chunk in chunked(recipients.candidates(ctx.campaign, fields, page_size), CHUNK):
            yield ctx.checker.check_chunk(chunk)
    except UnknownColumn as error:
        if error.column == consent:
            raise UnknownColumn(error.table, error.column, consent=True) from None
        raise


def simulate(recipients: CampaignRecipients, notes: ReportNotes, ctx: ActionContext, now: datetime,
             progress: Progress, page_size: int = 5000) -> Tally:
    """Writes the report; the caller writes the summary on the campaign."""
    when = ctx.when(now)
    report = csv_report(notes, ctx.campaign.id, subject=say(ctx.lang, "campaign_simulation_note", when=when),
                        upload_limit=notes.upload_limit(),
                        part_label=lambda n: say(ctx.lang, "campaign_part", part=n))
    tally, line = Tally(), CsvLines()
    for chunk in verdicts(recipients, ctx, page_size):
        for verdict in chunk:
            report.add(line("SUCCES" if verdict.ok else "ECHEC", verdict.detail, verdict.number, verdict.text))
            tally.total += 1
            tally.errors += not verdict.ok
            tally.segments += segment_count(verdict.text) if verdict.ok else 0    # the quota's SMS count
        progress("simulate", tally.total)
    report.close()
    return tally
