"""Simulate: check every recipient, send nothing; `resume.csv` note and the last result."""
from __future__ import annotations

from datetime import datetime

from connector.campaigns.context import ActionContext
from connector.campaigns.model import CAMPAIGN_SET
from connector.campaigns.progress import Progress, Tally, chunked
from connector.campaigns.recipients import candidates
from connector.campaigns.reports import csv_report, csv_row
from connector.campaigns.texts import say
from connector.crm.port import Crm

CHUNK = 1000


def verdicts(crm: Crm, ctx: ActionContext, page_size: int):
    fields = ctx.template.fields if ctx.template else None
    for chunk in chunked(candidates(crm, ctx.campaign, fields, page_size), CHUNK):
        yield [ctx.checker.check(candidate) for candidate in chunk]


def simulate(crm: Crm, ctx: ActionContext, now: datetime, progress: Progress, page_size: int = 5000) -> Tally:
    when = now.strftime("%d/%m/%Y %H:%M:%S")
    report = csv_report(crm, ctx.campaign.id, subject=say(ctx.lang, "simulation_note", when=when),
                        upload_limit=crm.max_upload_size(),
                        part_label=lambda n: say(ctx.lang, "part", part=n))
    tally = Tally()
    for chunk in verdicts(crm, ctx, page_size):
        for verdict in chunk:
            report.add(csv_row("SUCCES" if verdict.ok else "ECHEC", verdict.detail, verdict.number, verdict.text))
            tally.total += 1
            tally.errors += not verdict.ok
        progress("simulate", tally.total)
    report.close()
    crm.update(CAMPAIGN_SET, ctx.campaign.id, {
        "smsc_lastresult": say(ctx.lang, "summary", total=tally.total, errors=tally.errors), "smsc_action": None})
    return tally
