"""The SMS provider port: what the core needs from an SMS gateway, whichever it is (Octopush, smsmode,
Azure Communication Services), and what each can do (`Capabilities`), which the services consult
instead of the provider's name or the methods it happens to have."""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from connector.errors import UpstreamError
from connector.sms.capabilities import Capabilities


class SmsType(enum.IntEnum):
    """Values of the CRM choice `smsc_smstype`."""
    MARKETING = 1
    TRANSACTIONAL = 2


# Per-recipient values a provider merges into `{first_name}`, `{last_name}`, `{param1}`..`{param5}`.
LONGEST_TEXT = 1224     # the longest SMS text the provider takes (Octopush, reference/octopush.md)
MERGE_SLOTS = ("first_name", "last_name", "param1", "param2", "param3", "param4", "param5")


@dataclass(frozen=True)
class Recipient:
    phone_number: str                 # E.164, e.g. +33600000001
    first_name: str | None = None
    last_name: str | None = None
    params: tuple[str, ...] = ()      # values of {param1}.. in order

    @classmethod
    def merged(cls, phone_number: str, values: dict[str, str]) -> "Recipient":
        params = tuple(values.get(f"param{i}", "") for i in range(1, 6))
        while params and not params[-1]:
            params = params[:-1]
        return cls(phone_number, values.get("first_name"), values.get("last_name"), params)

    def slots(self) -> dict[str, str]:
        values = {"first_name": self.first_name, "last_name": self.last_name}
        values |= {f"param{i}": v for i, v in enumerate(self.params, start=1)}
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class SmsRequest:
    recipients: tuple[Recipient, ...]
    text: str
    sms_type: SmsType
    request_id: str                   # idempotency key: the provider refuses a second send with it
    sender: str | None = None
    send_at: datetime | None = None   # timezone-aware; None = now
    with_replies: bool = False        # recipients may answer (decided by connector.send_policy.replies_wanted)


@dataclass(frozen=True)
class RecipientResult:
    """What became of one recipient of a send: accepted with the provider's id for it (or for the
    whole request when the provider gives one id per request), or refused with the provider's reason."""
    number: str
    accepted: bool
    provider_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class SendResult:
    """A send the provider took (at least one recipient accepted: a send refused for everyone raises
    ProviderError). `ticket`: the request's reference, or its first recipient's id where the provider
    gives one per recipient; `results`: one per recipient, in the request's order."""
    ticket: str                       # provider reference of the send
    recipients: int
    cost: float | None = None
    sms_needed: int | None = None
    residual_credit: float | None = None
    results: tuple[RecipientResult, ...] = ()

    def result_of(self, number: str) -> RecipientResult:
        """The recipient's outcome; accepted under the ticket when the provider gave none per recipient."""
        return next((r for r in self.results if r.number == number), RecipientResult(number, True, self.ticket))

    @property
    def refused(self) -> tuple[RecipientResult, ...]:
        return tuple(r for r in self.results if not r.accepted)


@dataclass(frozen=True)
class Balance:
    amount: float
    unit: str                         # "euros", or a product name when asked per product
    details: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class CallbackUrls:
    """Where the provider posts back (account-level settings): delivery reports, inbound SMS, opt-outs."""
    deliveries: str | None = None
    inbounds: str | None = None
    opt_outs: str | None = None


class ProviderError(UpstreamError):
    """The provider refused or failed. `code` is the provider's own code when it gave one."""
    error_code, answer_status = "provider_error", 502

    def __init__(self, message: str, *, code: int | None = None, http_status: int | None = None,
                 retryable: bool = False, key_refused: str | None = None, texts: Mapping[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.retryable = retryable
        self.key_refused = key_refused      # "<provider>|<settings>" when the provider refused our key
        self.texts = dict(texts or {})      # the message per language (connector.user_texts.said)

    @classmethod
    def said(cls, texts: Mapping[str, str], **kw: Any) -> ProviderError:
        """The error whose message is `texts`, by language (English in logs)."""
        return cls(texts["en"], texts=texts, **kw)

    def say(self, lang: str) -> str:
        """The message in `lang` (English when the adapter gave only that)."""
        return self.texts.get(lang) or str(self)


class DuplicateRequest(ProviderError):
    """The provider already accepted a send with this request id (so it must not be sent again)."""


class Unsupported(ProviderError):
    """The provider has no such operation (its capabilities say so: ask them first)."""
    error_code, answer_status = "provider_unsupported", 501


class SmsProvider(Protocol):
    """An SMS gateway adapter. Operations its `capabilities` rule out raise Unsupported."""
    name: str                         # the route's `{provider}` and SMS_PROVIDER value
    label: str                        # how users read it ("Octopush", "smsmode", ...)
    capabilities: Capabilities

    def send(self, request: SmsRequest) -> SendResult: ...

    def balance(self) -> Balance: ...

    def cancel(self, ticket: str) -> None: ...

    def sms_left(self, country_code: str) -> int | None:
        """The credit counted in SMS to that country (capabilities.sms_per_country)."""
        ...


class CallbackRegistry(Protocol):
    """A provider whose account holds the URLs it posts back to (`smsc provider callbacks`)."""
    name: str

    def set_callbacks(self, deliveries_url: str, inbounds_url: str, blacklist_url: str) -> None: ...

    def callbacks(self) -> CallbackUrls: ...
