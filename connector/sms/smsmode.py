"""smsmode adapter (REST `sms/v1`, https://rest.smsmode.com, header `X-Api-Key`): send, and the
per-message callback URLs. Facts and sources: the shared reference note `reference/smsmode.md`.

- One recipient per `POST sms/v1/messages` (no placeholders: the connector sends each merged text);
  a request of several recipients becomes that many calls, at most `parallel` at once, each with its
  own result (`messageId` per recipient).
- `refClient` carries our idempotency key (the request id, suffixed by the recipient's position when
  there are several). smsmode deduplicates nothing: the campaign send ledger is the only protection
  against a resend, so POST is never retried here (a time-out may have sent).
- `body.stop: true` when asked (SMSMODE_STOP_MENTION): smsmode appends its own opt-out mention to
  marketing SMS.
- Success is HTTP 201 only; 401/403 refuse the key (the whole send fails), 429/5xx and transport
  failures are transient, any other 4xx refuses that recipient with smsmode's message.
- The marketing/transactional route is the channel's (the key's), not the message's: `sms_type`
  is not sent. No balance (REST credit endpoint unconfirmed), no cancel through this adapter.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import requests

from connector.http import build_session, mask_url_secrets
from connector.sms.capabilities import Capabilities
from connector.sms.port import (Balance, CallbackUrls, ProviderError, RecipientResult, SendResult, SmsRequest,
                                SmsType, Unsupported)
from connector.user_texts import said

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://rest.smsmode.com"
SEND_PATH = "/sms/v1/messages"
LONGEST_REFERENCE = 140          # refClient (reference/smsmode.md)
LONGEST_CALLBACK_URL = 255
# GET/HEAD only: a POST that timed out may have been sent, and smsmode would send it again.
RETRY_METHODS = frozenset({"GET", "HEAD"})
AUTH_STATUSES = (401, 403)


def capabilities(*, stop_mention: bool = False, parallel: int = 4) -> Capabilities:
    # smsmode takes a `sentDate`, but cancelling it is unconfirmed (reference/smsmode.md): this adapter sends
    # none (the connector holds schedules itself, cancellable until they go), so it says it does not schedule.
    return Capabilities(recipients_per_request=1, placeholders=False, scheduling=False, cancel=False, replies=True,
                        stop_mention=stop_mention, alphanumeric_sender=True, balance=False, sms_per_country=False,
                        idempotent_requests=False, parallel_requests=parallel,
                        ticket_per_request=False)


class SmsmodeClient:
    """The smsmode implementation of the `SmsProvider` port."""

    name, label = "smsmode", "smsmode"

    def __init__(self, api_key: str, *, base_url: str = DEFAULT_BASE_URL, timeout: float = 20,
                 session: requests.Session | None = None, stop_mention: bool = False, parallel: int = 4,
                 callback_urls: CallbackUrls | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session if session is not None else build_session(methods=RETRY_METHODS)
        self.stop_mention = stop_mention
        self.capabilities = capabilities(stop_mention=stop_mention, parallel=parallel)
        self.callback_urls = callback_urls or CallbackUrls()
        self._api_key = api_key
        self._headers = {"X-Api-Key": api_key, "Accept": "application/json", "Content-Type": "application/json"}

    def __repr__(self) -> str:   # never show the key
        return f"SmsmodeClient(base_url={self.base_url!r})"

    # -- operations -------------------------------------------------------------------------------
    def send(self, request: SmsRequest) -> SendResult:
        """One call per recipient (bounded parallelism); raises when none was accepted."""
        if not request.recipients:
            raise ValueError("an smsmode send takes at least one recipient")
        if not request.request_id:
            raise ValueError("an smsmode send needs a request_id (carried as refClient)")
        if request.send_at is not None:
            raise ValueError("schedules are held by the connector, not sent as sentDate")
        count = len(request.recipients)
        bodies = [self._body(request, n, r.phone_number) for n, r in enumerate(request.recipients)]
        if count == 1:
            outcomes = [self._send_one(bodies[0])]
        else:
            with ThreadPoolExecutor(max_workers=min(self.capabilities.parallel_requests, count)) as pool:
                outcomes = list(pool.map(self._send_one, bodies))
        results = tuple(RecipientResult(r.phone_number, isinstance(o, str), o if isinstance(o, str) else None,
                                        None if isinstance(o, str) else str(o))
                        for r, o in zip(request.recipients, outcomes, strict=True))
        errors = [o for o in outcomes if isinstance(o, ProviderError)]
        accepted = [r for r in results if r.accepted]
        if not accepted:
            raise errors[0]
        log.info("smsmode send %s: %s of %s recipient(s) accepted", request.request_id, len(accepted), count)
        return SendResult(ticket=str(accepted[0].provider_id), recipients=len(accepted), results=results)

    def balance(self) -> Balance:
        raise Unsupported("smsmode tells no credit balance through its REST API")

    def sms_left(self, country_code: str) -> int | None:
        raise Unsupported("smsmode tells no credit balance through its REST API")

    def cancel(self, ticket: str) -> None:
        raise Unsupported("the connector holds schedules itself: nothing scheduled at smsmode to cancel")

    def callbacks(self) -> CallbackUrls:
        """The URLs each message names (callbackUrlStatus, callbackUrlMo; from SMSC_PUBLIC_URL)."""
        return self.callback_urls

    def set_callbacks(self, deliveries_url: str, inbounds_url: str, blacklist_url: str) -> None:
        raise Unsupported("smsmode takes its callback URLs with each message: set SMSC_PUBLIC_URL to the "
                          "function app's address (or set the channel's defaults in the smsmode dashboard)")

    # -- HTTP -------------------------------------------------------------------------------------
    def _body(self, request: SmsRequest, position: int, number: str) -> dict[str, Any]:
        reference = request.request_id if len(request.recipients) == 1 else f"{request.request_id}-{position}"
        if len(reference) > LONGEST_REFERENCE:
            raise ValueError(f"an smsmode refClient is at most {LONGEST_REFERENCE} characters")
        text: dict[str, Any] = {"text": request.text}
        if self.stop_mention and SmsType(request.sms_type) == SmsType.MARKETING:
            text["stop"] = True
        body: dict[str, Any] = {"recipient": {"to": number.lstrip("+")}, "body": text, "refClient": reference}
        if request.sender:
            body["from"] = request.sender
        urls = self.callback_urls
        if urls.deliveries and len(urls.deliveries) <= LONGEST_CALLBACK_URL:
            body["callbackUrlStatus"] = urls.deliveries
        if urls.inbounds and len(urls.inbounds) <= LONGEST_CALLBACK_URL:
            body["callbackUrlMo"] = urls.inbounds
        return body

    def _send_one(self, body: dict[str, Any]) -> str | ProviderError:
        """The message's id, or the refusal of that recipient; raises what refuses the whole send."""
        try:
            response = self.session.post(self.base_url + SEND_PATH, json=body, headers=self._headers,
                                         timeout=self.timeout)
        except requests.Timeout:
            raise self._logged(ProviderError.said(said("provider_error_timeout", provider=self.label,
                                                       seconds=self.timeout), retryable=True)) from None
        except requests.RequestException as exc:    # no chain: it holds the request, X-Api-Key included
            raise self._logged(ProviderError.said(said("provider_error_unreachable", provider=self.label,
                                                       host=self._scrub(urlsplit(self.base_url).netloc),
                                                       quote=type(exc).__name__), retryable=True)) from None
        status = response.status_code
        data = _json(response)
        if status == 201 and data.get("messageId"):
            return str(data["messageId"])
        theirs = self._scrub(" ".join(str(data.get(k) or "") for k in ("message", "detail")).strip()
                             or (response.text or "").strip()[:200])
        if status == 201:
            raise self._logged(ProviderError.said(said("provider_error_no_reference", provider=self.label,
                                                       field="messageId"), http_status=status))
        if status in AUTH_STATUSES:
            raise self._logged(ProviderError(f"smsmode refused the API key (HTTP {status}; setting SMSMODE_API_KEY)",
                                             http_status=status, key_refused="smsmode|SMSMODE_API_KEY"))
        if status == 429 or status >= 500:
            texts = said("provider_error_throttled" if status == 429 else "provider_error_down", provider=self.label,
                         status=status)
            raise self._logged(ProviderError.said(texts, http_status=status, retryable=True))
        log.warning("smsmode refused a recipient: HTTP %s, %s", status, theirs)
        return ProviderError.said(said("provider_error_http", provider=self.label, status=status, quote=theirs),
                                  http_status=status)

    def _logged(self, error: ProviderError) -> ProviderError:
        log.warning("smsmode send failed: %s", error)
        return error

    def _scrub(self, text: str) -> str:
        text = mask_url_secrets(text)
        return text.replace(self._api_key, "***") if self._api_key else text


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json() if response.content else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
