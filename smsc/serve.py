"""`smsc serve`: the function app's HTTP routes on 127.0.0.1, for `curl` and the web resources.

A real HTTP server (werkzeug) around the registered handlers, called the way the Functions host calls
them (functions.local_host); what a handler puts on a queue output is handed at once, in-process, to
the queue-triggered function of that queue, retried up to the host's maxDequeueCount like the host
would. The in-process work queues of a local run (connector.bootstrap.local_queues: no
`AzureWebJobsStorage`) are run the same way once their messages are due, after each request and every
second (QueueTicker); a message that failed its last attempt goes to the `-poison` queue, whose function
runs it when one is registered, as the Functions host does in Azure. The timer-triggered functions run on
their NCRONTAB schedules in a ticker of their own (smsc.local_timers; `--no-timers` leaves them off). The
shared-key check is the handlers' own, unchanged; the function key is not checked, as Core Tools does not
check it locally either.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

# One loopback WSGI server for the emulators, `smsc serve` and `smsc console`.
from emulators.server import EmulatorServer as BackgroundServer

if TYPE_CHECKING:
    from connector.queues.local import LocalQueue

log = logging.getLogger(__name__)
Invoke = Callable[..., Any]


@lru_cache(maxsize=1)
def _output_queues() -> dict[str, str]:
    """Output binding name -> queue name, over every registered function."""
    from functions.local_host import registered_functions

    queues: dict[str, str] = {}
    for function in registered_functions():
        for binding in function.get_bindings():
            queue = getattr(binding, "queue_name", None)
            if queue and int(binding.direction) == 1:
                queues[binding.name] = queue
    return queues


def _queue_message(body: str, attempt: int) -> Any:
    """The trigger's argument, as the host builds it: the body and how often it was delivered."""
    import azure.functions as func

    class Message(func.QueueMessage):
        @property
        def dequeue_count(self) -> int:
            return attempt

    return Message(body=body)


def run_message(queue_name: str, body: str, worker: Callable[[Any], Any] | None = None) -> list[str]:
    """Runs the queue function on one message, delivered again after a failure up to the host's
    maxDequeueCount; after the last failed attempt the message goes to the `-poison` queue (in-process),
    whose function, if any, runs it from there. What happened, for the log."""
    from connector.campaigns.worker import MAX_ATTEMPTS
    from functions.local_host import queue_function

    worker = worker or queue_function(queue_name)
    outcomes = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            worker(_queue_message(body, attempt))
            outcomes.append(f"{queue_name}: done (attempt {attempt})")
            return outcomes
        except Exception as error:      # the host logs it and delivers the message again
            log.warning("%s: attempt %d failed: %s", queue_name, attempt, error)
            outcomes.append(f"{queue_name}: attempt {attempt} failed: {error}")
    try:
        message = json.loads(body)
    except ValueError:                  # not a message of this app's: said, not kept
        log.error("%s: a message that is not JSON failed %d times and is dropped", queue_name, MAX_ATTEMPTS)
        return [*outcomes, f"{queue_name}: dropped (not JSON)"]
    poison = poison_queue(queue_name)
    poison.put(message)
    return [*outcomes, f"{queue_name}: moved to {poison.name}"]


def poison_queue(queue_name: str) -> LocalQueue:
    """The in-process `-poison` queue of `queue_name` (with its clock, when that queue is in-process too)."""
    from connector.bootstrap import local_queues
    from connector.queues.local import LocalQueue
    from connector.repositories.work_queue import POISON_SUFFIX

    queues = local_queues()
    name = f"{queue_name}{POISON_SUFFIX}"
    if name not in queues:
        source = queues.get(queue_name)
        queues[name] = LocalQueue(name, source.clock) if source else LocalQueue(name)
    return queues[name]


def drain_queue(queue_name: str, payloads: Any) -> list[str]:
    """Runs the queue function on each message now; returns what happened to each (for the log)."""
    from functions.local_host import queue_function

    worker = queue_function(queue_name)
    outcomes = []
    for payload in payloads if isinstance(payloads, list) else [payloads]:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        outcomes += run_message(queue_name, body, worker)
    return outcomes


MAX_PASSES = 10     # a poison message runs in the pass after its failure; a bound for a queue that refills itself


def run_due_messages(queues: Callable[[], Mapping[str, LocalQueue]] | None = None,
                     function_for: Callable[[str], Callable[[Any], Any]] | None = None) -> list[str]:
    """Runs the due messages of every in-process queue that has a queue function (a queue without one,
    e.g. a poison queue nobody reads, keeps its messages), until none is due; what happened, for the log."""
    from connector.bootstrap import local_queues
    from functions.local_host import queue_function

    queues, function_for = queues or local_queues, function_for or queue_function
    outcomes: list[str] = []
    for _ in range(MAX_PASSES):
        ran = False
        for name, queue in list(queues().items()):
            try:
                worker = function_for(name)
            except LookupError:
                continue
            for body in queue.take_due():
                ran = True
                outcomes += run_message(name, body, worker)
        if not ran:
            break
    return outcomes


class Ticker:
    """Calls `run` every `interval` seconds (a daemon thread while the server runs) and logs what it did;
    `after_request` runs it too, without waiting for a run under way."""

    def __init__(self, run: Callable[[], list[str]], interval: float = 1.0, name: str = "smsc-ticker"):
        self.run, self.interval, self.name = run, interval, name
        self._running = threading.Lock()        # one run at a time, like host.json's batchSize 1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, *, wait: bool = True) -> list[str]:
        if not self._running.acquire(blocking=wait):
            return []
        try:
            outcomes = self.run()
        except Exception:                       # a broken run must not end the ticker: logged, tried again
            log.exception("%s: a run failed", self.name)
            return []
        finally:
            self._running.release()
        for outcome in outcomes:
            log.info("%s", outcome)
        return outcomes

    def after_request(self) -> list[str]:
        return self.tick(wait=False)

    def start(self) -> Ticker:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    def __enter__(self) -> Ticker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class QueueTicker(Ticker):
    """Runs the due messages of the in-process queues every `interval` seconds and after each request."""

    def __init__(self, run: Callable[[], list[str]] = run_due_messages, interval: float = 1.0):
        super().__init__(run, interval, name="smsc-queue-ticker")


def timer_ticker(status_file: str | None = None, interval: float = 1.0) -> tuple[Ticker, Any]:
    """The ticker of the timer functions and their TimerHost; the schedule status (use_monitor) in
    `status_file` when the run keeps its database, in memory otherwise."""
    from pathlib import Path

    from smsc.local_timers import FileScheduleStatus, TimerHost

    host = TimerHost(status=FileScheduleStatus(Path(status_file)) if status_file else None)
    return Ticker(host.run_due, interval, name="smsc-timer-ticker"), host


def start_local_functions(scope: Any, *, timers: bool, db: str | None) -> Callable[[], list[str]]:
    """What the Functions host runs besides HTTP, started in `scope` (an ExitStack): the queue ticker and,
    unless `timers` is false, the timer functions; says which; the queue ticker's `after_request`."""
    ticker = scope.enter_context(QueueTicker())
    if not timers:
        print("Timer functions: off (--no-timers).")
        return ticker.after_request
    timer, host = timer_ticker(f"{db}.timers.json" if db else None)
    print("Timer functions, on their NCRONTAB schedules (UTC; run as the Functions host would):")
    for name, schedule, next_run in host.schedules():
        print(f"  {name:<32} {schedule:<18} next {next_run:%H:%M:%S}" if next_run else
              f"  {name:<32} {schedule:<18} now (missed while stopped)")
    scope.enter_context(timer)
    return ticker.after_request


class FunctionHost:
    """WSGI application: `/api/<route>` -> the registered HTTP function, queue outputs drained."""

    def __init__(self, invoke: Invoke | None = None, drain: Callable[[str, Any], list[str]] = drain_queue,
                 after_request: Callable[[], list[str]] | None = None):
        if invoke is None:
            from functions.local_host import invoke as local_invoke
            invoke = local_invoke
        self.invoke, self.drain = invoke, drain
        # The due messages of the in-process queues (smsc serve: QueueTicker.after_request).
        self.after_request = after_request

    def call(self, method: str, route: str, *, body: bytes | None = None, headers: dict | None = None,
             params: dict | None = None) -> Any:
        """The handler's answer (functions.local_host.LocalResponse), its queue outputs already run."""
        answer = self.invoke(method, route, body=body, headers=headers or {}, params=params or {})
        for binding, value in answer.outputs.items():
            queue = _output_queues().get(binding)
            if queue:
                for outcome in self.drain(queue, value):
                    log.info("%s", outcome)
        if self.after_request is not None:
            self.after_request()
        return answer

    def handle(self, request: Request) -> Response:
        if not request.path.startswith("/api/"):
            return _json_error(404, "not_found", "the function app's routes are under /api/")
        headers = {name.lower(): value for name, value in request.headers.items()}
        answer = self.call(request.method, request.path.removeprefix("/api/"), body=request.get_data(),
                           headers=headers, params=dict(request.args))
        content_type = "application/json; charset=utf-8" if answer.body[:1] in (b"{", b"[") else "text/plain"
        return Response(answer.body, status=answer.status, content_type=content_type)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)


def _json_error(status: int, code: str, message: str) -> Response:
    return Response(json.dumps({"error": {"code": code, "message": message}}), status=status,
                    content_type="application/json")


def curl_examples(url: str, key: str) -> list[str]:
    header = f"-H 'x-smsc-webhook-key: {key}'"
    return [f"curl {header} {url}/api/credit",
            f"curl {header} -H 'content-type: application/json' -d '{{\"text\": \"Bonjour\"}}' "
            f"{url}/api/textmessages/preview",
            f"curl {url}/api/health"]


class LateApp:
    """The WSGI app of a server bound before the app can be built (it needs the server's address)."""

    def __init__(self) -> None:
        self.app: Callable | None = None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.app is None:
            return _json_error(503, "starting", "the app is starting")(environ, start_response)
        return self.app(environ, start_response)


def bound_server(port: int) -> tuple[BackgroundServer, LateApp]:
    """A server bound to 127.0.0.1:`port` (0: any free port), not serving yet: bound first, so its address
    is known before the emulators start (the callback URLs name it) and a port in use is said in one line
    (BadInput) before anything else runs. Its app is given to the LateApp."""
    import errno
    import socket

    from connector.errors import BadInput

    if port:
        with socket.socket() as probe:  # werkzeug would print two lines of its own and exit
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)    # as werkzeug's server does
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as error:
                why = "in use by another program" if error.errno == errno.EADDRINUSE else error.strerror
                raise BadInput(f"--port {port}: 127.0.0.1:{port} is {why}; choose another port "
                               "(--port 0: any free one)") from None
    app = LateApp()
    return BackgroundServer(app, port=port), app


def connect_provider(stack: Any, app_url: str) -> str:
    """Tells the provider's emulator where the app is served, as the provider's set-up would: Octopush
    the account's callback URLs, smsmode SMSC_PUBLIC_URL (each message names it), ACS an Event Grid
    subscription (its validation handshake asks the app: call this once the app serves). What it was
    told, keys masked."""
    import os

    from connector.bootstrap import get_services, reset
    from smsc.provider_cli import callback_urls, masked

    if stack.provider == "octopush":      # URLs held by the account (`smsc provider callbacks`)
        urls = callback_urls(app_url, "octopush", stack.webhook_key, None)
        get_services().sms.set_callbacks(urls.deliveries, urls.inbounds, urls.opt_outs)
        return f"registered at Octopush: {masked(urls.deliveries)} and {masked(urls.inbounds)}"
    if stack.provider == "smsmode":
        if os.environ.get("SMSC_PUBLIC_URL") != app_url:
            stack.public_url = os.environ["SMSC_PUBLIC_URL"] = app_url
            reset()
        return f"each smsmode message names {app_url}/api/providers/smsmode/delivery and /inbound"
    url = f"{app_url}/api/providers/acs/events?key={stack.webhook_key}"
    return f"Event Grid subscription {masked(url)} validated: {stack.acs.subscribe(url)}"


def until_interrupted(server: BackgroundServer) -> None:
    try:
        server.wait()
    except KeyboardInterrupt:
        pass


def serve_command(args: Any) -> int:
    """`smsc serve [--port N] [--emulators] [--db FILE] [--no-timers]`."""
    from contextlib import ExitStack

    from connector.bootstrap import reset

    server, app = bound_server(args.port)
    logging.basicConfig(level=logging.INFO, format="%(message)s", force=True)   # a server shows its log
    with ExitStack() as scope:
        scope.callback(server.stop)
        key = stack = None
        if args.emulators:
            from emulators.stack import local_stack
            # The emulators call back the address actually served (--port 0 included).
            stack = scope.enter_context(local_stack(args.db, on_environment_change=reset, public_url=server.url))
            key = stack.form_key         # the routes tried below take the pages' key
            print("Emulators running. Settings the app uses:")
            for name, value in stack.environment.items():
                print(f"  {name}={value}")
        after_request = start_local_functions(scope, timers=not getattr(args, "no_timers", False),
                                              db=args.db if args.emulators else None)
        app.app = FunctionHost(after_request=after_request)
        server.start()
        if stack is not None:
            print(f"Callbacks: {connect_provider(stack, server.url)}")
        print(f"\nFunction app routes on {server.url}/api/ (Ctrl-C to stop). Try:")
        for line in curl_examples(server.url, key or "$SMSC_FORM_KEY"):
            print(f"  {line}")
        until_interrupted(server)
    return 0
