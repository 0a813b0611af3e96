"""Octopush adapter (SMS API v1, https://api.octopush.com/v1/public): send, balance, cancel, and the
account's callback URLs.

API facts and their sources are in the shared reference note `reference/octopush.md`. Points it
marks unconfirmed are handled defensively: any 2xx is a success unless its body carries a `code`
other than 0, unknown error codes keep Octopush's own message, and 429/5xx (undocumented) are
treated as transient.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

from connector.http import RETRY_STATUSES as HTTP_RETRY_STATUSES
from connector.http import build_session, mask_url_secrets
from connector.sms.capabilities import Capabilities
from connector.sms.octopush_codes import ERROR_MESSAGES, MESSAGES
from connector.sms.port import (Balance, CallbackUrls, DuplicateRequest, ProviderError, Recipient,
                                RecipientResult, SendResult, SmsRequest, SmsType)
from connector.user_texts import said, say

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.octopush.com/v1/public"
MAX_RECIPIENTS = 500                                  # "campaign (up to 500 contacts)"
SMS_QUALITIES = ("sms_premium", "sms_low_cost")
# `purpose` is always sent: Octopush silently falls back to `wholesale` (marketing) otherwise.
PURPOSES = {SmsType.MARKETING: "wholesale", SmsType.TRANSACTIONAL: "alert"}
# The send carries `request_id`, which Octopush deduplicates, so POST may be retried too.
RETRY_METHODS = frozenset({"GET", "HEAD", "PATCH", "PUT", "DELETE", "POST"})
# For the same reason a 500 or 502 is tried again: one failing answer must not fail a unit SMS for good.
RETRY_STATUSES = (500, 502, *HTTP_RETRY_STATUSES)
DUPLICATE_CODE = 120
PARAMETERS, EDIT_PARAMETERS = "/user/campaign-parameters", "/user/campaign-parameters/edit"
# Our CallbackUrls field -> Octopush's names, the current first ([JAVA] model/Callback.java has the older).
CALLBACK_NAMES = {"deliveries": ("callback_url_for_deliveries", "callback_url_for_sms_deliveries"),
                  "inbounds": ("callback_url_for_inbounds",),
                  "opt_outs": ("callback_url_for_blacklisted_numbers",)}
# What Octopush v1 does (reference/octopush.md): 500 recipients and 7 placeholders per request,
# `send_at` and its cancel, replies, `request_id` deduplicated; the STOP mention must be in the text.
CAPABILITIES = Capabilities(recipients_per_request=MAX_RECIPIENTS, placeholders=True, scheduling=True, cancel=True,
                            replies=True, stop_mention=False, alphanumeric_sender=True, balance=True,
                            sms_per_country=True, idempotent_requests=True,
                            ticket_per_request=True)


class OctopushClient:
    """The Octopush implementation of the `SmsProvider` port."""

    name, label = "octopush", "Octopush"

    def __init__(self, api_login: str, api_key: str, *, base_url: str = DEFAULT_BASE_URL,
                 timeout: float = 20, session: requests.Session | None = None,
                 sms_quality: str = "sms_premium"):
        if sms_quality not in SMS_QUALITIES:
            raise ValueError(f"sms_quality must be one of {', '.join(SMS_QUALITIES)}, "
                             f"not {sms_quality!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.sms_quality = sms_quality
        self.capabilities = replace(CAPABILITIES, product=sms_quality)
        self.session = session if session is not None else build_session(methods=RETRY_METHODS,
                                                                             statuses=RETRY_STATUSES)
        self._api_key = api_key
        self._headers = {"api-login": api_login, "api-key": api_key,
                         "Content-Type": "application/json", "cache-control": "no-cache"}

    def __repr__(self) -> str:   # never show the key
        login = self._headers["api-login"]
        return f"OctopushClient(base_url={self.base_url!r}, api_login={login!r})"

    # -- operations -------------------------------------------------------------------------------
    def send(self, request: SmsRequest) -> SendResult:
        count = len(request.recipients)
        if not 1 <= count <= MAX_RECIPIENTS:
            raise ValueError(f"an Octopush send takes 1 to {MAX_RECIPIENTS} recipients, "
                             f"not {count}")
        if not request.request_id:
            raise ValueError("an Octopush send needs a request_id (it makes retries safe)")
        body: dict[str, Any] = {
            "recipients": [_recipient(r) for r in request.recipients],
            "text": request.text,
            "type": self.sms_quality,
            "purpose": PURPOSES[SmsType(request.sms_type)],
            "request_id": request.request_id,
            "with_replies": request.with_replies,
            "auto_optimize_text": False,     # what we counted (encoding, segments) is what is sent
        }
        if request.sender:
            body["sender"] = request.sender
        if request.send_at is not None:
            body["send_at"] = _iso(request.send_at)
        data, status = self._call("POST", "/sms-campaign/send", json=body, what="send")
        ticket = data.get("sms_ticket")
        if not ticket:
            raise ProviderError.said(said("provider_error_no_reference", provider=self.label, field="sms_ticket"),
                                     http_status=status)
        log.info("Octopush send %s accepted: ticket %s, %s recipient(s)",
                 request.request_id, ticket, count)
        # One ticket for the request: every recipient accepted under it (Octopush refuses whole requests).
        return SendResult(ticket=str(ticket),
                          recipients=_number(data.get("number_of_contacts"), int) or count,
                          cost=_number(data.get("total_cost"), float),
                          sms_needed=_number(data.get("number_of_sms_needed"), int),
                          residual_credit=_number(data.get("residual_credit"), float),
                          results=tuple(RecipientResult(r.phone_number, True, str(ticket))
                                        for r in request.recipients))

    def balance(self, *, country_code: str | None = None, product_name: str | None = None,
                with_details: bool = False) -> Balance:
        """Credit left, in euros or in SMS of `product_name` for `country_code` (both or none)."""
        if (country_code is None) != (product_name is None):
            raise ValueError("give both country_code and product_name, or neither")
        params: dict[str, str] = {}
        if country_code is not None:
            params |= {"country_code": country_code, "product_name": str(product_name)}
        if with_details:
            params["with_details"] = "true"
        data, status = self._call("GET", "/wallet/check-balance", params=params,
                                  what="balance check")
        amount = _number(data.get("amount"), float)
        if amount is None:
            raise ProviderError.said(said("provider_error_no_amount", provider=self.label), http_status=status)
        packs = [{**pack, "id": pack.get("wallet_pack_id", pack.get("id"))}
                 for pack in data.get("wallet_packs") or [] if isinstance(pack, dict)]
        unit = str(data.get("unit") or product_name or "euros")
        return Balance(amount=amount, unit=unit, details=packs)

    def sms_left(self, country_code: str = "FR") -> int:
        """The credit counted in SMS of our quality to that country (one wallet read): what the
        configuration page and the preview show, and with the euro balance, the country's price."""
        return int(self.balance(country_code=country_code, product_name=self.sms_quality).amount)

    def unit_price(self, country_code: str = "FR") -> float | None:
        """Euros per SMS of our quality to that country, from the two documented balance answers
        (euros, and the same credit counted in SMS); None when the account cannot tell."""
        euros = self.balance().amount
        count = self.balance(country_code=country_code, product_name=self.sms_quality).amount
        return round(euros / count, 6) if euros > 0 and count > 0 else None

    def cancel(self, ticket: str) -> None:
        """Cancels a scheduled send (Octopush: only more than 10 minutes before it starts)."""
        self._call("DELETE", "/sms-campaign/cancel", json={"ticket_number": ticket},
                   what=f"cancel of {ticket}")
        log.info("Octopush send %s cancelled", ticket)

    def set_callbacks(self, deliveries_url: str, inbounds_url: str, blacklist_url: str) -> None:
        """Registers the account's callback URLs (delivery reports, inbound SMS, STOP opt-outs)."""
        urls = CallbackUrls(deliveries_url, inbounds_url, blacklist_url)
        body = {"callbacks": {names[0]: getattr(urls, field) for field, names in CALLBACK_NAMES.items()}}
        # The URLs carry our key: they are never logged, and `what` names no URL.
        self._call("PATCH", EDIT_PARAMETERS, json=body, what="callback registration")
        log.info("Octopush callback URLs registered")

    def callbacks(self) -> CallbackUrls:
        """The callback URLs the account holds (None where none is set)."""
        data, _ = self._call("GET", PARAMETERS, what="campaign parameters read")
        section = data.get("callbacks")
        section = section if isinstance(section, dict) else data

        def url(names: tuple[str, ...]) -> str | None:
            found = next((section[n] for n in names if isinstance(section.get(n), str) and section[n].strip()), None)
            return found.strip() if found else None

        return CallbackUrls(**{field: url(names) for field, names in CALLBACK_NAMES.items()})

    # -- HTTP -------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, what: str, json: Any = None,
              params: dict | None = None) -> tuple[dict, int]:
        try:
            response = self.session.request(method, self.base_url + path, json=json,
                                            params=params or None, headers=self._headers,
                                            timeout=self.timeout)
        except requests.RequestException as exc:
            # No exception chain: the original holds the request, headers (api-key) included.
            raise self._transport_error(exc, what) from None
        status = response.status_code
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        code = _number(data.get("code"), int)
        if 200 <= status < 300 and not code:
            return data, status
        raise self._answer_error(status, code, data, response, what)

    def _answer_error(self, status: int, code: int | None, data: dict, response: requests.Response,
                      what: str) -> ProviderError:
        theirs = self._scrub(str(data.get("message") or "").strip() or (response.text or "").strip()[:200])
        if code in ERROR_MESSAGES:
            texts = {lang: say(lang, "provider_error_code", text=MESSAGES[lang][code], provider=self.label, code=code)
                     for lang in MESSAGES}
        elif code:
            texts = said("provider_error_other_code", provider=self.label, code=code, quote=theirs)
        elif status == 401:
            texts = {lang: f"{MESSAGES[lang][101]} (HTTP 401)" for lang in MESSAGES}
        elif status == 429:
            texts = said("provider_error_throttled", provider=self.label)
        elif status >= 500:
            texts = said("provider_error_down", provider=self.label, status=status)
        else:
            texts = said("provider_error_http", provider=self.label, status=status, quote=theirs)
        log.warning("Octopush %s failed: HTTP %s, code %s, %s", what, status, code, theirs)
        kind = DuplicateRequest if code == DUPLICATE_CODE else ProviderError
        return kind.said(texts, code=code, http_status=status, retryable=status == 429 or status >= 500)

    def _transport_error(self, exc: requests.RequestException, what: str) -> ProviderError:
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        # A read time-out whose retry also timed out arrives as a ConnectionError wrapping it;
        # urllib3's NewConnectionError (refused, DNS) subclasses ConnectTimeoutError: no time-out.
        timed_out = (isinstance(reason, (ReadTimeoutError, ConnectTimeoutError))
                     and not isinstance(reason, NewConnectionError))
        if isinstance(exc, requests.Timeout) or timed_out:
            texts = said("provider_error_timeout", provider=self.label, seconds=self.timeout)
        else:
            texts = said("provider_error_unreachable", provider=self.label,
                         host=self._scrub(urlsplit(self.base_url).netloc), quote=type(reason or exc).__name__)
        log.warning("Octopush %s: %s", what, texts["en"])
        return ProviderError.said(texts, retryable=True)

    def _scrub(self, text: str) -> str:
        """Without our API key, nor the secrets of a callback URL an answer might quote back."""
        text = mask_url_secrets(text)
        return text.replace(self._api_key, "***") if self._api_key else text


def _recipient(recipient: Recipient) -> dict[str, str]:
    """`phone_number` plus the values of the text's placeholders (`{first_name}`, `{param1}`...)."""
    return {"phone_number": recipient.phone_number, **recipient.slots()}


def _iso(moment: datetime) -> str:
    """ISO 8601 with offset, e.g. 2018-10-03T07:42:39-07:00 (Octopush reads naive as Paris)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("send_at must be timezone-aware")
    return moment.isoformat(timespec="seconds")


def _number(value: Any, kind: type) -> Any:
    try:
        return None if value is None or value == "" else kind(value)
    except (TypeError, ValueError):
        return None
