"""Azure Communication Services adapter (SMS REST API `POST {endpoint}/sms?api-version=2021-03-07`).
Facts and sources: the shared reference note `reference/azure-communication-sms.md`.

- Up to 100 recipients per request, one text (no placeholders); HTTP 202 with one item per recipient
  (`successful`, `messageId`, `httpStatusCode`, `errorMessage`): partial failure is normal.
- Each recipient carries `repeatabilityRequestId` (ours: a UUID derived from our request id and the
  number, never the SDK's fresh one) and `repeatabilityFirstSent` (RFC 1123), in the body as the
  2021-03-07 `SmsRecipient` has them. The HTTP session's own retries of one call repeat the same
  body, hence the same id: safe. How long ACS remembers an id is unconfirmed, so across calls the
  campaign send ledger decides (capabilities: no idempotent requests).
- Authentication: HMAC-SHA256 with the access key of a connection string (x-ms-date,
  x-ms-content-sha256, Authorization), or an Entra ID bearer token from the managed identity for
  `https://communication.azure.com//.default`.
- No scheduling, no cancel, no balance; alphanumeric senders are one-way, and France takes them for
  transactional SMS only: a marketing SMS to a French number from one is refused by the capabilities
  before anything is sent (connector.sms.capabilities).
- Delivery reports and inbound SMS arrive as Event Grid events (connector.sms.acs_events).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from connector.http import build_session, mask_url_secrets
from connector.sms.capabilities import MARKETING, Capabilities, Restriction, SenderKind
from connector.sms.port import (Balance, CallbackUrls, ProviderError, RecipientResult, SendResult, SmsRequest,
                                Unsupported)
from connector.user_texts import said

log = logging.getLogger(__name__)

API_VERSION = "2021-03-07"
MAX_RECIPIENTS = 100
LONGEST_TEXT = 2048
SCOPE = "https://communication.azure.com//.default"
# POST too: every recipient carries its repeatability id, so a retried call is not sent twice.
RETRY_METHODS = frozenset({"GET", "HEAD", "POST"})
AUTH_STATUSES = (401, 403)
EVENT_GRID_HINT = ("Azure Communication Services reports through Event Grid: subscribe the resource's "
                   "SMSDeliveryReportReceived and SMSReceived events to https://<app>/api/providers/acs/events"
                   "?key=<SMSC_WEBHOOK_KEY> (the app answers the validation handshake)")
FRANCE_MARKETING_ALPHANUMERIC = Restriction(MARKETING, frozenset({"FR"}), SenderKind.ALPHANUMERIC,
                                            "provider_fr_marketing_alphanumeric")


def capabilities(default_sender: str | None = None) -> Capabilities:
    return Capabilities(recipients_per_request=MAX_RECIPIENTS, placeholders=False, scheduling=False, cancel=False,
                        replies=True, stop_mention=False, alphanumeric_sender=True, balance=False,
                        sms_per_country=False, idempotent_requests=False, ticket_per_request=False,
                        restrictions=(FRANCE_MARKETING_ALPHANUMERIC,), default_sender=default_sender)


def parse_connection_string(connection: str) -> tuple[str, str]:
    """(endpoint, access key) of `endpoint=https://…/;accesskey=…`; ValueError naming no secret."""
    parts = {k.strip().lower(): v.strip() for k, v in
             (part.split("=", 1) for part in connection.split(";") if "=" in part)}
    endpoint, key = parts.get("endpoint", ""), parts.get("accesskey", "")
    if not endpoint.startswith(("https://", "http://")) or not key:
        raise ValueError("ACS_CONNECTION_STRING must read endpoint=https://<resource>.communication.azure.com/;"
                         "accesskey=<base64 key>")
    return endpoint.rstrip("/"), key


def repeatability_id(request_id: str, number: str) -> str:
    """Ours, stable for one recipient of one request: the same on every try of that request."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"smsc:{request_id}:{number}"))


class AcsClient:
    """The Azure Communication Services implementation of the `SmsProvider` port."""

    name, label = "acs", "Azure Communication Services"

    def __init__(self, endpoint: str, *, access_key: str | None = None, token: Callable[[], str] | None = None,
                 sender: str | None = None, timeout: float = 20, session: requests.Session | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        if (access_key is None) == (token is None):
            raise ValueError("give an access key (connection string) or a token source (managed identity)")
        self.endpoint = endpoint.rstrip("/")
        self.sender = sender
        self.timeout = timeout
        self.session = session if session is not None else build_session(methods=RETRY_METHODS)
        self.capabilities = capabilities(sender)
        self.clock = clock
        self._key = base64.b64decode(access_key) if access_key is not None else None
        self._secret = access_key or ""
        self._token = token

    def __repr__(self) -> str:   # never show the key
        return f"AcsClient(endpoint={self.endpoint!r})"

    # -- operations -------------------------------------------------------------------------------
    def send(self, request: SmsRequest) -> SendResult:
        count = len(request.recipients)
        if not 1 <= count <= MAX_RECIPIENTS:
            raise ValueError(f"an ACS send takes 1 to {MAX_RECIPIENTS} recipients, not {count}")
        if request.send_at is not None:
            raise ValueError("ACS cannot schedule: the connector holds schedules itself")
        sender = request.sender or self.sender
        if not sender:
            raise ProviderError.said(said("provider_error_no_sender", provider=self.label, setting="ACS_SENDER"))
        first_sent = format_datetime(self.clock().astimezone(timezone.utc), usegmt=True)
        body = {"from": sender,
                "smsRecipients": [{"to": r.phone_number,
                                   "repeatabilityRequestId": repeatability_id(request.request_id, r.phone_number),
                                   "repeatabilityFirstSent": first_sent} for r in request.recipients],
                "message": request.text,
                "smsSendOptions": {"enableDeliveryReport": True, "tag": request.request_id[:100]}}
        data = self._post(body)
        items = {str(i.get("to")): i for i in data.get("value") or [] if isinstance(i, dict)}
        results = []
        for recipient in request.recipients:
            item = items.get(recipient.phone_number, {})
            if item.get("successful") is True and item.get("messageId"):
                results.append(RecipientResult(recipient.phone_number, True, str(item["messageId"])))
            else:
                reason = str(item.get("errorMessage") or "no answer for this recipient")
                results.append(RecipientResult(recipient.phone_number, False,
                                               reason=f"HTTP {item.get('httpStatusCode', '?')}: {reason}"))
        accepted = [r for r in results if r.accepted]
        if not accepted:
            transient = all(int(items.get(r.number, {}).get("httpStatusCode") or 0) in (429, 500, 503)
                            for r in results)
            first = items.get(results[0].number, {})
            raise ProviderError.said(said("provider_error_recipient", status=first.get("httpStatusCode", "?"),
                                          quote=str(first.get("errorMessage") or "")),
                                     http_status=202, retryable=transient)
        log.info("ACS send %s: %s of %s recipient(s) accepted", request.request_id, len(accepted), count)
        return SendResult(ticket=str(accepted[0].provider_id), recipients=len(accepted), results=tuple(results))

    def balance(self) -> Balance:
        raise Unsupported("Azure Communication Services has no balance: usage is billed on the Azure subscription")

    def sms_left(self, country_code: str) -> int | None:
        raise Unsupported("Azure Communication Services has no balance")

    def cancel(self, ticket: str) -> None:
        raise Unsupported("Azure Communication Services cannot cancel a send")

    def callbacks(self) -> CallbackUrls:
        raise Unsupported(EVENT_GRID_HINT)

    def set_callbacks(self, deliveries_url: str, inbounds_url: str, blacklist_url: str) -> None:
        raise Unsupported(EVENT_GRID_HINT)

    # -- HTTP -------------------------------------------------------------------------------------
    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.endpoint}/sms?api-version={API_VERSION}"
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            response = self.session.post(url, data=content, headers=self._headers("POST", url, content),
                                         timeout=self.timeout)
        except requests.Timeout:
            raise ProviderError.said(said("provider_error_timeout", provider=self.label, seconds=self.timeout),
                                     retryable=True) from None
        except requests.RequestException as exc:    # no chain: it holds the request, Authorization included
            raise ProviderError.said(said("provider_error_unreachable", provider=self.label,
                                          host=urlsplit(self.endpoint).netloc, quote=type(exc).__name__),
                                     retryable=True) from None
        status = response.status_code
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        if status == 202:
            return data
        theirs = self._scrub(str((data.get("error") or {}).get("message") if isinstance(data.get("error"), dict)
                                 else data.get("message") or data.get("title") or "").strip()
                             or (response.text or "")[:200])
        log.warning("ACS send failed: HTTP %s, %s", status, theirs)
        if status in AUTH_STATUSES:
            raise ProviderError(f"ACS refused our credentials (HTTP {status})", http_status=status,
                                key_refused="Azure Communication Services|ACS_CONNECTION_STRING / ACS_ENDPOINT")
        retryable = status == 429 or status >= 500
        raise ProviderError.said(said("provider_error_http", provider=self.label, status=status, quote=theirs),
                                 http_status=status, retryable=retryable)

    def _headers(self, method: str, url: str, content: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._token is not None:
            return headers | {"Authorization": f"Bearer {self._token()}"}
        assert self._key is not None
        parts = urlsplit(url)
        date = format_datetime(datetime.now(timezone.utc), usegmt=True)
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        to_sign = f"{method}\n{parts.path}?{parts.query}\n{date};{parts.netloc};{digest}"
        signature = base64.b64encode(hmac.new(self._key, to_sign.encode(), hashlib.sha256).digest()).decode()
        return headers | {"x-ms-date": date, "x-ms-content-sha256": digest,
                          "Authorization": f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256"
                                           f"&Signature={signature}"}

    def _scrub(self, text: str) -> str:
        text = mask_url_secrets(text)
        return text.replace(self._secret, "***") if self._secret else text

