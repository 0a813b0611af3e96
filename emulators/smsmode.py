"""smsmode REST `sms/v1` emulator: the endpoint the connector uses, with the checks it can make
(reference/smsmode.md). Imports nothing of the connector.

Serves `POST /sms/v1/messages` (header `X-Api-Key`): one recipient per request, answered HTTP 201
with the Message resource (`messageId`, `recipient.to` digits, `body` with `messagePartCount`,
`status.value` ENROUTE, our `refClient` echoed). smsmode deduplicates nothing: a second request with
the same `refClient` is a second SMS here too (what the connector's ledger must prevent).
`body.stop: true` appends the emulator's opt-out mention « STOP 36111 » (the real short code may
change). Errors are `{title, message, detail, errorCode}`: 401 without the key, 400 for a bad body.

After each send it posts, to the message's `callbackUrlStatus`, a delivery report (the Message
resource with `status.value` DELIVERED, or UNDELIVERABLE / UNDELIVERED as the outcomes say;
`status.detail` BLACKLISTED for a number that answered STOP), and the outcomes' replies to its
`callbackUrlMo` (a Message with `direction` MO, `from` the phone, `body.text`, `originMessageId`).
Outcomes, the outbox and its loopback-only posting are the Octopush emulator's
(emulators.octopush_callbacks). Control routes, beside `/_emulator/faults` and `/_emulator/requests`:
`POST|GET|DELETE /_emulator/outcomes`, `POST /_emulator/inbound` `{"number", "text"}` (a reply to
the number's last message), `POST /_emulator/callbacks/flush`, `GET /_emulator/callbacks`.
"""
from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from werkzeug.wrappers import Request, Response

from emulators.octopush_callbacks import (BadControl, Outbox, Outcomes, Pending, Poster, is_start, is_stop, masked,
                                          outcomes_control)
from emulators.octopush_text import sms_needed
from emulators.server import Emulator

SEND_PATH = "/sms/v1/messages"
NUMBER = re.compile(r"^\+?[1-9]\d{6,14}$")
SENDER = re.compile(r"^(?:[A-Za-z0-9 ]{1,11}|\d{3,15})$")
STOP_MENTION = "STOP 36111"
REPLY_NUMBER = "36111"
# The Octopush outcome statuses, as smsmode names its failures.
FAILURE_STATUS = {"BAD_DESTINATION": "UNDELIVERABLE", "BLACKLISTED_NUMBER": "UNDELIVERABLE"}


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(status: int, message: str, detail: str = "") -> Response:
    return _json({"title": "Bad Request" if status == 400 else "Unauthorized" if status == 401 else "Error",
                  "message": message, "detail": detail, "errorCode": status}, status)


def _date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


class SmsmodeEmulator(Emulator):
    """Records every accepted message (`sends`: messageId, number, text, refClient, body, received_at)."""

    def __init__(self, api_key: str = "emulator-smsmode-key", *, poster: Poster | None = None):
        super().__init__()
        self.api_key = api_key
        self.sends: list[dict[str, Any]] = []
        self.lock = threading.RLock()
        self.outcomes = Outcomes()
        self.outbox = Outbox(post=poster) if poster else Outbox()
        self.blacklist: set[str] = set()
        self._reported = 0

    # -- helpers for tests and the demo ------------------------------------------------------------
    def set_outcomes(self, **options) -> Outcomes:
        outcomes = Outcomes.parse(options)
        with self.lock:
            self.outcomes, self._reported = outcomes, 0
        self.outbox.set_hold(outcomes.hold)
        return outcomes

    def flush_callbacks(self, post: Poster | None = None) -> list[dict]:
        return self.outbox.flush(post)

    def inbound(self, number: str, text: str) -> list[dict]:
        """An SMS from `number` answering its last message (to that message's callbackUrlMo)."""
        digits = number.lstrip("+")
        with self.lock:
            last = next((s for s in reversed(self.sends) if s["number"] == digits and s["body"].get("callbackUrlMo")),
                        None)
            if last is None:
                raise BadControl(f"no message to {number} named a callbackUrlMo: nowhere to post the reply")
            item = self._reply(last, text, datetime.now(timezone.utc), time.monotonic())
        self.outbox.put([item])
        return [item.shown()]

    def close(self) -> None:
        self.outbox.close()

    # -- protocol ----------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        if (request.method, request.path) != ("POST", SEND_PATH):
            return _error(404, f"No route {request.method} {request.path}")
        if request.headers.get("X-Api-Key") != self.api_key:
            return _error(401, "Invalid or missing X-Api-Key")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, "The body must be a JSON object")
        problem = _problem(body)
        if problem:
            return _error(400, "Invalid message", problem)
        now = datetime.now(timezone.utc)
        number = body["recipient"]["to"].lstrip("+")
        text = body["body"]["text"]
        if body["body"].get("stop") is True:
            text = f"{text}\n{STOP_MENTION}"
        message_id = str(uuid.uuid4())
        message = {"messageId": message_id, "acceptedAt": _date(now), "type": "SMS", "direction": "MT",
                   "channel": {"channelId": "emulator-channel", "name": "emulator", "type": "SMS",
                               "flow": "MARKETING"},
                   "recipient": {"to": number}, "from": body.get("from") or REPLY_NUMBER,
                   "body": {"text": text, "encoding": body["body"].get("encoding", "GSM7"),
                            "messagePartCount": sms_needed(text), "length": len(text)},
                   "status": {"value": "ENROUTE", "deliveryDate": _date(now)},
                   "href": f"{request.host_url.rstrip('/')}{SEND_PATH}/{message_id}"}
        for name in ("refClient", "callbackUrlStatus", "callbackUrlMo", "sentDate"):
            if body.get(name):
                message[name] = body[name]
        with self.lock:
            self.sends.append({"messageId": message_id, "number": number, "text": text,
                               "refClient": body.get("refClient"), "body": body, "received_at": now})
            items = self._callbacks(self.sends[-1], message, now)
        self.outbox.put(items)
        return _json(message, 201)

    def _callbacks(self, send: dict, message: dict, now: datetime) -> list[Pending]:
        outcomes, number = self.outcomes, "+" + send["number"]
        at, due = now + timedelta(seconds=outcomes.delay), time.monotonic() + outcomes.delay
        failed_share, n = 1.0 - outcomes.delivered_share, self._reported
        self._reported += 1
        failed = (number in outcomes.failed_numbers
                  or math.floor((n + 1) * failed_share + 1e-9) > math.floor(n * failed_share + 1e-9))
        status, detail = "DELIVERED", None
        if send["number"] in self.blacklist:
            status, detail = "UNDELIVERABLE", "BLACKLISTED"
        elif failed:
            status = FAILURE_STATUS.get(outcomes.failure_status, "UNDELIVERED")
        items = []
        url = send["body"].get("callbackUrlStatus")
        if url:
            report = {**message, "status": {"value": status, "deliveryDate": _date(at),
                                            **({"detail": detail} if detail else {})}}
            reports = [report, dict(report)] if outcomes.duplicates else [report]
            if outcomes.out_of_order:
                reports = [*reports, {**message, "status": {"value": "ENROUTE", "deliveryDate": _date(now)}}]
            items += [Pending("delivery", url, r, due) for r in reports]
        if status == "DELIVERED":
            items += [self._reply(send, reply.text, at, due) for reply in outcomes.replies
                      if reply.number in ("all", number) and send["body"].get("callbackUrlMo")]
        return items

    def _reply(self, send: dict, text: str, at: datetime, due: float) -> Pending:
        if is_stop(text):
            self.blacklist.add(send["number"])
        elif is_start(text):
            self.blacklist.discard(send["number"])
        body = {"messageId": str(uuid.uuid4()), "acceptedAt": _date(at), "type": "SMS", "direction": "MO",
                "from": send["number"], "recipient": {"to": REPLY_NUMBER},
                "body": {"text": text, "encoding": "GSM7", "messagePartCount": 1, "length": len(text)},
                "originMessageId": send["messageId"]}
        return Pending("inbound", send["body"]["callbackUrlMo"], body, due)

    # -- control routes ----------------------------------------------------------------------------
    def control(self, request: Request) -> Response:
        route = (request.method, request.path)
        try:
            answered = outcomes_control(request, self.set_outcomes, lambda: self.outcomes)
            if answered is not None:
                return answered
            if route == ("POST", "/_emulator/inbound"):
                body = request.get_json(silent=True)
                if not isinstance(body, dict) or not isinstance(body.get("number"), str) \
                        or not isinstance(body.get("text"), str) or not body["text"].strip():
                    raise BadControl("the body must be {\"number\": \"+336...\", \"text\": \"...\"}")
                return _json({"queued": self.inbound(body["number"], body["text"])}, 202)
            if route == ("POST", "/_emulator/callbacks/flush"):
                return _json(self.flush_callbacks())
            if route == ("GET", "/_emulator/callbacks"):
                return _json({"outcomes": self.outcomes.shown(),
                              "pending": [item.shown() for item in self.outbox.pending()],
                              "attempts": list(self.outbox.attempts),
                              "urls": sorted({masked(s["body"][k]) for s in self.sends
                                              for k in ("callbackUrlStatus", "callbackUrlMo") if s["body"].get(k)})})
        except BadControl as problem:
            return _json({"error": str(problem)}, 400)
        return super().control(request)


def _problem(body: dict) -> str | None:
    """What smsmode would refuse in a message body (400), or None."""
    recipient, text = body.get("recipient"), body.get("body")
    if not isinstance(recipient, dict) or not isinstance(recipient.get("to"), str) or not NUMBER.match(recipient["to"]):
        return "recipient.to must be an international number such as 33600000001"
    if not isinstance(text, dict) or not isinstance(text.get("text"), str) or not text["text"].strip():
        return "body.text is required"
    if "stop" in text and not isinstance(text["stop"], bool):
        return "body.stop must be true or false"
    sender = body.get("from")
    if sender is not None and not (isinstance(sender, str) and SENDER.match(sender)):
        return "from must be 1 to 11 letters, digits or spaces, or a number"
    reference = body.get("refClient")
    if reference is not None and not (isinstance(reference, str) and 0 < len(reference) <= 140):
        return "refClient must be 1 to 140 characters"
    for name in ("callbackUrlStatus", "callbackUrlMo"):
        url = body.get(name)
        if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))
                                    and len(url) <= 255):
            return f"{name} must be an http(s) URL of at most 255 characters"
    unknown = sorted(set(body) - {"recipient", "body", "from", "refClient", "sentDate", "callbackUrlStatus",
                                  "callbackUrlMo"})
    return f"unknown fields {unknown}" if unknown else None
