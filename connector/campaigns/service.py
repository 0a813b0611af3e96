"""The campaign lifecycle (DESIGN §7): which action may run in which status, and what it leaves.

Not transmitted -(prepare)-> In construction -> Ready to send -(validate)-> Sending -> Sent;
cancel from Ready returns to Not transmitted. Simulate runs in any status and never sends.
Every outcome, failures included, ends in `smsc_lastresult`, and `smsc_action` is cleared.
"""
from __future__ import annotations

from dataclasses import dataclass

from connector.campaigns.cancel import cancel_scheduled
from connector.clock import utcnow
from connector.campaigns.context import ActionContext, build_context, user_language
from connector.campaigns.model import CAMPAIGN_SET, CampaignAction, CampaignError, CampaignStatus, load_campaign
from connector.campaigns.progress import Progress, Tally, no_progress
from connector.campaigns.release import release
from connector.campaigns.simulate import simulate
from connector.campaigns.texts import STATUS_LABELS, say
from connector.messages import user_format
from connector.campaigns.transmit import prepare
from connector.crm.port import ConcurrencyConflict, Crm
from connector.sms.port import ProviderError


@dataclass(frozen=True)
class CampaignResult:
    action: CampaignAction
    status: CampaignStatus
    summary: str
    tally: Tally | None = None
    ok: bool = True            # False: the action was refused (the reason is the summary)


class CampaignBusy(CampaignError):
    """Another run changed the campaign first (two clicks, a redelivered event)."""


class CampaignService:
    def __init__(self, crm: Crm, provider, *, clock=utcnow, progress: Progress = no_progress,
                 page_size: int = 5000):
        self.crm, self.provider, self.clock = crm, provider, clock
        self.progress, self.page_size = progress, page_size

    def run(self, campaign_id: str, action: CampaignAction, user_id: str | None = None) -> CampaignResult:
        campaign = load_campaign(self.crm, campaign_id)
        needs_checks = action in (CampaignAction.SIMULATE, CampaignAction.PREPARE)
        locale = user_format(self.crm, user_id)
        lang = user_language(locale)
        try:
            ctx = build_context(self.crm, campaign, user_id, locale, checks=needs_checks)
        except CampaignError as error:
            return self._refuse(campaign_id, action, campaign.status, error.say(lang))
        try:
            return getattr(self, f"_{action.name.lower()}")(ctx)
        except CampaignBusy as busy:      # another run holds it: leave its results alone
            return CampaignResult(action, campaign.status, busy.say(lang), ok=False)
        except CampaignError as error:
            return self._refuse(campaign_id, action, campaign.status, error.say(lang))
        finally:
            ctx.close()

    def _simulate(self, ctx: ActionContext) -> CampaignResult:
        tally = simulate(self.crm, ctx, self.clock(), self.progress, self.page_size)
        return self._done(ctx, CampaignAction.SIMULATE, ctx.campaign.status, tally)

    def _prepare(self, ctx: ActionContext) -> CampaignResult:
        if ctx.campaign.status != CampaignStatus.NOT_TRANSMITTED:
            raise CampaignError("not_preparable", status=ctx.campaign.status)
        try:
            tally = prepare(self.crm, ctx, self.provider, self.clock(), self.progress, self.page_size)
        except ConcurrencyConflict:
            raise CampaignBusy("busy") from None
        return self._done(ctx, CampaignAction.PREPARE, CampaignStatus.READY, tally)

    def _validate(self, ctx: ActionContext) -> CampaignResult:
        campaign = ctx.campaign
        if campaign.status == CampaignStatus.READY:
            self._move(campaign, CampaignStatus.SENDING)
        elif campaign.status != CampaignStatus.SENDING:      # SENDING: resume an interrupted run
            raise CampaignError("not_ready", status=campaign.status)
        try:
            released, failed = release(self.crm, self.provider, campaign, sms_type=ctx.sms_type,
                                       sender=ctx.sender, now=self.clock(), progress=self.progress,
                                       quiet=ctx.config.quiet_hours)
        except ProviderError as error:
            # Stays Sending: validating again resumes, and what went out is not sent again.
            raise CampaignError("provider_refused", detail=str(error)) from None
        summary = say(ctx.lang, "sent", total=released)
        if failed:
            summary += " " + say(ctx.lang, "activities_refused", count=failed)
        self.crm.update(CAMPAIGN_SET, campaign.id, {"smsc_smsstatus": int(CampaignStatus.SENT),
                                                    "smsc_lastresult": summary, "smsc_action": None})
        return CampaignResult(CampaignAction.VALIDATE, CampaignStatus.SENT, summary, Tally(total=released))

    def _cancel(self, ctx: ActionContext) -> CampaignResult:
        campaign, now = ctx.campaign, self.clock()
        deferred = campaign.start is not None and campaign.start > now
        if campaign.status in (CampaignStatus.SENT, CampaignStatus.SENDING) and deferred:
            outcome = cancel_scheduled(self.crm, self.provider, campaign)
            if outcome.kept:      # the provider refused some: they will go out, the campaign stays Sent
                summary = say(ctx.lang, "cancel_partial", cancelled=outcome.cancelled, kept=outcome.kept,
                              reasons="; ".join(outcome.reasons))
                self.crm.update(CAMPAIGN_SET, campaign.id, {"smsc_lastresult": summary[:2000], "smsc_action": None})
                return CampaignResult(CampaignAction.CANCEL, campaign.status, summary, ok=False)
        elif campaign.status not in (CampaignStatus.READY, CampaignStatus.IN_CONSTRUCTION):
            raise CampaignError("not_cancellable", status=campaign.status)
        self._move(campaign, CampaignStatus.NOT_TRANSMITTED, smsc_providerticket=None, othercost=None)
        note = say(ctx.lang, "cancel_note", user=ctx.user_name, when=now.strftime("%d/%m/%Y %H:%M:%S"))
        self.crm.create_note("campaign", campaign.id, subject=note, text=f"ticket: {campaign.ticket}")
        self.crm.update(CAMPAIGN_SET, campaign.id, {"smsc_lastresult": note, "smsc_action": None})
        return CampaignResult(CampaignAction.CANCEL, CampaignStatus.NOT_TRANSMITTED, note)

    def _refresh(self, ctx: ActionContext) -> CampaignResult:
        # Octopush has no status endpoint for ad-hoc sends: the statuses we keep are the truth.
        summary = STATUS_LABELS[ctx.lang][int(ctx.campaign.status)].capitalize() + "."
        self.crm.update(CAMPAIGN_SET, ctx.campaign.id, {"smsc_action": None})
        return CampaignResult(CampaignAction.REFRESH, ctx.campaign.status, summary)

    def _move(self, campaign, status: CampaignStatus, **columns) -> None:
        """A conditional status change: of two clicks, one wins and the other is refused."""
        try:
            self.crm.update(CAMPAIGN_SET, campaign.id, {"smsc_smsstatus": int(status), **columns},
                            etag=campaign.etag)
        except ConcurrencyConflict:
            raise CampaignBusy("busy") from None

    def _done(self, ctx: ActionContext, action: CampaignAction, status: CampaignStatus, tally: Tally) -> CampaignResult:
        return CampaignResult(action, status, say(ctx.lang, "summary", total=tally.total, errors=tally.errors), tally)

    def _refuse(self, campaign_id: str, action: CampaignAction, status: CampaignStatus, reason: str) -> CampaignResult:
        self.crm.update(CAMPAIGN_SET, campaign_id, {"smsc_lastresult": reason[:2000], "smsc_action": None})
        return CampaignResult(action, status, reason, ok=False)

