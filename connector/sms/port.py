"""The SMS provider port: what the core needs from an SMS gateway (Octopush is the real adapter)."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class SmsType(enum.IntEnum):
    """Values of the CRM choice `smsc_smstype`."""
    MARKETING = 1
    TRANSACTIONAL = 2


@dataclass(frozen=True)
class Recipient:
    phone_number: str                 # E.164, e.g. +33600000001
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True)
class SmsRequest:
    recipients: tuple[Recipient, ...]
    text: str
    sms_type: SmsType
    request_id: str                   # idempotency key: the provider refuses a second send with it
    sender: str | None = None
    send_at: datetime | None = None   # timezone-aware; None = now


@dataclass(frozen=True)
class SendResult:
    ticket: str                       # provider reference of the send (one per request)
    recipients: int
    cost: float | None = None
    sms_needed: int | None = None
    residual_credit: float | None = None


@dataclass(frozen=True)
class Balance:
    amount: float
    unit: str                         # "euros", or a product name when asked per product
    details: list[dict] = field(default_factory=list)


class ProviderError(Exception):
    """The provider refused or failed. `code` is the provider's own code when it gave one."""

    def __init__(self, message: str, *, code: int | None = None, http_status: int | None = None,
                 retryable: bool = False):
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.retryable = retryable


class DuplicateRequest(ProviderError):
    """The provider already accepted a send with this request id (so it must not be sent again)."""


class SmsProvider(Protocol):
    name: str

    def send(self, request: SmsRequest) -> SendResult: ...

    def balance(self) -> Balance: ...
