"""What an SMS provider can do, as data: the services read it instead of asking for the provider's
name or probing its methods (issue 18). Each adapter states its own (connector/sms/<provider>.py).

A combination the provider does not carry (ACS: marketing SMS to France from an alphanumeric
sender) is a `Restriction`; `refusal()` finds it before anything is sent, as a key of
connector/user_texts.py the caller says in the user's language.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from connector.sms.countries import country_of

MARKETING, TRANSACTIONAL = 1, 2        # values of SmsType (connector.sms.port)


class SenderKind(enum.Enum):
    ALPHANUMERIC = "alphanumeric"      # a name such as "MyShop" (no replies)
    NUMBER = "number"                  # a phone number or a short code


def sender_kind(sender: str | None) -> SenderKind | None:
    """The kind of a sender; None when there is none (the provider's default)."""
    if not sender:
        return None
    return SenderKind.ALPHANUMERIC if any(c.isalpha() for c in sender) else SenderKind.NUMBER


@dataclass(frozen=True)
class Restriction:
    """SMS of `purpose` to `countries` from a sender of `sender` kind (None: any, a default sender
    included) are not carried. `reason`: the user_texts key explaining it."""
    purpose: int
    countries: frozenset[str]
    sender: SenderKind | None
    reason: str


@dataclass(frozen=True)
class Refusal:
    """Why a send cannot go through this provider: a user_texts key and its values."""
    key: str
    values: dict


@dataclass(frozen=True)
class Capabilities:
    recipients_per_request: int            # 1: one request per recipient
    placeholders: bool                     # merges {first_name}, {param1}.. per recipient itself
    scheduling: bool                       # takes a send time (we hold schedules ourselves anyway)
    cancel: bool                           # cancels a scheduled send
    replies: bool                          # recipients can answer (a reply-capable sender)
    stop_mention: bool                     # appends its own opt-out mention when asked
    alphanumeric_sender: bool              # a name as sender
    balance: bool                          # tells the credit left
    sms_per_country: bool                  # counts that credit in SMS per country (its prices)
    idempotent_requests: bool              # refuses a request id twice (DuplicateRequest)
    parallel_requests: int = 1             # requests of one window sent at once
    ticket_per_request: bool = False       # one ticket for all the recipients of a request; else one each
    purposes: frozenset[int] = frozenset({MARKETING, TRANSACTIONAL})
    countries: frozenset[str] | None = None     # ISO codes it sends to; None: any
    restrictions: tuple[Restriction, ...] = ()
    product: str | None = None             # what the credit is counted in (Octopush: sms_premium)
    default_sender: str | None = None      # what goes out without a sender (ACS: ACS_SENDER)

    @property
    def by_country(self) -> bool:
        """Whether `refusal` depends on the number's country (else it is the same for every number)."""
        return self.countries is not None or bool(self.restrictions)

    def refusal(self, purpose: int, number: str, sender: str | None) -> Refusal | None:
        """Why an SMS of `purpose` to `number` from `sender` cannot be sent here, or None."""
        if int(purpose) not in self.purposes:
            return Refusal("provider_purpose_refused", {"purpose": int(purpose)})
        sender = sender or self.default_sender
        kind = sender_kind(sender)
        if kind is SenderKind.ALPHANUMERIC and not self.alphanumeric_sender:
            return Refusal("provider_alphanumeric_refused", {"sender": sender})
        if not self.by_country:                                  # the number is not read
            return None
        country = country_of(number)
        if self.countries is not None and country not in self.countries:
            return Refusal("provider_country_refused", {"country": country or "?"})
        for rule in self.restrictions:
            if rule.purpose == int(purpose) and country in rule.countries and rule.sender in (None, kind):
                return Refusal(rule.reason, {"country": country, "sender": sender or ""})
        return None
