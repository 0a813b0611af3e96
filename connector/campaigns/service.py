"""The campaign actions (DESIGN §7): simulate, prepare, validate, cancel and refresh, and the test
send (« Envoyer un test », connector.campaigns.test_send), each allowed
and moved by the lifecycle table (`connector.campaigns.lifecycle`).

Every outcome, failures included, ends in the campaign's last result, and its pending action is
cleared. A failure once an action has started leaves the campaign where the table says (a failed
prepare: Not transmitted, so it can be prepared again), and the result carries that status.
"""
from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypedDict

from connector.campaigns.cancel import cancel_scheduled
from connector.campaigns.closing import closed_at
from connector.campaigns.figures import figures_line, rates
from connector.campaigns.context import ActionContext, CheckSources, TemplateTexts, build_context
from connector.campaigns.fan_out import (PartMessage, campaign_lease_key, campaign_lease_until, first_plan, plan_parts,
                                         queue_parts)
from connector.campaigns.lifecycle import Transition, keeps_preparation, transition
from connector.campaigns.model import CampaignAction, CampaignError, CampaignStatus, status_label
from connector.campaigns.parts import PartRelease
from connector.campaigns.progress import Progress, Tally, no_progress
from connector.campaigns.release import WINDOW
from connector.campaigns.settle import settle_campaign
from connector.campaigns.simulate import simulate
from connector.campaigns.test_send import TestSms, send_test
from connector.campaigns.transmit import new_ticket, prepare
from connector.clock import utcnow
from connector.errors import Conflict, Forbidden, SmscError
from connector.low_credit import send_warning
from connector.pricing import Pricing
from connector.quotas import QuotaCheck, QuotaDecision
from connector.repositories.campaign_activities import CampaignActivities
from connector.repositories.campaign_figures import CampaignFiguresSource
from connector.repositories.campaign_recipients import CampaignRecipients, UnknownColumn
from connector.repositories.campaigns import KEEP, Campaign, Campaigns
from connector.repositories.configuration import ConfigurationSource
from connector.repositories.leases import LeaseState, Leases, give_back, take_again, take_new
from connector.repositories.optouts import OptOuts
from connector.repositories.quotas import Quotas
from connector.repositories.report_notes import Attachment, ReportNotes
from connector.repositories.send_ledger import SendLedger
from connector.repositories.users import Users
from connector.repositories.work_queue import WorkQueue
from connector.send_policy import SmsRejected, phone_number
from connector.sms.capabilities import Capabilities
from connector.sms.port import ProviderError, SmsRequest
from connector.sms.reason import provider_reason
from connector.user_texts import say

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CampaignResult:
    action: CampaignAction
    status: CampaignStatus     # the status the campaign is in after the action
    summary: str
    tally: Tally | None = None
    ok: bool = True            # False: the action was refused (the reason is the summary)


class CampaignBusy(CampaignError):
    """Another run changed the campaign first (two clicks, a redelivered event)."""


class CampaignProvider(Protocol):
    label: str
    capabilities: Capabilities

    def send(self, request: SmsRequest) -> Any: ...

    def cancel(self, ticket: str) -> None: ...


class _Cleared(TypedDict, total=False):
    ticket: None
    cost: None


def _preparation(status: CampaignStatus) -> _Cleared:
    """The ticket and cost to clear when the campaign goes to `status`."""
    return {} if keeps_preparation(status) else {"ticket": None, "cost": None}


class CampaignService:
    def __init__(self, *, campaigns: Campaigns, recipients: CampaignRecipients, notes: ReportNotes,
                 activities: CampaignActivities, configuration: ConfigurationSource, users: Users,
                 optouts: OptOuts, templates: TemplateTexts, provider: CampaignProvider,
                 figures: CampaignFiguresSource, leases: Leases, parts_queue: WorkQueue, ledger: SendLedger,
                 clock: Callable[[], datetime] = utcnow, progress: Progress = no_progress, page_size: int = 5000,
                 quotas: Quotas | None = None, app_campaigns: Campaigns | None = None,
                 waiting_reports: Callable[[set[str]], object] | None = None, acts_as: str | None = None,
                 window: int = WINDOW):
        self.campaigns, self.recipients, self.notes, self.activities = campaigns, recipients, notes, activities
        self.leases, self.parts_queue = leases, parts_queue      # validate's fan-out (connector.campaigns.parts)
        self.ledger = ledger                  # what each part's provider requests came to (connector.campaigns.release)
        self.waiting_reports = waiting_reports  # applies the reports that came before these tickets' activities
        self.figures = figures
        self.configuration, self.users, self.optouts, self.templates = configuration, users, optouts, templates
        self.provider, self.clock, self.progress, self.page_size = provider, clock, progress, page_size
        self.quota_check = QuotaCheck(quotas, clock)
        self.app_campaigns = app_campaigns      # writes the CRM's refusal of the user (their roles)
        self.acts_as = acts_as                  # the CRM user the repositories act as (None: the app)
        self.window = window                    # SMS per release window, staged with each part

    def run(self, campaign_id: str, action: CampaignAction, user_id: str | None = None,
            lang: str | None = None) -> CampaignResult:
        """`lang`: the language of the results when the caller chose one (`smsc campaign --lang`);
        else the user's. Merged texts keep the user's formats either way."""
        campaign = self.campaigns.get(campaign_id)
        user = self.users.user_format(user_id)
        lang, now = lang or user.language, self.clock()
        checks = (CheckSources(self.templates, self.recipients, self.optouts,
                               self.provider.capabilities, self.provider.label)
                  if action in (CampaignAction.SIMULATE, CampaignAction.PREPARE) else None)
        try:
            step = transition(campaign.status, action, deferred=campaign.deferred(now))
            config = self.configuration.get()
            personal = self.users.default_sender(user_id) if config.campaign.allow_sender_choice else None
            ctx = build_context(campaign, config, user, checks, lang=lang, personal_sender=personal)
        except CampaignError as error:
            return self._refuse(campaign, action, campaign.status, error.say(lang))
        run = _Run(ctx, step, now, user_id)
        try:
            return getattr(self, f"_{action.name.lower()}")(run)
        except CampaignBusy as busy:      # another run holds it: leave its results alone
            return CampaignResult(action, campaign.status, busy.say(lang), ok=False)
        except Forbidden as denied:       # the CRM refused the user's write: told on the campaign by the app
            reason = say(lang, "privilege_campaign", privilege=denied.privilege)
            (self.app_campaigns or self.campaigns).finish(campaign.id, reason)
            return CampaignResult(action, campaign.status, reason, ok=False)
        except (CampaignError, UnknownColumn, ProviderError) as error:
            return self._refuse(campaign, action, step.failed if run.started else campaign.status,
                                self._reason(error, action, lang), moved=run.started and step.failed != step.running)
        except Exception:
            if run.started and step.failed != step.running:     # e.g. the CRM failed mid-way: retry later
                self._put_back(campaign, step.failed)
            raise
        finally:
            ctx.close()

    # -- the actions ----------------------------------------------------------------------------
    def _simulate(self, run: _Run) -> CampaignResult:
        ctx = run.ctx
        tally = simulate(self.recipients, self.notes, ctx, run.now, self.progress, self.page_size)
        summary = say(ctx.lang, "campaign_summary", total=tally.total, errors=tally.errors)
        summary += self._quota_note(run, tally)
        self.campaigns.finish(ctx.campaign.id, summary)
        return CampaignResult(CampaignAction.SIMULATE, run.step.succeeded, summary, tally)

    def _prepare(self, run: _Run) -> CampaignResult:
        ctx = run.ctx
        pricing = Pricing(self.provider, ctx.config.default_country)
        pricing.price()                            # a provider refusal here leaves the campaign as it was
        ticket = new_ticket(ctx.campaign.id, run.now)
        self._start(run, ticket=ticket)
        report = prepare(self.recipients, self.notes, ctx, ticket=ticket,
                         price_of=lambda number: pricing.of_number(number).amount, now=run.now,
                         progress=self.progress, page_size=self.page_size, window=self.window)
        tally = report.tally
        summary = say(ctx.lang, "campaign_summary", total=tally.total, errors=tally.errors)
        summary += self._quota_note(run, tally)
        if low := send_warning(ctx.config, self.provider, ctx.lang):     # connector.low_credit
            summary += " " + low
        self.campaigns.finish(ctx.campaign.id, summary, status=run.step.succeeded, cost=report.cost)
        return CampaignResult(CampaignAction.PREPARE, run.step.succeeded, summary, tally)

    def test(self, campaign_id: str, numbers: list[str] | None = None, user_id: str | None = None,
             lang: str | None = None) -> tuple[str, list[TestSms]]:
        """« Tester » a prepared campaign on internal numbers (given, else the configuration's): the first
        staged texts, a note keeping what was sent; the campaign itself does not change (`smsc campaign
        test`: its last result is left as it is; the panel's button is the TEST action)."""
        campaign = self.campaigns.get(campaign_id)
        user = self.users.user_format(user_id)
        lang, now, config = lang or user.language, self.clock(), self.configuration.get()
        if campaign.status != CampaignStatus.READY:
            raise CampaignError("test_needs_preparation", status=campaign.status)
        personal = self.users.default_sender(user_id) if config.campaign.allow_sender_choice else None
        ctx = build_context(campaign, config, user, None, lang=lang, personal_sender=personal)
        targets = [phone_number(number, config) for number in (numbers or list(config.test_numbers))]
        return say(lang, "campaign_test_sent", count=len(targets)), self._send_test(ctx, targets, now)

    def _test(self, run: _Run) -> CampaignResult:
        """« Envoyer un test » on the campaign panel: the configured test numbers only (the panel names
        them before the click); the result, in the user's language, names them too."""
        ctx = run.ctx
        if not ctx.config.test_numbers:
            raise CampaignError("test_no_configured_numbers")
        try:
            targets = [phone_number(number, ctx.config) for number in ctx.config.test_numbers]
        except SmsRejected as refusal:
            raise CampaignError("test_bad_number", detail=refusal.say(ctx.lang)) from None
        sent = self._send_test(ctx, targets, run.now)
        summary = say(ctx.lang, "campaign_test_sent_to", count=len(sent), numbers=", ".join(s.number for s in sent))
        self.campaigns.finish(ctx.campaign.id, summary)
        return CampaignResult(CampaignAction.TEST, run.step.succeeded, summary)

    def _send_test(self, ctx: ActionContext, targets: list[str], now: datetime) -> list[TestSms]:
        """The test SMS (connector.campaigns.test_send), and the note « Test de la campagne » keeping them."""
        campaign, lang = ctx.campaign, ctx.lang
        try:
            sent = send_test(self.provider, self.notes, campaign, targets, sms_type=ctx.sms_type,
                             sender=ctx.sender, now=now)
        except ProviderError as error:
            raise CampaignError("provider_refused", detail=provider_reason(lang, error)) from None
        lines = ["NUMERO;TICKET;SMS"] + [f"{s.number};{s.ticket};{s.text}" for s in sent]
        self.notes.create(campaign.id, say(lang, "campaign_test_note", when=ctx.when(now)),
                          Attachment("test.csv", "text/csv", ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()))
        return sent

    def _validate(self, run: _Run) -> CampaignResult:
        """Puts one message per staged part on the parts queue (connector.campaigns.fan_out), under
        the campaign's lease: while it is held, validating again says the campaign is being sent."""
        ctx = run.ctx
        campaign = ctx.campaign
        decision = self._validate_quota(run)
        if not decision.allowed:      # Block or Forbidden: nothing sent, the campaign stays Ready to send
            return self._refuse(campaign, CampaignAction.VALIDATE, campaign.status, decision.say(ctx.lang) or "")
        owner, key, until = f"validate-{uuid.uuid4().hex[:12]}", campaign_lease_key(campaign), \
            campaign_lease_until(campaign, run.now)
        # A lease no one held before on a campaign Ready to send: no part of this preparation was ever
        # queued, so none has a lease or a ledger entry (neither is read).
        lease = take_new(self.leases, key, owner, until, user_id=run.user_id)
        first = lease is not None and campaign.status == CampaignStatus.READY
        lease = lease or take_again(self.leases, key, owner, until, run.now, user_id=run.user_id)
        if lease.state == LeaseState.DONE:    # every part went out; only the end was not written
            return self._settled(run, lease.user_id)
        if not lease.held_by(owner, run.now):
            # Nothing written: the campaign is the other run's (a write would change the ETag its move
            # is conditional on); its own result stays, and its end clears the pending button.
            return CampaignResult(CampaignAction.VALIDATE, campaign.status, say(ctx.lang, "campaign_being_sent"),
                                  ok=False)
        try:
            staged = self.notes.staged_parts(campaign.id, campaign.ticket)
            plan = first_plan(staged) if first else plan_parts(self.leases, campaign, staged, run.now, failed_too=True)
            # A first validate of one part due now releases it here, when this service acts as the user who
            # validates (a part goes as them): no queue hop, no second read of what this run holds.
            here = (first and len(plan.queued) == 1 and not campaign.deferred(run.now)
                    and run.user_id == self.acts_as)
            # The quota's and the credit's (connector.low_credit) warnings, said now and with the end.
            warnings = " ".join(w for w in (decision.say(ctx.lang), send_warning(ctx.config, self.provider, ctx.lang))
                                if w)
            summary = " ".join(filter(None, (self._queued_summary(run, len(plan.queued), plan.progress.total),
                                             warnings)))
            # With the move, before the messages go (a fast worker's final result must not be overwritten):
            # the result, and the send time its closing counts from (a deferred start kept, else now).
            said: dict[str, Any] = ({"result": summary, "start": KEEP if campaign.deferred(run.now) else run.now}
                                    if plan.queued else {})
            # Ready -> Sending with its parts to go; a resume (Sending already): what is done stays counted.
            self._move(run, run.step.running, parts=plan.progress, **said)
            if plan.queued and not here:
                queue_parts(self.parts_queue, campaign, plan.queued, run.user_id, run.now, ctx.lang)
        except BaseException:
            give_back(self.leases, lease)           # the queue's next attempt (or the user) takes it up
            raise
        if not plan.queued:           # nothing left to release (every part done, or none staged): its end
            return self._settled(run, run.user_id)
        if here:
            moved = replace(campaign, status=run.step.running, parts=plan.progress, start=run.now,
                            last_result=summary, action=None)
            return self._release_here(run, moved, plan.queued[0][1], summary, warnings)
        return CampaignResult(CampaignAction.VALIDATE, CampaignStatus.SENDING, summary)

    def _release_here(self, run: _Run, campaign: Campaign, note_id: str, summary: str,
                      warnings: str) -> CampaignResult:
        """The one part released in this run (connector.campaigns.parts `PartRelease.run_here`); when
        that fails, the part goes on the queue, where the workers take it up as any part."""
        message = PartMessage(campaign.id, campaign.ticket or "", 1, note_id, run.user_id, run.ctx.lang)
        try:
            settled = PartRelease(self, message, first=True).run_here(campaign, warnings)
        except Exception as error:
            log.warning("campaign %s: its part, released by validate, goes to the queue: %s", campaign.id, error)
            queue_parts(self.parts_queue, campaign, [(1, note_id)], run.user_id, run.now, run.ctx.lang)
            return CampaignResult(CampaignAction.VALIDATE, CampaignStatus.SENDING, summary)
        if settled is None or settled.summary is None:      # held until its window opens
            return CampaignResult(CampaignAction.VALIDATE, CampaignStatus.SENDING, summary)
        return CampaignResult(CampaignAction.VALIDATE, settled.status, settled.summary,
                              ok=not settled.progress.failed)

    def _queued_summary(self, run: _Run, count: int, total: int) -> str:
        campaign = run.ctx.campaign
        if campaign.deferred(run.now) and campaign.start is not None:
            return say(run.ctx.lang, "campaign_parts_held", count=count, total=total,
                       when=run.ctx.when(campaign.start))
        return say(run.ctx.lang, "campaign_parts_queued", count=count, total=total)

    def _settled(self, run: _Run, user_id: str | None) -> CampaignResult:
        """The campaign's end counted from its parts (connector.campaigns.settle)."""
        campaign = run.ctx.campaign
        settled = settle_campaign(self.campaigns, self.leases, campaign.id, campaign.ticket or "",
                                  lang=run.ctx.lang, now=run.now)
        if settled is None:
            current = self.campaigns.get(campaign.id)
            return CampaignResult(CampaignAction.VALIDATE, current.status, current.last_result or "")
        if settled.summary is None:
            summary = say(run.ctx.lang, "campaign_parts_done", done=settled.progress.done, total=settled.progress.total)
            return CampaignResult(CampaignAction.VALIDATE, settled.status, summary)
        return CampaignResult(CampaignAction.VALIDATE, settled.status, settled.summary,
                              ok=not settled.progress.failed)

    def _cancel(self, run: _Run) -> CampaignResult:
        ctx, step = run.ctx, run.step
        campaign = ctx.campaign
        if step.only_deferred:        # validated, its start still to come: the provider cancels first
            outcome = cancel_scheduled(self.activities, self.provider, campaign, ctx.lang)
            if outcome.kept:          # the provider refused some: they will go out, the campaign stays
                summary = say(ctx.lang, "campaign_cancel_partial", cancelled=outcome.cancelled, kept=outcome.kept,
                              reasons="; ".join(outcome.reasons))
                self.campaigns.finish(campaign.id, summary)
                return CampaignResult(CampaignAction.CANCEL, step.failed, summary, ok=False)
        # A fanned-out campaign's parts wait in the queue: back to Not transmitted, they find it so and
        # send nothing; its progress goes with its preparation.
        self._move(run, step.succeeded, **_preparation(step.succeeded), parts=None)
        note = say(ctx.lang, "campaign_cancel_note", user=self._user_name(run.user_id),
                   when=ctx.when(run.now))
        self.notes.create(campaign.id, note, ticket=campaign.ticket)
        self.campaigns.finish(campaign.id, note)
        return CampaignResult(CampaignAction.CANCEL, step.succeeded, note)

    def _refresh(self, run: _Run) -> CampaignResult:
        # Octopush has no status endpoint for ad-hoc sends: the statuses we keep (delivery reports
        # applied to the activities) are the truth, counted now by the CRM.
        ctx, campaign = run.ctx, run.ctx.campaign
        if campaign.status not in (CampaignStatus.SENDING, CampaignStatus.SENT):   # nothing sent to count
            summary = status_label(ctx.lang, campaign.status).capitalize() + "."
            self.campaigns.finish(campaign.id, None)
            return CampaignResult(CampaignAction.REFRESH, run.step.succeeded, summary)
        figures = self.figures.figures(campaign.id)
        summary = figures_line(ctx.lang, figures)
        closed_on = closed_at(campaign, ctx.config.campaign_duration_hours, run.now)
        if closed_on is not None:
            summary += " " + say(ctx.lang, "campaign_closed_on", when=ctx.when(closed_on))
        # Its time has come but the timer has not closed it yet: this refresh closes it.
        closing = closed_on if closed_on is not None and campaign.closed_on is None else KEEP
        self.campaigns.finish(campaign.id, summary, rates=rates(figures), closed_on=closing)
        return CampaignResult(CampaignAction.REFRESH, run.step.succeeded, summary)

    # -- quotas (connector.quotas) ----------------------------------------------------------------
    def _quota_note(self, run: _Run, tally: Tally) -> str:
        """Simulate and prepare say what validate will meet: the quota (or the threshold) warning or
        refusal for the valid recipients' SMS (segments × recipients)."""
        decision = self.quota_check.check(run.ctx.config, run.user_id, sms=tally.segments, recipients=tally.valid)
        said = decision.say(run.ctx.lang, ahead=True)
        return " " + said if said else ""

    def _validate_quota(self, run: _Run) -> QuotaDecision:
        """The whole campaign as prepared, checked before anything goes. A run resumed (already
        Sending) is not checked again: what went out already counts in the month."""
        ctx = run.ctx
        if not ctx.config.quotas_enabled or not run.user_id or ctx.campaign.status == CampaignStatus.SENDING:
            return QuotaDecision("ok")
        sms, recipients = staged_totals(self.notes, ctx.campaign)
        return self.quota_check.check(ctx.config, run.user_id, sms=sms, recipients=recipients)

    # -- helpers --------------------------------------------------------------------------------
    def _start(self, run: _Run, **columns: Any) -> None:
        """Moves the campaign to the status the action runs in, when it differs."""
        if run.step.running != run.ctx.campaign.status:
            self._move(run, run.step.running, **columns)

    def _move(self, run: _Run, status: CampaignStatus, **columns: Any) -> None:
        """A conditional status change: of two clicks, one wins and the other is refused."""
        try:
            self.campaigns.move(run.ctx.campaign, status, **columns)
        except Conflict:
            raise CampaignBusy("busy") from None
        run.started = True

    def _put_back(self, campaign: Campaign, status: CampaignStatus) -> None:
        """Best effort: the original failure is the one to report."""
        try:
            self.campaigns.restore(campaign.id, status, **_preparation(status))
        except Exception:
            log.warning("campaign %s could not be put back to %s", campaign.id, status.name, exc_info=True)

    def _user_name(self, user_id: str | None) -> str:
        """Who runs the action, for the notes (the connector itself when run from the CLI)."""
        if not user_id:
            return "smsc"
        try:
            return self.users.full_name(user_id) or user_id
        except SmscError:
            return user_id

    @staticmethod
    def _reason(error: Exception, action: CampaignAction, lang: str) -> str:
        if isinstance(error, UnknownColumn):
            key = "unknown_consent_column" if error.consent else "unknown_field"
            return CampaignError(key, table=error.table, field=error.column).say(lang)
        if isinstance(error, ProviderError):
            reason = provider_reason(lang, error)
            return say(lang, "campaign_prepare_failed", detail=reason) if action == CampaignAction.PREPARE else reason
        assert isinstance(error, CampaignError)
        return error.say(lang)

    def _refuse(self, campaign: Campaign, action: CampaignAction, status: CampaignStatus, reason: str, *,
                moved: bool = False) -> CampaignResult:
        """Writes why on the campaign (and the status a failed run leaves it in, when it moved it)."""
        if moved:
            self.campaigns.finish(campaign.id, reason, status=status, **_preparation(status))
        else:
            self.campaigns.finish(campaign.id, reason)
        return CampaignResult(action, status, reason, ok=False)


def staged_totals(notes: ReportNotes, campaign: Campaign) -> tuple[int, int]:
    """(SMS, recipients) the preparation staged: the campaign's totals, in its last `resume.xml` part."""
    parts = notes.staged_parts(campaign.id, campaign.ticket)
    if not parts:
        return 0, 0
    found = re.search(rb'<totaux_campagne [^>]*valides="(\d+)"[^>]*sms="(\d+)"', notes.content(parts[-1]))
    return (int(found.group(2)), int(found.group(1))) if found else (0, 0)


@dataclass
class _Run:
    """One action under way: its context, its transition, and whether it moved the campaign yet."""
    ctx: ActionContext
    step: Transition
    now: datetime
    user_id: str | None
    started: bool = False

