"""What both emulators share: a threaded loopback HTTP server, a request log and fault injection.

An emulator subclasses `Emulator` and implements `dispatch(request) -> Response`. Faults (status
codes with `Retry-After`, slow answers; every time, `times` times, or at a seeded `rate`) are applied
before dispatch, so the protocol code under test sees exactly what a throttled or failing service would
send. The request log keeps each request with its answer's status and headers, bounded in count and
bytes, and shows it as JSON with secrets masked (`/_emulator/requests`).
"""
from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


# Names whose values the JSON log never shows: in query strings, JSON bodies (any depth) and URLs in them.
SECRET_NAME = re.compile(r"secret|password|token|api[-_]?key|authorization|authvalue|saskey|^(?:key|code)$",
                         re.IGNORECASE)
URL_SECRET = re.compile(r"([?&](?:key|code)=)[^&\s\"']+", re.IGNORECASE)
BEARER = re.compile(r"(Bearer\s+)[\w.~+/=-]+", re.IGNORECASE)
BODY_SHOWN = 65_536                 # characters of a body the JSON log shows (a $batch can be megabytes)


def mask_text(text: str) -> str:
    return BEARER.sub(r"\1***", URL_SECRET.sub(r"\1***", text))


def mask_value(value: Any) -> Any:
    """A JSON value with the values of secret-named members and the keys in URLs replaced by ***."""
    if isinstance(value, dict):
        return {name: "***" if SECRET_NAME.search(str(name)) and value[name] not in (None, "") else mask_value(item)
                for name, item in value.items()}
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    return mask_text(value) if isinstance(value, str) else value


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]     # lower-case names
    body: bytes
    received: str = ""          # ISO UTC time it arrived
    status: int | None = None   # the answer's, once answered
    answer_headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def shown(self) -> dict[str, Any]:
        """What `GET /_emulator/requests` shows: secrets masked, the body bounded."""
        text = self.body.decode("utf-8", "replace")
        body: Any = text
        try:
            body = mask_value(json.loads(text)) if text else None
        except ValueError:
            body = mask_text(text)
        if isinstance(body, str) and len(body) > BODY_SHOWN:
            body = body[:BODY_SHOWN] + f"... ({len(text)} characters)"
        elif body is not None and not isinstance(body, str) and len(text) > BODY_SHOWN:
            body = mask_text(text[:BODY_SHOWN]) + f"... ({len(text)} characters)"
        return {"method": self.method, "path": self.path,
                "query": {name: "***" if SECRET_NAME.search(name) else mask_text(value)
                          for name, value in self.query.items()},
                "body": body, "received": self.received, "status": self.status,
                "headers": self.answer_headers}


class RequestLog(list):
    """The requests an emulator received, oldest first; beyond `limit` entries or `max_bytes` of bodies the
    oldest are dropped, so a long benchmark cannot exhaust memory."""

    def __init__(self, limit: int = 20_000, max_bytes: int = 256 * 1024 * 1024):
        super().__init__()
        self.limit, self.max_bytes, self.bytes = limit, max_bytes, 0
        self.dropped = 0

    def append(self, entry: RecordedRequest) -> None:
        super().append(entry)
        self.bytes += len(entry.body)
        over = 0
        while len(self) - over > self.limit or (self.bytes > self.max_bytes and len(self) - over > 1):
            self.bytes -= len(self[over].body)
            over += 1
        if over:
            del self[:over]
            self.dropped += over

    def clear(self) -> None:
        super().clear()
        self.bytes = 0


@dataclass
class Fault:
    status: int | None = None          # None: only the delay applies
    times: int | None = 1              # how many matching requests it hits (None: no end, with a rate)
    retry_after: int | None = None
    delay: float = 0.0                 # seconds before answering
    path_contains: str | None = None
    method: str | None = None
    body: dict | None = None
    rate: float | None = None          # the chance a matching request is hit (None: every one)
    seed: int | None = None            # of the draws, so a run can be replayed
    hits: int = 0
    draws: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self.draws = random.Random(self.seed)

    def matches(self, request: Request) -> bool:
        return ((self.path_contains is None or self.path_contains in request.full_path)
                and (self.method is None or self.method == request.method))

    def shown(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if name != "draws"}


@dataclass
class Faults:
    rules: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int | None = None, **kwargs) -> Fault:
        """A rule; with a `rate` and no `times` it lasts until cleared."""
        if kwargs.get("rate") is not None and "times" not in kwargs:
            kwargs["times"] = None
        fault = Fault(status=status, **kwargs)
        with self.lock:
            self.rules.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def take(self, request: Request) -> Fault | None:
        with self.lock:
            for fault in self.rules:
                if (fault.times is None or fault.times > 0) and fault.matches(request):
                    if fault.rate is not None and fault.draws.random() >= fault.rate:
                        continue            # spared this time; a later rule may still apply
                    if fault.times is not None:
                        fault.times -= 1
                    fault.hits += 1
                    return fault
        return None

    def shown(self) -> list[dict[str, Any]]:
        with self.lock:
            return [fault.shown() for fault in self.rules]


FAULT_FIELDS = {"status", "times", "retry_after", "delay", "path_contains", "method", "body", "rate", "seed"}
HTTP_METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"}


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _seconds(value: Any, high: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= high


def _chance(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1


def json_body(request: Request) -> tuple[Any, str | None]:
    """The JSON body of a control request, or the problem with it."""
    if request.mimetype != "application/json":
        return None, "send the body as JSON (Content-Type: application/json)"
    try:
        return json.loads(request.get_data(as_text=True) or "null"), None
    except ValueError as error:
        return None, f"the body is not valid JSON: {error}"


def json_reply(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def fault_options(request: Request) -> tuple[dict, str | None]:
    """The fault a control request asks for, or the problem with it (answered 400, nothing added)."""
    options, problem = json_body(request)
    if problem:
        return {}, problem.replace("the body as JSON", "the fault as JSON")
    if not isinstance(options, dict):
        return {}, "the body must be a JSON object such as {\"status\": 429, \"retry_after\": 2}"
    unknown = sorted(set(options) - FAULT_FIELDS)
    checks = {
        "status": lambda v: _whole(v, 200, 599), "times": lambda v: _whole(v, 1, 1_000_000),
        "retry_after": lambda v: _whole(v, 0, 3600), "delay": lambda v: _seconds(v, 60),
        "path_contains": lambda v: isinstance(v, str), "method": lambda v: isinstance(v, str) and v in HTTP_METHODS,
        "body": lambda v: isinstance(v, dict), "rate": _chance,
        "seed": lambda v: _whole(v, -(2 ** 63), 2 ** 63 - 1)}
    wrong = [name for name, check in checks.items() if name in options and not check(options[name])]
    if unknown:
        return {}, f"unknown fields {unknown}; known: {sorted(FAULT_FIELDS)}"
    if wrong:
        return {}, (f"bad values for {wrong}: status is an HTTP status 200-599, times a count >= 1, "
                    "retry_after whole seconds, delay seconds up to 60, method an HTTP method, body an object, "
                    "rate a chance in (0, 1], seed a whole number")
    if "seed" in options and "rate" not in options:
        return {}, "bad values for ['seed']: a seed goes with a rate"
    if "status" not in options and "delay" not in options:
        return {}, "a fault needs a status, a delay or both"
    return options, None


class Emulator:
    """Base WSGI app: logs every request, applies faults, then calls `dispatch`."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.requests: RequestLog = RequestLog()
        self._log_lock = threading.Lock()

    def dispatch(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def fault_response(self, fault: Fault) -> Response:
        body = fault.body or {"error": {"code": "", "message": f"Injected fault {fault.status}"}}
        response = Response(json.dumps(body), status=fault.status, content_type="application/json")
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def record(self, request: Request) -> RecordedRequest:
        entry = RecordedRequest(request.method, request.path, dict(request.args),
                                {k.lower(): v for k, v in request.headers.items()},
                                request.get_data(cache=True), datetime.now(timezone.utc).isoformat())
        with self._log_lock:
            self.requests.append(entry)
        return entry

    def control(self, request: Request) -> Response:
        """`/_emulator/...`: the switches, for an emulator running in another process (`smsc emulators`).
        POST /_emulator/faults {"status": 429, "retry_after": 2, "times": 3, "path_contains": "...",
        "method": "POST", "delay": 1.5, "rate": 0.3, "seed": 7, "body": {...}} (201: the rule);
        GET /_emulator/faults (the rules, with their hits); DELETE /_emulator/faults;
        GET /_emulator/requests[?path=<prefix>&method=<M>] (each request: method, path, query, body with
        secrets masked, received, status and headers of the answer); DELETE /_emulator/requests."""
        route = (request.method, request.path)
        if route == ("POST", "/_emulator/faults"):
            options, problem = fault_options(request)
            if problem:
                return json_reply({"error": problem}, 400)
            return json_reply(self.faults.add(**options).shown(), 201)
        if route == ("GET", "/_emulator/faults"):
            return json_reply(self.faults.shown())
        if route == ("DELETE", "/_emulator/faults"):
            self.faults.clear()
            return Response(status=204)
        if route == ("GET", "/_emulator/requests"):
            prefix, method = request.args.get("path", ""), request.args.get("method")
            with self._log_lock:
                chosen = [r for r in self.requests
                          if r.path.startswith(prefix) and (method is None or r.method == method.upper())]
            return json_reply([r.shown() for r in chosen])
        if route == ("DELETE", "/_emulator/requests"):
            with self._log_lock:
                self.requests.clear()
            return Response(status=204)
        return json_reply({"error": "unknown emulator control"}, 404)

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_emulator/"):     # not recorded, never faulted
            return self.control(request)(environ, start_response)
        entry = self.record(request)
        fault = self.faults.take(request)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status:
            response = self.fault_response(fault)
        else:
            response = self.dispatch(request)
        entry.status, entry.answer_headers = response.status_code, dict(response.headers.items())
        return response(environ, start_response)


class EmulatorServer:
    """Serves a WSGI app on 127.0.0.1 (a free port by default) from a background thread."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, ssl_context=None):
        self.app = app
        logging.getLogger("werkzeug").setLevel(logging.ERROR)   # no access log on the console
        self._scheme = "https" if ssl_context is not None else "http"   # clients that refuse plain HTTP
        self._server = make_server(host, port, app, threaded=True, ssl_context=ssl_context)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"{self._scheme}://{self._server.host}:{self._server.port}"

    def start(self) -> "EmulatorServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():         # shutdown() would wait forever for a loop never started
            self._server.shutdown()
        self._server.server_close()

    def wait(self) -> None:
        """Until the server stops (Ctrl-C in a command that serves until interrupted)."""
        self._thread.join()

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
