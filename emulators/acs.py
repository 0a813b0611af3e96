"""Azure Communication Services SMS emulator (reference/azure-communication-sms.md). Imports nothing of
the connector.

Serves `POST /sms?api-version=2021-03-07`, authenticated by HMAC-SHA256 with the resource's access
key (x-ms-date, x-ms-content-sha256, Authorization checked as ACS checks them) or any bearer token
when `accept_bearer` is set. 1–100 `smsRecipients`, each with `repeatabilityRequestId` and
`repeatabilityFirstSent` (a recipient without the first-sent is rejected, as ACS does); answers 202
with one item per recipient: `successful`, `messageId` (`Outgoing_…`), `httpStatusCode`,
`errorMessage`. A repeatability id already accepted is not sent again (its first answer is repeated).
Numbers that are not E.164 fail alone (400 in their item): partial failure is normal.

Delivery reports (`enableDeliveryReport`) and inbound SMS are posted as Event Grid events, one per
POST in a JSON array, to the subscription's URL: `POST /_emulator/subscription {"url"}` first makes
the validation handshake (Microsoft.EventGrid.SubscriptionValidationEvent) and keeps the URL only when
the answer is 200 with the `validationResponse`. Outcomes (delivered share, failed numbers, replies,
duplicates, out of order, hold) are the Octopush emulator's; failures report `Failed`; with duplicates,
an inbound SMS is posted twice too (the same event id, as Event Grid's at-least-once delivery does). Control routes
beside `/_emulator/faults` and `/_emulator/requests`: `/_emulator/outcomes`, `/_emulator/inbound`
`{"number", "text"}`, `/_emulator/callbacks/flush`, `GET /_emulator/callbacks`.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from werkzeug.wrappers import Request, Response

from collections.abc import Callable

from emulators.octopush_callbacks import BadControl, Outbox, Outcomes, Pending, masked, outcomes_control
from emulators.server import Emulator

PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
API_VERSION = "2021-03-07"
TOPIC = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/smsc/providers/" \
        "Microsoft.Communication/CommunicationServices/emulator"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json({"error": {"code": code, "message": message}}, status)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event(kind: str, subject: str, data: dict, at: datetime) -> dict[str, Any]:
    """One Event Grid event (Event Grid schema)."""
    return {"id": str(uuid.uuid4()), "topic": TOPIC, "subject": subject, "eventType": kind, "eventTime": _iso(at),
            "data": data, "dataVersion": "1.0", "metadataVersion": "1"}


class AcsEmulator(Emulator):
    """Records every accepted recipient (`sends`: messageId, to, from, message, repeatability id, tag)."""

    def __init__(self, access_key: str, *, number: str = "+18005550100", accept_bearer: bool = False):
        super().__init__()
        self.key = base64.b64decode(access_key)
        self.number, self.accept_bearer = number, accept_bearer
        self.sends: list[dict[str, Any]] = []
        self.lock = threading.RLock()
        self.outcomes = Outcomes()
        self.outbox = Outbox()
        self.subscription: str | None = None
        self._answers: dict[str, dict] = {}          # repeatability id -> its item
        self._reported = 0

    # -- helpers for tests and the demo ------------------------------------------------------------
    def set_outcomes(self, **options) -> Outcomes:
        outcomes = Outcomes.parse(options)
        with self.lock:
            self.outcomes, self._reported = outcomes, 0
        self.outbox.set_hold(outcomes.hold)
        return outcomes

    def subscribe(self, url: str, post: Callable[[str, Any], tuple[int, Any]] | None = None) -> bool:
        """Event Grid's validation handshake with `url`; kept only when it answers the code."""
        code = str(uuid.uuid4())
        validation = event("Microsoft.EventGrid.SubscriptionValidationEvent", "", {
            "validationCode": code, "validationUrl": "https://rp-eastus.eventgrid.azure.net/validate"},
            datetime.now(timezone.utc))
        answer = (post or _post_json)(url, [validation])
        ok = answer[0] == 200 and isinstance(answer[1], dict) and answer[1].get("validationResponse") == code
        with self.lock:
            self.subscription = url if ok else None
        return ok

    def flush_callbacks(self, post=None) -> list[dict]:
        return self.outbox.flush(post)

    def inbound(self, number: str, text: str) -> list[dict]:
        """An SMS from `number` to the resource's number (an SMSReceived event)."""
        now = datetime.now(timezone.utc)
        body = [event("Microsoft.Communication.SMSReceived", f"/phonenumber/{self.number}", {
            "messageId": f"Incoming_{now:%Y%m%d%H%M%S}{uuid.uuid4()}", "from": number, "to": self.number,
            "message": text, "receivedTimestamp": _iso(now), "segmentCount": 1}, now)]
        with self.lock:
            if not self.subscription:
                raise BadControl("no Event Grid subscription: POST /_emulator/subscription {\"url\": ...} first")
            item = Pending("inbound", self.subscription, body, time.monotonic())   # type: ignore[arg-type]
            items = [item] * (2 if self.outcomes.duplicates else 1)      # at least once: the same event again
        self.outbox.put(items)
        return [i.shown() for i in items]

    def close(self) -> None:
        self.outbox.close()

    # -- protocol ----------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        if (request.method, request.path) != ("POST", "/sms"):
            return _error(404, "NotFound", f"No route {request.method} {request.path}")
        if request.args.get("api-version") != API_VERSION:
            return _error(400, "UnsupportedApiVersion", f"api-version must be {API_VERSION} here")
        problem = self._unauthenticated(request)
        if problem:
            return _error(401, "Denied", problem)
        try:
            body = json.loads(request.get_data())
        except ValueError:
            return _error(422, "InvalidJson", "the body is not JSON")
        recipients = body.get("smsRecipients") if isinstance(body, dict) else None
        if not isinstance(recipients, list) or not 1 <= len(recipients) <= 100:
            return _error(400, "InvalidRequest", "smsRecipients must hold 1 to 100 recipients")
        message, sender = body.get("message"), body.get("from")
        if not isinstance(message, str) or len(message) > 2048 or not isinstance(sender, str) or not sender:
            return _error(400, "InvalidRequest", "from and message (at most 2048 characters) are required")
        options = body.get("smsSendOptions") or {}
        now = datetime.now(timezone.utc)
        items, callbacks = [], []
        with self.lock:
            for recipient in recipients:
                item, produced = self._one(recipient, sender, message, options, now)
                items.append(item)
                callbacks += produced
        self.outbox.put(callbacks)
        return _json({"value": items}, 202)

    def _one(self, recipient: Any, sender: str, message: str, options: dict, now: datetime
             ) -> tuple[dict, list[Pending]]:
        to = recipient.get("to") if isinstance(recipient, dict) else None
        rid = recipient.get("repeatabilityRequestId") if isinstance(recipient, dict) else None
        if rid and rid in self._answers:
            return {**self._answers[rid], "repeatabilityResult": "accepted"}, []
        if rid and not recipient.get("repeatabilityFirstSent"):
            return {"to": to, "httpStatusCode": 400, "successful": False, "repeatabilityResult": "rejected",
                    "errorMessage": "Repeatability-First-Sent is required with a repeatability id."}, []
        if not isinstance(to, str) or not PHONE.match(to):
            return {"to": to, "httpStatusCode": 400, "successful": False,
                    "errorMessage": "Invalid To phone number format."}, []
        message_id = f"Outgoing_{now:%Y%m%d%H%M%S}{uuid.uuid4()}_noam"
        item = {"to": to, "messageId": message_id, "httpStatusCode": 202, "successful": True}
        if rid:
            self._answers[rid] = item
        self.sends.append({"messageId": message_id, "to": to, "from": sender, "message": message,
                           "repeatabilityRequestId": rid, "tag": options.get("tag"), "received_at": now})
        return item, self._report(message_id, sender, to, options, now)

    def _report(self, message_id: str, sender: str, to: str, options: dict, now: datetime) -> list[Pending]:
        outcomes = self.outcomes
        failed_share, n = 1.0 - outcomes.delivered_share, self._reported
        self._reported += 1
        failed = (to in outcomes.failed_numbers
                  or math.floor((n + 1) * failed_share + 1e-9) > math.floor(n * failed_share + 1e-9))
        if not options.get("enableDeliveryReport") or not self.subscription:
            return []
        at, due = now + timedelta(seconds=outcomes.delay), time.monotonic() + outcomes.delay
        data = {"messageId": message_id, "from": sender, "to": to,
                "deliveryStatus": "Failed" if failed else "Delivered",
                "deliveryStatusDetails": "No route to the recipient." if failed else "No Error",
                "receivedTimestamp": _iso(at), "tag": options.get("tag"),
                "deliveryAttempts": [{"timestamp": _iso(at), "segmentsSucceeded": 0 if failed else 1,
                                      "segmentsFailed": 1 if failed else 0}]}
        body = [event("Microsoft.Communication.SMSDeliveryReportReceived", f"/phonenumber/{to}", data, at)]
        items = [Pending("delivery", self.subscription, body, due)]   # type: ignore[arg-type]
        if outcomes.duplicates:                                     # at least once: the same event again
            items.append(Pending("delivery", self.subscription, body, due))   # type: ignore[arg-type]
        if outcomes.out_of_order:
            items.reverse()
        return items

    def _unauthenticated(self, request: Request) -> str | None:
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            return None if self.accept_bearer else "bearer tokens are not accepted by this emulator instance"
        date, digest = request.headers.get("x-ms-date", ""), request.headers.get("x-ms-content-sha256", "")
        if not date or not digest or not authorization.startswith("HMAC-SHA256 "):
            return "HMAC-SHA256 authentication required (x-ms-date, x-ms-content-sha256, Authorization)"
        if base64.b64encode(hashlib.sha256(request.get_data()).digest()).decode() != digest:
            return "x-ms-content-sha256 does not match the body"
        to_sign = f"POST\n{request.path}?{request.query_string.decode()}\n{date};{request.host};{digest}"
        expected = base64.b64encode(hmac.new(self.key, to_sign.encode(), hashlib.sha256).digest()).decode()
        if f"Signature={expected}" not in authorization:
            return "the HMAC signature does not match"
        return None

    # -- control routes ----------------------------------------------------------------------------
    def control(self, request: Request) -> Response:
        route = (request.method, request.path)
        try:
            body = request.get_json(silent=True) if request.method == "POST" else None
            answered = outcomes_control(request, self.set_outcomes, lambda: self.outcomes)
            if answered is not None:
                return answered
            if route == ("POST", "/_emulator/subscription"):
                if not isinstance(body, dict) or not isinstance(body.get("url"), str):
                    raise BadControl("the body must be {\"url\": \"http://127.0.0.1:.../api/providers/acs/events?key=...\"}")
                return _json({"validated": self.subscribe(body["url"])})
            if route == ("POST", "/_emulator/inbound"):
                if not isinstance(body, dict) or not isinstance(body.get("number"), str) \
                        or not isinstance(body.get("text"), str):
                    raise BadControl("the body must be {\"number\": \"+336...\", \"text\": \"...\"}")
                return _json({"queued": self.inbound(body["number"], body["text"])}, 202)
            if route == ("POST", "/_emulator/callbacks/flush"):
                return _json(self.flush_callbacks())
            if route == ("GET", "/_emulator/callbacks"):
                return _json({"subscription": masked(self.subscription) if self.subscription else None,
                              "pending": [item.shown() for item in self.outbox.pending()],
                              "attempts": list(self.outbox.attempts)})
        except BadControl as problem:
            return _json({"error": str(problem)}, 400)
        return super().control(request)


def _post_json(url: str, body: Any) -> tuple[int, Any]:
    """POST to loopback only; (status, JSON answer or None)."""
    import urllib.error
    import urllib.request

    from emulators.octopush_callbacks import loopback

    if not loopback(url):
        return 0, None
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "aeg-event-type": "SubscriptionValidation"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:   # noqa: S310 (loopback only)
            status, text = int(answer.status), answer.read()
    except urllib.error.HTTPError as error:
        return int(error.code), None
    except OSError:
        return 0, None
    try:
        return status, json.loads(text)
    except ValueError:
        return status, None

