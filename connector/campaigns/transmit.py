"""Prepare ("Préparer la campagne"): the checks of the simulation, then the valid messages are
staged as the `resume.xml` notes; validate releases exactly what they hold.

Octopush has no preparation step for recipients sent with the request, so the staging lives in the
CRM, where the marketer can read it; the notes carry the preparation ticket.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from connector.campaigns.checks import Verdict
from connector.campaigns.context import ActionContext
from connector.campaigns.progress import Progress, Tally
from connector.campaigns.release import WINDOW
from connector.campaigns.reports import NoteParts, xml_attr, xml_text
from connector.campaigns.simulate import verdicts
from connector.repositories.campaign_recipients import CampaignRecipients
from connector.repositories.report_notes import ReportNotes
from connector.send_policy import replies_wanted
from connector.text.encoding import segment_count
from connector.sms.countries import single_region_code
from connector.user_texts import say

TICKET_PREFIX = "smsc-"
# Validate releases each part on its own (about a dozen CRM requests of its own: its lease, note, ledger
# entries, opt-outs, reservation, progress), beside one per window (connector.campaigns.release.WINDOW):
# larger parts cost less. A part ends on a window's end (XmlReport.add), so that every window but the
# last is full, and says its window (`fenetre`): validate cuts it as staged.
STAGING_PART = 4 * 1024 * 1024


def new_ticket(campaign_id: str, now: datetime) -> str:
    """A preparation's own ticket: its provider request ids and staged notes derive from it, so two
    preparations (prepare, cancel, prepare again within the same second) must never share one."""
    return f"{TICKET_PREFIX}{campaign_id[:8]}-{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


class XmlReport:
    """`resume.xml` parts: each a well-formed document with its own totals; the last one also
    carries the campaign's totals and cost."""

    def __init__(self, notes: ReportNotes, ctx: ActionContext, ticket: str, subject: str,
                 price_of: Callable[[str | None], float] | None, window: int = WINDOW):
        # price_of: a number's price per SMS part, by its country (connector.pricing); None: no cost
        # window: SMS per release window (connector.campaigns.release)
        self.ctx, self.ticket, self.price_of, self.amount = ctx, ticket, price_of, 0.0
        self.window = window
        self.prices: dict[int, float] = {}        # per calling code of one country
        self.part_tally, self.tally = Tally(), Tally()
        self.parts = NoteParts(notes, ctx.campaign.id, subject=subject, filename="resume.xml",
                               mimetype="application/xml", upload_limit=notes.upload_limit(),
                               header=self._header, footer=self._footer, ticket=ticket,
                               part_label=lambda n: say(ctx.lang, "campaign_part", part=n), max_part=STAGING_PART)

    def _header(self, part: int) -> bytes:
        self.part_tally = Tally()
        self.staged_in_part = 0                      # its SUCCES rows: a part ends on a release window's end
        self.models_in_part: dict[str, int] = {}      # each part stands alone: models restated
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<transmission campagne={xml_attr(self.ctx.campaign.id)} '
                f'nom={xml_attr(self.ctx.campaign.name)} ticket={xml_attr(self.ticket)} partie="{part}"'
                f'{self._sending}>\n').encode()

    @property
    def _sending(self) -> str:
        """How validate sends the part, as approved here (connector.campaigns.release.staged_sending)."""
        ctx = self.ctx
        sender = f" expediteur={xml_attr(ctx.sender)}" if ctx.sender else ""
        return (f' type="{int(ctx.sms_type)}"{sender} reponses="{int(replies_wanted(ctx.sender, ctx.config))}"'
                f' fenetre="{self.window}"')

    def _footer(self, part: int, final: bool) -> bytes:
        lines = [self._totals("totaux", self.part_tally)]
        if final:
            lines.append(self._totals("totaux_campagne", self.tally, cost=self.cost))
        return ("".join(lines) + "</transmission>\n").encode()

    @staticmethod
    def _totals(tag: str, tally: Tally, cost: float | None = None) -> str:
        extra = f' cout="{cost:.4f}"' if cost is not None else ""
        return (f'  <{tag} destinataires="{tally.total}" valides="{tally.valid}" erreurs="{tally.errors}" '
                f'sms="{tally.segments}"{extra}/>\n')

    def _model(self, provider_text: str) -> tuple[int, str]:
        """Its number, and the `<modele>` element when it is new in this part (parts stand alone)."""
        known = provider_text in self.models_in_part
        number = self.models_in_part.setdefault(provider_text, len(self.models_in_part) + 1)
        element = "" if known else f'  <modele id="{number}">{xml_text(provider_text)}</modele>\n'
        return number, element

    @property
    def cost(self) -> float | None:
        return round(self.amount, 4) if self.price_of is not None else None

    def add(self, verdict: Verdict) -> None:
        candidate = verdict.candidate
        segments = segment_count(verdict.text) if verdict.ok else 0
        status = "SUCCES" if verdict.ok else "ECHEC"
        extra = "" if verdict.ok else f" detail={xml_attr(verdict.detail)}"
        model = ""
        if verdict.ok and verdict.provider_text:
            number, model = self._model(verdict.provider_text)
            extra += f' modele="{number}"' + "".join(
                f" {slot}={xml_attr(value)}" for slot, value in (verdict.slots or {}).items())
        self.parts.add((f'{model}  <sms statut="{status}" numero={xml_attr(verdict.number)} entite="{candidate.table}" '
                        f'id="{candidate.id}" segments="{segments}"{extra}>{xml_text(verdict.text)}</sms>\n').encode())
        for tally in (self.part_tally, self.tally):
            tally.total += 1
            tally.errors += not verdict.ok
            tally.segments += segments
        if segments and self.price_of is not None:
            self.amount += segments * self._price(verdict.number)
        if verdict.ok:
            self.staged_in_part += 1
            if self.staged_in_part % self.window == 0:
                self.parts.boundary()

    def _price(self, number: str) -> float:
        """`price_of`, asked once per calling code that is one country's alone (it reads the number's
        country: a full parse per recipient otherwise)."""
        assert self.price_of is not None
        code = single_region_code(number)
        if code is None:
            return self.price_of(number)
        if code not in self.prices:
            self.prices[code] = self.price_of(number)
        return self.prices[code]


def prepare(recipients: CampaignRecipients, notes: ReportNotes, ctx: ActionContext, *, ticket: str,
            price_of: Callable[[str | None], float] | None, now: datetime, progress: Progress,
            page_size: int = 5000, window: int = WINDOW) -> XmlReport:
    """Checks and stages every recipient under `ticket` (the campaign is In construction), in parts
    cut in windows of `window` SMS; the caller writes the outcome on the campaign."""
    report = XmlReport(notes, ctx, ticket,
                       say(ctx.lang, "campaign_transmission_note", when=ctx.when(now)), price_of, window)
    for chunk in verdicts(recipients, ctx, page_size):
        for verdict in chunk:
            report.add(verdict)
        progress("prepare", report.tally.total)
    report.parts.close()
    return report
