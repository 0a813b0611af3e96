"""What both emulators share: a threaded loopback HTTP server, a request log and fault injection.

An emulator subclasses `Emulator` and implements `dispatch(request) -> Response`. Faults (status
codes with `Retry-After`, slow answers) are applied before dispatch, so the protocol code under test
sees exactly what a throttled or failing service would send.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]     # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    status: int | None = None          # None: only the delay applies
    times: int = 1                     # how many matching requests it hits
    retry_after: int | None = None
    delay: float = 0.0                 # seconds before answering
    path_contains: str | None = None
    method: str | None = None
    body: dict | None = None

    def matches(self, request: Request) -> bool:
        return ((self.path_contains is None or self.path_contains in request.full_path)
                and (self.method is None or self.method == request.method))


@dataclass
class Faults:
    rules: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int | None = None, **kwargs) -> Fault:
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
                if fault.times > 0 and fault.matches(request):
                    fault.times -= 1
                    return fault
        return None


FAULT_FIELDS = {"status", "times", "retry_after", "delay", "path_contains", "method", "body"}
HTTP_METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"}


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _seconds(value: Any, high: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= high


def fault_options(request: Request) -> tuple[dict, str | None]:
    """The fault a control request asks for, or the problem with it (answered 400, nothing added)."""
    if request.mimetype != "application/json":
        return {}, "send the fault as JSON (Content-Type: application/json)"
    try:
        options = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as error:
        return {}, f"the body is not valid JSON: {error}"
    if not isinstance(options, dict):
        return {}, "the body must be a JSON object such as {\"status\": 429, \"retry_after\": 2}"
    unknown = sorted(set(options) - FAULT_FIELDS)
    checks = {
        "status": lambda v: _whole(v, 200, 599), "times": lambda v: _whole(v, 1, 1_000_000),
        "retry_after": lambda v: _whole(v, 0, 3600), "delay": lambda v: _seconds(v, 60),
        "path_contains": lambda v: isinstance(v, str), "method": lambda v: v in HTTP_METHODS,
        "body": lambda v: isinstance(v, dict)}
    wrong = [name for name, check in checks.items() if name in options and not check(options[name])]
    if unknown:
        return {}, f"unknown fields {unknown}; known: {sorted(FAULT_FIELDS)}"
    if wrong:
        return {}, (f"bad values for {wrong}: status is an HTTP status 200-599, times a count >= 1, "
                    "retry_after whole seconds, delay seconds up to 60, method an HTTP method, body an object")
    if "status" not in options and "delay" not in options:
        return {}, "a fault needs a status, a delay or both"
    return options, None


class Emulator:
    """Base WSGI app: logs every request, applies faults, then calls `dispatch`."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self._log_lock = threading.Lock()

    def dispatch(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def fault_response(self, fault: Fault) -> Response:
        body = fault.body or {"error": {"code": "", "message": f"Injected fault {fault.status}"}}
        response = Response(json.dumps(body), status=fault.status, content_type="application/json")
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    def record(self, request: Request) -> None:
        entry = RecordedRequest(request.method, request.path, dict(request.args),
                                {k.lower(): v for k, v in request.headers.items()},
                                request.get_data(cache=True))
        with self._log_lock:
            self.requests.append(entry)

    def control(self, request: Request) -> Response:
        """`/_emulator/...`: the switches, for an emulator running in another process (`smsc emulators`).
        POST /_emulator/faults {"status": 429, "retry_after": 2, "times": 3, "path_contains": "...",
        "delay": 1.5}; DELETE /_emulator/faults; GET /_emulator/requests (method, path, query)."""
        if request.path == "/_emulator/faults" and request.method == "POST":
            options, problem = fault_options(request)
            if problem:
                return Response(json.dumps({"error": problem}), status=400, content_type="application/json")
            fault = self.faults.add(**options)
            return Response(json.dumps(fault.__dict__), status=201, content_type="application/json")
        if request.path == "/_emulator/faults" and request.method == "DELETE":
            self.faults.clear()
            return Response(status=204)
        if request.path == "/_emulator/requests" and request.method == "GET":
            with self._log_lock:
                log = [{"method": r.method, "path": r.path, "query": r.query} for r in self.requests]
            return Response(json.dumps(log), content_type="application/json")
        return Response(json.dumps({"error": "unknown emulator control"}), status=404,
                        content_type="application/json")

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_emulator/"):     # not recorded, never faulted
            return self.control(request)(environ, start_response)
        self.record(request)
        fault = self.faults.take(request)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status:
            response = self.fault_response(fault)
        else:
            response = self.dispatch(request)
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
        self._server.shutdown()
        self._server.server_close()

    def wait(self) -> None:
        """Until the server stops (Ctrl-C in a command that serves until interrupted)."""
        self._thread.join()

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
