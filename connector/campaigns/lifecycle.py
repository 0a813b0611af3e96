"""The campaign lifecycle (DESIGN §7) as a table: from which status each action may start, the
status it writes when it starts (under the ETag), and where it leaves the campaign.

Not transmitted -(prepare)-> In construction -> Ready to send -(validate)-> Sending -> Sent;
cancel from Ready (or a stuck In construction) returns to Not transmitted, and so does cancelling a
validated campaign whose deferred start has not come: its parts wait in the queue until then
(connector.campaigns.fan_out), so nothing has gone, and arriving they find it no longer Sending.
Simulate and refresh run in any status and change none; a test (« Envoyer un test ») runs on a
campaign Ready to send and changes nothing either. A failed prepare goes back to Not transmitted
(prepare again); a failed validate stays Sending (validate again resumes, and what went out does not go again).
"""
from __future__ import annotations

from dataclasses import dataclass

from connector.campaigns.model import CampaignAction, CampaignError, CampaignStatus

S, A = CampaignStatus, CampaignAction


@dataclass(frozen=True)
class Transition:
    running: CampaignStatus       # written under the ETag when the action starts (if it differs)
    succeeded: CampaignStatus
    failed: CampaignStatus        # after a failure once started (provider, template, ...)
    only_deferred: bool = False   # only while the campaign's deferred start has not come


TRANSITIONS: dict[tuple[CampaignStatus, CampaignAction], Transition] = {
    (S.NOT_TRANSMITTED, A.PREPARE): Transition(S.IN_CONSTRUCTION, S.READY, S.NOT_TRANSMITTED),
    (S.READY, A.VALIDATE): Transition(S.SENDING, S.SENT, S.SENDING),
    (S.SENDING, A.VALIDATE): Transition(S.SENDING, S.SENT, S.SENDING),        # resumes an interrupted run
    (S.READY, A.CANCEL): Transition(S.NOT_TRANSMITTED, S.NOT_TRANSMITTED, S.READY),
    (S.IN_CONSTRUCTION, A.CANCEL): Transition(S.NOT_TRANSMITTED, S.NOT_TRANSMITTED, S.IN_CONSTRUCTION),
    # Nothing has gone (the parts wait in the queue); a campaign validated before the fan-out has its SMS
    # Scheduled at the provider, which cancels what it still can: what it keeps goes out, and it stays.
    (S.SENDING, A.CANCEL): Transition(S.SENDING, S.NOT_TRANSMITTED, S.SENDING, only_deferred=True),
    (S.SENT, A.CANCEL): Transition(S.SENT, S.NOT_TRANSMITTED, S.SENT, only_deferred=True),
    **{(status, action): Transition(status, status, status)
       for status in S for action in (A.SIMULATE, A.REFRESH)},
    # A test sends the staged texts to internal numbers: it needs a preparation and changes nothing.
    (S.READY, A.TEST): Transition(S.READY, S.READY, S.READY),
}

# Why an action cannot start from a status: the refusal's key (connector.user_texts, `campaign_`).
REFUSALS: dict[CampaignAction, str] = {A.PREPARE: "not_preparable", A.VALIDATE: "not_ready",
                                       A.CANCEL: "not_cancellable", A.TEST: "test_needs_preparation"}
SPECIAL_REFUSALS: dict[tuple[CampaignStatus, CampaignAction], str] = {(S.SENT, A.VALIDATE): "already_sent"}


def keeps_preparation(status: CampaignStatus) -> bool:
    """A campaign back to Not transmitted keeps no preparation (ticket, cost): it is prepared anew."""
    return status != S.NOT_TRANSMITTED


def starts_from(action: CampaignAction) -> frozenset[CampaignStatus]:
    """The statuses `action` may start from (some only while a deferred start has not come)."""
    return frozenset(status for status, each in TRANSITIONS if each == action)


def transition(status: CampaignStatus, action: CampaignAction, *, deferred: bool = False) -> Transition:
    """The transition of `action` from `status`; raises CampaignError (the user's reason) when
    the action may not start from there. `deferred`: the campaign's start is still to come."""
    found = TRANSITIONS.get((status, action))
    if found is None or (found.only_deferred and not deferred):
        key = SPECIAL_REFUSALS.get((status, action)) or REFUSALS[action]
        raise CampaignError(key, status=status)
    return found
