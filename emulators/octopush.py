"""Octopush API v1 emulator: the endpoints the connector uses, with the checks the real API makes.

Serves, under `/v1/public`: `POST /sms-campaign/send`, `DELETE /sms-campaign/cancel`,
`GET /wallet/check-balance`, `GET /wallet/check-credits` (prices per country: emulators.octopush_prices),
`PATCH /user/campaign-parameters/edit` and `GET /user/campaign-parameters`
(see `reference/octopush.md`). Error bodies are Octopush-shaped
(`{"code": 121, "message": "..."}`). Where the real behaviour is unconfirmed the emulator picks the
plausible, lenient reading and says so: success is HTTP 200; numbers it cannot read are dropped (117
only when none is left); an unreadable `send_at` is ignored (sent now), a naive one is Paris time;
`request_id` is remembered for accepted sends only; a cancel gives the credit back. SMS parts and
cost are counted by emulators.octopush_text, the emulator's own reading of the GSM alphabet.

After each accepted send it posts delivery reports, and the replies the outcomes ask for, to the
callback URLs registered with `campaign-parameters/edit` (emulators.octopush_callbacks). Its control
routes, beside the shared `/_emulator/faults` and `/_emulator/requests`:
- `POST /_emulator/outcomes` what the next sends produce (`Outcomes.parse`), `GET` shows it, `DELETE` resets;
- `POST /_emulator/inbound` `{"number", "text", "message_id"?}`: an SMS from a phone (STOP: also the opt-out);
- `POST /_emulator/callbacks/flush`: posts every pending callback now and answers the attempts;
- `GET /_emulator/callbacks`: the registered URLs (keys masked), pending callbacks, every attempt with its
  answer's status, and the replies that could not reach the inbound URL.
"""
from __future__ import annotations

import json
import re
import secrets
import threading
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

from emulators.octopush_callbacks import (
    CALLBACK_FIELDS, BadControl, CallbackProducer, Outbox, Outcomes, Poster, check_callback_urls, masked,
    outcomes_control,
)
from emulators.octopush_prices import PriceList
from emulators.octopush_text import sms_needed as parts_of, total_sms_needed
from emulators.server import Emulator

PREFIX = "/v1/public"
PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
SENDER = re.compile(r"^[A-Za-z0-9]{3,11}$")
STOP_MENTION = re.compile(r"STOP au \d{5}")
STOP_MISSING = "STOP mention ([STOP au 30101]) is missing from your text."   # as seen from v1
CANCEL_NOTICE = timedelta(minutes=10)      # "scheduled more than 10 min ahead"
PARIS = ZoneInfo("Europe/Paris")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(status: int, code: int | None, message: str) -> Response:
    body = {"code": code, "message": message} if code is not None else {"message": message}
    return _json(body, status)


def _parse_send_at(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None                 # the real API silently ignores what it cannot fix
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def personalised(text: str, recipient: dict) -> str:
    """The text one recipient receives: `{first_name}`, `{last_name}`, `{param1}`..`{param5}` merged
    (values cut at 50 characters, Octopush's limit)."""
    for slot in ("first_name", "last_name", "param1", "param2", "param3", "param4", "param5"):
        text = text.replace("{" + slot + "}", str(recipient.get(slot) or "")[:50])
    return text


class OctopushEmulator(Emulator):
    """Keeps a euro credit, charges each recipient's SMS parts at `price_per_sms`, or with `prices`
    (country -> premium, low-cost euros; emulators.octopush_prices.PRICES) at their country's price;
    records sends."""

    def __init__(self, api_login: str = "demo@example.com", api_key: str = "demo-api-key", *,
                 credit: float = 100.0, price_per_sms: float = 0.045,
                 prices: dict[str, tuple[float, float]] | None = None):
        super().__init__()
        self.api_login = api_login
        self.api_key = api_key
        self.credit = credit
        self.price_per_sms = price_per_sms
        self.prices = PriceList(price_per_sms, prices)     # flat, or per country and product (octopush_prices)
        # Accepted sends: ticket, body, received_at, send_at, status, numbers, sms_needed, cost.
        self.sends: list[dict] = []
        self.lock = threading.RLock()
        self._request_ids: set[str] = set()
        self.callbacks = CallbackProducer()
        self.outbox = Outbox()
        self.unanswerable: list[dict] = []      # replies to a send without with_replies
        self.sender_for_sms_premium = ""
        self._routes = {("POST", "/sms-campaign/send"): self._send,
                        ("DELETE", "/sms-campaign/cancel"): self._cancel,
                        ("GET", "/wallet/check-balance"): self._balance,
                        ("GET", "/wallet/check-credits"): self._credits,
                        ("PATCH", "/user/campaign-parameters/edit"): self._edit_parameters,
                        ("GET", "/user/campaign-parameters"): self._parameters}

    # -- helpers for tests and the demo ------------------------------------------------------------
    def find(self, ticket: str) -> dict | None:
        with self.lock:
            self._settle()
            return next((s for s in self.sends if s["ticket"] == ticket), None)

    def set_outcomes(self, **options) -> Outcomes:
        """What the next sends produce; options as `POST /_emulator/outcomes` takes them (BadControl)."""
        outcomes = Outcomes.parse(options)
        with self.lock:
            self.callbacks.set_outcomes(outcomes)
        self.outbox.set_hold(outcomes.hold)
        return outcomes

    def set_callback_urls(self, **urls: str) -> None:
        """As `PATCH /user/campaign-parameters/edit` with `{"callbacks": urls}` (BadControl)."""
        checked = check_callback_urls(urls)
        with self.lock:
            self.callbacks.urls.update(checked)

    def flush_callbacks(self, post: Poster | None = None) -> list[dict]:
        """Posts every pending callback now (`post(url, body) -> status` instead of HTTP if given)."""
        with self.lock:
            self._settle()
        return self.outbox.flush(post)

    def inbound(self, number: str, text: str, message_id: str | None = None) -> list[dict]:
        """An SMS from a phone to the account's number: what it queues (inbound, and opt-out for STOP)."""
        with self.lock:
            produced = self.callbacks.from_phone(number, text, message_id, datetime.now(timezone.utc))
        self.outbox.put(produced.items)
        return [item.shown() for item in produced.items]

    def close(self) -> None:
        """Stops the callback worker (what is pending stays pending)."""
        self.outbox.close()

    def _settle(self) -> None:
        """Scheduled sends whose time has come are sent."""
        now = datetime.now(timezone.utc)
        for send in self.sends:
            if send["status"] == "scheduled" and send["send_at"] <= now:
                send["status"] = "sent"

    # -- protocol ----------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        path = request.path[len(PREFIX):] if request.path.startswith(PREFIX + "/") else None
        handler = self._routes.get((request.method, path))
        if handler is None:
            return _error(404, None, f"No route {request.method} {request.path}")
        if (request.headers.get("api-login") != self.api_login
                or request.headers.get("api-key") != self.api_key):
            return _error(401, 101, "Invalid api-login or api-key.")
        return handler(request)

    def _send(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, 100, "Request body is missing or is not JSON.")
        recipients = body.get("recipients")
        if not isinstance(recipients, list) or not recipients:
            return _error(400, 103, "No recipients.")
        readable = [r for r in recipients if isinstance(r, dict) and isinstance(r.get("phone_number"), str)
                    and PHONE.match(r["phone_number"])]
        numbers = [r["phone_number"] for r in readable]
        if not numbers:
            return _error(400, 117, "No valid phone number: use the international format (+33...).")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return _error(400, 107, "Text is missing.")
        sender = body.get("sender")
        if sender not in (None, "") and not (isinstance(sender, str) and SENDER.match(sender)):
            return _error(400, 106, "Invalid sender: 3 to 11 characters among 0-9a-zA-Z.")
        # Any purpose other than "alert" falls back to the default, wholesale (marketing).
        texts = [personalised(text, r) for r in readable]
        if (body.get("purpose") != "alert" and any(n.startswith("+33") for n in numbers)
                and not all(STOP_MENTION.search(t) for t in texts)):
            return _error(400, 121, STOP_MISSING)
        send_at = _parse_send_at(body.get("send_at"))
        now = datetime.now(timezone.utc)
        sms_needed = total_sms_needed(texts)
        product = body.get("type") if body.get("type") in ("sms_premium", "sms_low_cost") else "sms_premium"
        cost = self.prices.send_cost(numbers, [parts_of(t) for t in texts], product)
        request_id = str(body["request_id"]) if body.get("request_id") else None
        with self.lock:
            if request_id and request_id in self._request_ids:
                return _error(400, 120, "Same request_id already sent.")
            if cost > self.credit + 1e-9:
                return _error(400, 104, "Not enough credit.")
            ticket = f"sms_{secrets.token_hex(7)[:13]}"
            if not body.get("simulation_mode"):
                if request_id:
                    self._request_ids.add(request_id)
                self.credit = round(self.credit - cost, 4)
                scheduled = bool(send_at and send_at > now)
                self.sends.append({
                    "ticket": ticket, "body": body, "received_at": now, "send_at": send_at,
                    "status": "scheduled" if scheduled else "sent",
                    "numbers": numbers, "texts": texts, "sms_needed": sms_needed, "cost": cost})
                produced = self.callbacks.for_send(ticket, numbers, body.get("with_replies") is True, now,
                                                   send_at if scheduled else None)
                self.unanswerable += produced.unanswerable
                self.outbox.put(produced.items)
            residual = self.credit
        return _json({"sms_ticket": ticket, "number_of_contacts": len(numbers), "total_cost": cost,
                      "number_of_sms_needed": sms_needed, "residual_credit": residual})

    def _cancel(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        ticket = body.get("ticket_number") if isinstance(body, dict) else None
        if not ticket:
            return _error(400, None, "ticket_number is missing.")
        with self.lock:
            self._settle()
            send = next((s for s in self.sends if s["ticket"] == ticket), None)
            if send is None:
                return _error(400, None, f"Unknown campaign {ticket}.")
            if send["status"] != "scheduled":
                return _error(400, None,
                              f"Campaign {ticket} is {send['status']} and cannot be cancelled.")
            if send["send_at"] - datetime.now(timezone.utc) < CANCEL_NOTICE:
                return _error(400, None, f"Campaign {ticket} starts in less than 10 minutes.")
            send["status"] = "cancelled"
            self.outbox.drop(ticket)
            self.credit = round(self.credit + send["cost"], 4)
        return Response(status=204)

    def _balance(self, request: Request) -> Response:
        country, product = request.args.get("country_code"), request.args.get("product_name")
        if (country is None) != (product is None):
            return _error(400, None, "country_code and product_name go together.")
        with self.lock:
            credit = self.credit
        if product:
            answer: dict[str, Any] = {"amount": self.prices.count(credit, country or "", product), "unit": product}
        else:
            answer = {"amount": round(credit, 4), "unit": "euros"}
        if request.args.get("with_details", "").lower() in ("true", "1"):
            answer["wallet_packs"] = [{"wallet_pack_id": "emulator-pack",
                                       "credit": round(credit, 4),
                                       "expiration_date": "2030-10-23T13:41:46+02:00"}]
        return _json(answer)

    def _credits(self, request: Request) -> Response:
        countries = request.args.getlist("country_codes[]") or request.args.getlist("country_codes")
        with self.lock:
            return _json(self.prices.credits(self.credit, countries))

    def _parameters(self, request: Request) -> Response:
        with self.lock:
            return _json(self._parameters_body())

    def _parameters_body(self) -> dict[str, Any]:
        return {"callbacks": {name: self.callbacks.urls[name] for name in CALLBACK_FIELDS},
                "sender_for_sms_premium": self.sender_for_sms_premium}

    def _edit_parameters(self, request: Request) -> Response:
        """Applies what it can read, ignores the rest (the real API's leniency); answers the parameters."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, 100, "Request body is missing or is not JSON.")
        try:
            checked = check_callback_urls(body.get("callbacks"))
        except BadControl as problem:
            return _error(400, None, str(problem))
        with self.lock:
            self.callbacks.urls.update(checked)
            if isinstance(body.get("sender_for_sms_premium"), str):
                self.sender_for_sms_premium = body["sender_for_sms_premium"]
            return _json(self._parameters_body())

    # -- control routes (`/_emulator/...`) -------------------------------------------------------
    def control(self, request: Request) -> Response:
        route = (request.method, request.path)
        try:
            answered = outcomes_control(request, self.set_outcomes, lambda: self.callbacks.outcomes)
            if answered is not None:
                return answered
            if route == ("POST", "/_emulator/inbound"):
                return self._control_inbound(request)
            if route == ("POST", "/_emulator/callbacks/flush"):
                return _json(self.flush_callbacks())
            if route == ("GET", "/_emulator/callbacks"):
                return _json(self._callback_log())
        except BadControl as problem:
            return _json({"error": str(problem)}, 400)
        return super().control(request)

    def _control_inbound(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadControl("the body must be a JSON object with 'number' and 'text'")
        unknown = sorted(set(body) - {"number", "text", "message_id"})
        if unknown:
            raise BadControl(f"unknown fields {unknown}; known: ['message_id', 'number', 'text']")
        number, text, ticket = body.get("number"), body.get("text"), body.get("message_id")
        if not isinstance(number, str) or not PHONE.match(number):
            raise BadControl("'number' must be an E.164 number such as +33600000001")
        if not isinstance(text, str) or not text.strip():
            raise BadControl("'text' must be a non-empty string")
        if ticket is not None and not (isinstance(ticket, str) and ticket):
            raise BadControl("'message_id' must be a send's ticket (a string) when given")
        with self.lock:
            urls = self.callbacks.urls
            if not (urls["callback_url_for_inbounds"] or urls["callback_url_for_blacklisted_numbers"]):
                return _json({"error": "no callback_url_for_inbounds registered "
                                       "(PATCH /v1/public/user/campaign-parameters/edit)"}, 409)
        return _json({"queued": self.inbound(number, text, ticket)}, 202)

    def _callback_log(self) -> dict[str, Any]:
        with self.lock:
            registered = {name: masked(url) if url else "" for name, url in self.callbacks.urls.items()}
            unanswerable = list(self.unanswerable)
        return {"registered": registered, "outcomes": self.callbacks.outcomes.shown(),
                "pending": [item.shown() for item in self.outbox.pending()],
                "attempts": list(self.outbox.attempts), "unanswerable": unanswerable}
