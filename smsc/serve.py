"""`smsc serve`: the function app's HTTP routes on 127.0.0.1, for `curl` and the web resources.

A real HTTP server (werkzeug) around the registered handlers, called the way the Functions host calls
them (functions.local_host); what a handler puts on a queue output is handed at once, in-process, to
the queue-triggered function of that queue, retried up to the host's maxDequeueCount like the host
would. The shared-key check is the handlers' own, unchanged; the function key is not checked, as Core
Tools does not check it locally either.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from werkzeug.wrappers import Request, Response

# One loopback WSGI server for the emulators, `smsc serve` and `smsc console`.
from emulators.server import EmulatorServer as BackgroundServer

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


def drain_queue(queue_name: str, payloads: Any) -> list[str]:
    """Runs the queue function on each message now; returns what happened to each (for the log)."""
    import azure.functions as func

    from connector.campaigns.worker import MAX_ATTEMPTS
    from functions.local_host import queue_function

    class Message(func.QueueMessage):
        def __init__(self, body: str, attempt: int):
            super().__init__(body=body)
            self.attempt = attempt

        @property
        def dequeue_count(self) -> int:
            return self.attempt

    worker = queue_function(queue_name)
    outcomes = []
    for payload in payloads if isinstance(payloads, list) else [payloads]:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                worker(Message(body, attempt))
                outcomes.append(f"{queue_name}: done (attempt {attempt})")
                break
            except Exception as error:      # the host logs it and delivers the message again
                log.warning("%s: attempt %d failed: %s", queue_name, attempt, error)
                outcomes.append(f"{queue_name}: attempt {attempt} failed: {error}")
    return outcomes


class FunctionHost:
    """WSGI application: `/api/<route>` -> the registered HTTP function, queue outputs drained."""

    def __init__(self, invoke: Invoke | None = None, drain: Callable[[str, Any], list[str]] = drain_queue):
        if invoke is None:
            from functions.local_host import invoke as local_invoke
            invoke = local_invoke
        self.invoke, self.drain = invoke, drain

    def call(self, method: str, route: str, *, body: bytes | None = None, headers: dict | None = None,
             params: dict | None = None) -> Any:
        """The handler's answer (functions.local_host.LocalResponse), its queue outputs already run."""
        answer = self.invoke(method, route, body=body, headers=headers or {}, params=params or {})
        for binding, value in answer.outputs.items():
            queue = _output_queues().get(binding)
            if queue:
                for outcome in self.drain(queue, value):
                    log.info("%s", outcome)
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


def until_interrupted(server: BackgroundServer) -> None:
    try:
        server.wait()
    except KeyboardInterrupt:
        pass


def serve_command(args: Any) -> int:
    """`smsc serve [--port N] [--emulators] [--db FILE]`."""
    from contextlib import ExitStack

    from connector.bootstrap import reset

    logging.basicConfig(level=logging.INFO, format="%(message)s", force=True)   # a server shows its log
    with ExitStack() as scope:
        key = None
        if args.emulators:
            from emulators.stack import local_stack
            stack = scope.enter_context(local_stack(args.db, on_environment_change=reset))
            key = stack.form_key         # the routes tried below take the pages' key
            print("Emulators running. Settings the app uses:")
            for name, value in stack.environment.items():
                print(f"  {name}={value}")
        server = scope.enter_context(BackgroundServer(FunctionHost(), port=args.port))
        print(f"\nFunction app routes on {server.url}/api/ (Ctrl-C to stop). Try:")
        for line in curl_examples(server.url, key or "$SMSC_FORM_KEY"):
            print(f"  {line}")
        until_interrupted(server)
    return 0

