"""What the Octopush emulator posts back: delivery reports, replies and STOP opt-outs (reference/octopush.md,
« Callbacks »), with outcomes a test or the demo chooses, and an outbox that posts them.

Bodies are Octopush's documented JSON, one event per POST, dates "Y-m-d H:i:s" in Paris time:
- delivery report: `channel`, `message_id` (the send's ticket), `number`, `status`, `delivery_date`, `meta_data`;
- inbound SMS: `message_id`, `number`, `text`, `sim_card_number`, `reception_date`;
- opt-out: `message_id`, `number`, `text`, `stop_date`.

Outcomes (`Outcomes.parse` reads the control route's JSON, answering what is wrong): the share of
recipients delivered, spread evenly and deterministically over the recipients in send order (with 0.5:
the 2nd, 4th... fail), or given numbers that fail; the failure status; a delay; replies; reports out of
order (each recipient also gets an ACK, posted after its final status, and a send's recipients come
last-first); each report posted twice.

The emulator's own plausible readings, where Octopush's behaviour is unconfirmed: a reply reaches the
inbound URL only when the send asked `with_replies` (else the sender could not be answered); a text
starting with STOP is also an opt-out (the "STOP au 30101" short code answers any SMS), the number
joins the account's blacklist and later sends report BLACKLISTED_NUMBER to it; START lifts it.

The outbox never posts outside loopback (tests must not reach the internet), never retries, and keeps
every attempt with the answer's status; URLs are shown with their `key` and `code` values masked.
"""
from __future__ import annotations

import json
import math
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from ipaddress import ip_address
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo
from werkzeug.wrappers import Request, Response
from emulators.server import json_reply

PARIS = ZoneInfo("Europe/Paris")
PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
REPLY_NUMBER = "+33757000000"         # the number replies reach (`sim_card_number`); any will do
POST_TIMEOUT = 2.0                    # Octopush waits about a second for an answer
FAILURES = ("NOT_DELIVERED", "NOT_ALLOWED", "UNKNOWN_DELIVERY", "BAD_DESTINATION", "BLACKLISTED_NUMBER",
            "UNDEFINED")              # the documented statuses that are not DELIVERED nor ACK
LONGEST_DELAY = 3600.0
SECRET_PARAMETERS = ("key", "code")   # the connector's key, Azure's function key
CALLBACK_FIELDS = ("callback_url_for_deliveries", "callback_url_for_inbounds",
                   "callback_url_for_blacklisted_numbers", "callback_url_for_visits", "email_for_inbounds")
URL_FIELDS = CALLBACK_FIELDS[:4]


class BadControl(ValueError):
    """A control request the emulator cannot follow; the message names the problem (answered 400)."""


def provider_date(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime(DATE_FORMAT)


def is_stop(text: str) -> bool:
    return text.strip().upper().startswith("STOP")


def is_start(text: str) -> bool:
    return text.strip().upper().startswith("START")


def masked(url: str) -> str:
    """`url` with the values of `key` and `code` replaced by ***."""
    parts = urlsplit(url)
    query = [(name, "***" if name.lower() in SECRET_PARAMETERS else value)
             for name, value in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_callback_urls(values: Any) -> dict[str, str]:
    """The settings `PATCH /user/campaign-parameters/edit` can apply from its `callbacks` object. Like the
    real API, names it does not know and values it cannot read are ignored; an empty string or null
    clears a URL. A URL outside loopback is refused (the emulator would post to it)."""
    if not isinstance(values, dict):
        return {}
    checked = {}
    for name, value in values.items():
        if name not in CALLBACK_FIELDS or not isinstance(value, (str, type(None))):
            continue
        value = (value or "").strip()
        if value and name in URL_FIELDS:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise BadControl(f"{name} is not an http(s) URL")
            if not loopback(value):
                raise BadControl(f"{name}: the emulator posts to 127.0.0.1 or localhost only, "
                                 f"not to {parts.hostname}")
        checked[name] = value
    return checked


@dataclass(frozen=True)
class Reply:
    number: str            # E.164, or "all": every recipient of a send
    text: str


@dataclass(frozen=True)
class Outcomes:
    delivered_share: float = 1.0
    failure_status: str = "NOT_DELIVERED"
    failed_numbers: tuple[str, ...] = ()
    delay: float = 0.0                     # seconds between the send and its callbacks
    replies: tuple[Reply, ...] = ()
    out_of_order: bool = False
    duplicates: bool = False
    hold: bool = False                     # nothing is posted until a flush (step-by-step demos, tests)

    FIELDS = ("delivered_share", "failure_status", "failed_numbers", "delay", "replies", "out_of_order",
              "duplicates", "hold")

    @classmethod
    def parse(cls, options: Any) -> Outcomes:
        """`POST /_emulator/outcomes`'s JSON; fields left out take their defaults."""
        if not isinstance(options, dict):
            raise BadControl("the body must be a JSON object")
        unknown = sorted(set(options) - set(cls.FIELDS))
        if unknown:
            raise BadControl(f"unknown fields {unknown}; known: {sorted(cls.FIELDS)}")
        values: dict[str, Any] = {}
        share = options.get("delivered_share", 1.0)
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise BadControl("'delivered_share' must be a number from 0 to 1")
        values["delivered_share"] = float(share)
        status = options.get("failure_status", "NOT_DELIVERED")
        if status not in FAILURES:
            raise BadControl(f"'failure_status' must be one of {', '.join(FAILURES)}")
        values["failure_status"] = status
        numbers = options.get("failed_numbers", [])
        if not isinstance(numbers, list) or not all(isinstance(n, str) and PHONE.match(n) for n in numbers):
            raise BadControl("'failed_numbers' must be a list of E.164 numbers such as +33600000001")
        values["failed_numbers"] = tuple(numbers)
        delay = options.get("delay", 0.0)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= LONGEST_DELAY:
            raise BadControl(f"'delay' must be a number of seconds from 0 to {LONGEST_DELAY:g}")
        values["delay"] = float(delay)
        values["replies"] = tuple(_reply(item, n) for n, item in enumerate(_list(options, "replies")))
        for flag in ("out_of_order", "duplicates", "hold"):
            if not isinstance(options.get(flag, False), bool):
                raise BadControl(f"'{flag}' must be true or false")
            values[flag] = options.get(flag, False)
        return cls(**values)

    def shown(self) -> dict[str, Any]:
        shown = asdict(self)
        shown["failed_numbers"] = list(self.failed_numbers)
        shown["replies"] = [asdict(r) for r in self.replies]
        return shown


def _list(options: dict, name: str) -> list:
    value = options.get(name, [])
    if not isinstance(value, list):
        raise BadControl(f"'{name}' must be a list")
    return value


def _reply(item: Any, index: int) -> Reply:
    if not isinstance(item, dict) or set(item) != {"number", "text"}:
        raise BadControl(f"replies[{index}] must be an object with 'number' and 'text' only")
    number, text = item["number"], item["text"]
    if not isinstance(number, str) or not (number == "all" or PHONE.match(number)):
        raise BadControl(f"replies[{index}].number must be an E.164 number or \"all\"")
    if not isinstance(text, str) or not text.strip():
        raise BadControl(f"replies[{index}].text must be a non-empty string")
    return Reply(number, text)


def delivery_report(ticket: str, number: str, status: str, at: datetime) -> dict[str, Any]:
    return {"channel": "sms", "message_id": ticket, "number": number, "status": status,
            "delivery_date": provider_date(at), "meta_data": {}}


def inbound_sms(ticket: str | None, number: str, text: str, at: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {"number": number, "text": text, "sim_card_number": REPLY_NUMBER,
                            "reception_date": provider_date(at)}
    return {"message_id": ticket, **body} if ticket else body


def opt_out(ticket: str | None, number: str, text: str, at: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {"number": number, "text": text, "stop_date": provider_date(at)}
    return {"message_id": ticket, **body} if ticket else body


@dataclass
class Pending:
    kind: str                  # delivery | inbound | opt_out
    url: str
    body: dict[str, Any]
    due: float                 # time.monotonic() after which it may be posted (the delay)
    not_before: datetime | None = None     # a scheduled send's time: nothing about it is posted before

    def ready(self, wall: datetime, mono: float, *, ignore_delay: bool) -> bool:
        return (self.not_before is None or self.not_before <= wall) and (ignore_delay or self.due <= mono)

    def shown(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": masked(self.url), "body": self.body}


# (url, body) -> the answer's HTTP status; raises OSError when nothing answers.
Poster = Callable[[str, dict], int]


def http_post(url: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=POST_TIMEOUT) as answer:   # noqa: S310 (loopback only)
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@dataclass
class Outbox:
    """Callbacks waiting to be posted, and every attempt made. A worker thread posts them when due
    (unless `hold`); `flush()` posts what is pending at once, for tests that never sleep."""
    post: Poster = http_post
    hold: bool = False
    attempts: list[dict[str, Any]] = field(default_factory=list)
    _pending: list[Pending] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _worker: threading.Thread | None = None
    _closed: bool = False

    def put(self, items: list[Pending]) -> None:
        if not items:
            return
        with self._cond:
            self._pending.extend(items)
            self._wake()

    def _wake(self) -> None:
        """(Under the lock.) The worker looks again; one is started when none runs."""
        self._cond.notify_all()
        if self._pending and not self.hold and not self._closed and self._worker is None:
            self._worker = threading.Thread(target=self._run, name="octopush-callbacks", daemon=True)
            self._worker.start()

    def drop(self, ticket: str) -> None:
        """A cancelled send: what it would have posted is forgotten."""
        with self._cond:
            self._pending = [p for p in self._pending if p.body.get("message_id") != ticket]

    def pending(self) -> list[Pending]:
        with self._cond:
            return list(self._pending)

    def flush(self, post: Poster | None = None) -> list[dict[str, Any]]:
        """Posts every pending callback now, whatever its delay (a scheduled send's wait for its
        time), in order; returns the attempts. `post` replaces HTTP (e.g. an in-process call)."""
        return [self._attempt(item, post or self.post) for item in self._take(ignore_delay=True)]

    def set_hold(self, hold: bool) -> None:
        with self._cond:
            self.hold = hold
            self._wake()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            worker = self._worker
            self._cond.notify_all()
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=POST_TIMEOUT + 1)

    def _take(self, *, ignore_delay: bool) -> list[Pending]:
        wall, mono = datetime.now(timezone.utc), time.monotonic()
        with self._cond:
            ready = [p for p in self._pending if p.ready(wall, mono, ignore_delay=ignore_delay)]
            self._pending = [p for p in self._pending if p not in ready]
        return ready

    def _attempt(self, item: Pending, post: Poster) -> dict[str, Any]:
        attempt: dict[str, Any] = {**item.shown(), "status": None, "error": None,
                                   "posted_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}
        if not loopback(item.url):
            attempt["error"] = "not posted: the emulator posts to loopback addresses only"
        else:
            try:
                attempt["status"] = post(item.url, item.body)
            except OSError as error:
                attempt["error"] = f"{type(error).__name__}: {error}"
        with self._cond:
            self.attempts.append(attempt)
        return attempt

    def _wait_time(self) -> float | None:
        """Seconds until the next pending callback may go; None when nothing waits."""
        if not self._pending:
            return None
        wall, mono = datetime.now(timezone.utc), time.monotonic()
        waits = [max(p.due - mono, 0.0, (p.not_before - wall).total_seconds() if p.not_before else 0.0)
                 for p in self._pending]
        return min(min(waits), 30.0)       # the wall clock may move: look again now and then

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self.hold:
                    wait = self._wait_time()
                    if wait is None:
                        self._worker = None
                        return                 # idle: a new callback starts another worker
                    if wait <= 0:
                        break
                    self._cond.wait(timeout=wait)
                if self._closed or self.hold:
                    self._worker = None
                    return
            for item in self._take(ignore_delay=False):
                self._attempt(item, self.post)


@dataclass
class Produced:
    """What one accepted send (or one simulated SMS from a phone) produces."""
    items: list[Pending] = field(default_factory=list)
    unanswerable: list[dict[str, Any]] = field(default_factory=list)


class CallbackProducer:
    """Turns sends into callbacks according to the outcomes; keeps the account's blacklist."""

    def __init__(self) -> None:
        self.outcomes = Outcomes()
        self.urls: dict[str, str] = {name: "" for name in CALLBACK_FIELDS}
        self.blacklist: set[str] = set()
        self._reported = 0         # recipients reported since the outcomes were set (the share's count)

    def set_outcomes(self, outcomes: Outcomes) -> None:
        self.outcomes, self._reported = outcomes, 0

    def _failed(self, number: str) -> bool:
        """Evenly spread: recipient n fails when floor((n+1)·f) steps past floor(n·f), f the failed share."""
        if number in self.outcomes.failed_numbers:
            return True
        failed_share, n = 1.0 - self.outcomes.delivered_share, self._reported
        return math.floor((n + 1) * failed_share + 1e-9) > math.floor(n * failed_share + 1e-9)

    def for_send(self, ticket: str, numbers: list[str], with_replies: bool, now: datetime,
                 not_before: datetime | None) -> Produced:
        outcomes, produced = self.outcomes, Produced()
        at = (not_before or now) + timedelta(seconds=outcomes.delay)
        due = time.monotonic() + outcomes.delay
        reports_url = self.urls["callback_url_for_deliveries"]
        reports: list[tuple[str, str]] = []          # (number, status)
        delivered = []
        for number in numbers:
            if number in self.blacklist:
                status = "BLACKLISTED_NUMBER"
            else:
                status = outcomes.failure_status if self._failed(number) else "DELIVERED"
            self._reported += 1
            reports.append((number, status))
            if status == "DELIVERED":
                delivered.append(number)
        if outcomes.out_of_order:     # last recipients first, each final status before its ACK
            reports = [pair for number, status in reversed(reports) for pair in ((number, status), (number, "ACK"))]
        bodies = [delivery_report(ticket, number, status, at) for number, status in reports]
        if outcomes.duplicates:
            bodies += [dict(body) for body in bodies]
        if reports_url:
            produced.items += [Pending("delivery", reports_url, body, due, not_before) for body in bodies]
        for number in delivered:
            for reply in outcomes.replies:
                if reply.number in ("all", number):
                    self._reply(produced, ticket, number, reply.text, with_replies, at, due, not_before)
        return produced

    def from_phone(self, number: str, text: str, ticket: str | None, now: datetime) -> Produced:
        produced = Produced()
        self._reply(produced, ticket, number, text, True, now, time.monotonic(), None)
        return produced

    def _reply(self, produced: Produced, ticket: str | None, number: str, text: str, answerable: bool,
               at: datetime, due: float, not_before: datetime | None) -> None:
        inbound_url = self.urls["callback_url_for_inbounds"]
        blacklist_url = self.urls["callback_url_for_blacklisted_numbers"]
        if answerable and inbound_url:
            produced.items.append(Pending("inbound", inbound_url, inbound_sms(ticket, number, text, at), due,
                                          not_before))
        elif not answerable and not is_stop(text):
            produced.unanswerable.append({"message_id": ticket, "number": number, "text": text,
                                          "why": "the send did not ask with_replies: its sender cannot be answered"})
        if is_stop(text):
            self.blacklist.add(number)
            if blacklist_url:
                produced.items.append(Pending("opt_out", blacklist_url, opt_out(ticket, number, text, at), due,
                                              not_before))
        elif is_start(text):
            self.blacklist.discard(number)


def outcomes_control(request: Request, set_outcomes: Callable[..., Outcomes],
                     current: Callable[[], Outcomes]) -> Response | None:
    """`/_emulator/outcomes`, as every provider emulator answers it: POST sets what the next sends produce
    (BadControl on a bad body), GET shows it, DELETE resets it; None for any other route."""
    if request.path != "/_emulator/outcomes":
        return None
    if request.method == "POST":
        options = request.get_json(silent=True)
        if not isinstance(options, dict):
            raise BadControl("the body must be a JSON object")
        return json_reply(set_outcomes(**options).shown())
    if request.method == "GET":
        return json_reply(current().shown())
    if request.method == "DELETE":
        set_outcomes()
        return Response(status=204)
    return None
