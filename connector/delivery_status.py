"""The delivery-status rule (DESIGN §7 « never downgrade a final status »): what a provider's delivery
report does to an SMS activity's status.

- DELIVERED (and READ, which implies it) -> Delivered.
- A failure (Octopush: NOT_DELIVERED, NOT_ALLOWED, UNKNOWN_DELIVERY, BAD_DESTINATION, BLACKLISTED_NUMBER,
  UNDEFINED; smsmode: UNDELIVERABLE, UNDELIVERED, BLACKLISTED; ACS: FAILED) -> Undeliverable, with a
  reason naming the provider's status.
- ACK and any status we do not know -> no change (an intermediate step never decides anything).

Order independence is by precedence, not by time: reports do not reliably carry when they happened
(Octopush's `delivery_date` is second-grained, in a time zone it does not state), and a duplicate or
late report must not undo anything. The precedence is

    not final (Scheduled, Sent, ...)  <  Undeliverable  <  Delivered

and a report only ever moves an activity up. Delivered outranks Undeliverable because a handset's
receipt is proof while an operator failure can be followed by a successful retry. Failed, Cancelled
and Received are outside the ladder: no report changes them. So the status an activity ends in is the
highest of its reports whatever their order or repetition (the property test checks it). Among
several failures applied together, the reason shown is the most specific failure (FAILURES' order);
once an activity is Undeliverable a later failure leaves its reason as it is.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connector.activity import SmsStatus
from connector.user_texts import TEXTS, say

DELIVERED = frozenset({"DELIVERED", "READ"})
# Most specific first: when several failures settle one activity at once, the first one here is shown.
# Octopush's, then smsmode's (UNDELIVERABLE, UNDELIVERED; BLACKLISTED from its `status.detail`), then
# Azure Communication Services' (Failed). ENROUTE, SCHEDULED (smsmode) are steps: no change.
FAILURES = ("BLACKLISTED_NUMBER", "BLACKLISTED", "BAD_DESTINATION", "NOT_ALLOWED", "UNDELIVERABLE", "NOT_DELIVERED",
            "UNDELIVERED", "FAILED", "UNKNOWN_DELIVERY", "UNDEFINED")
UNTOUCHABLE = frozenset({SmsStatus.FAILED, SmsStatus.CANCELLED, SmsStatus.RECEIVED})
RANK = {SmsStatus.UNDELIVERABLE: 1, SmsStatus.DELIVERED: 2}     # every other status: 0


def reported_status(provider_status: str | None) -> SmsStatus | None:
    """The status a report means on its own; None for ACK and unknown statuses (no change)."""
    status = (provider_status or "").strip().upper()
    if status in DELIVERED:
        return SmsStatus.DELIVERED
    if status in FAILURES:
        return SmsStatus.UNDELIVERABLE
    return None


def rank(status: SmsStatus | int | None) -> int:
    return RANK.get(SmsStatus(status), 0) if status else 0


@dataclass(frozen=True)
class Settled:
    status: SmsStatus
    provider_status: str        # the report that decided it (for the reason of a failure)


def settle(current: SmsStatus | int | None, provider_statuses: Iterable[str | None]) -> Settled | None:
    """The status an activity now at `current` takes after these reports, or None when it stays as it
    is. Depends only on the set of reports: order and duplicates do not matter."""
    if current is not None and SmsStatus(current) in UNTOUCHABLE:
        return None
    best: Settled | None = None
    for provider_status in provider_statuses:
        status = reported_status(provider_status)
        if status is None or rank(status) <= rank(current):
            continue
        candidate = Settled(status, (provider_status or "").strip().upper())
        if best is None or _before(candidate, best):
            best = candidate
    return best


def _before(candidate: Settled, best: Settled) -> bool:
    if rank(candidate.status) != rank(best.status):
        return rank(candidate.status) > rank(best.status)
    if candidate.status is SmsStatus.UNDELIVERABLE:
        return FAILURES.index(candidate.provider_status) < FAILURES.index(best.provider_status)
    return candidate.provider_status < best.provider_status


def failure_reason(lang: str, provider: str, provider_status: str) -> str:
    """Why the SMS was not delivered, in the user's language, naming the provider's own status."""
    key = f"delivery_{provider_status.lower()}"
    label = say(lang, key if key in TEXTS[lang] and key != "delivery_failed" else "delivery_other")
    return say(lang, "delivery_failed", provider=provider, status=provider_status, label=label)
