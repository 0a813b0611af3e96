"""Runs the app's functions in-process, the way the Functions host calls them.

Core Tools (`func start`) cannot be installed everywhere (see README); the demo, the tests and the
benchmarks call the registered handlers through this instead, with the same request objects; `smsc
serve` also finds here the queue-triggered and timer-triggered functions it runs (smsc.serve,
smsc.local_timers).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import azure.functions as func


@dataclass(frozen=True)
class LocalResponse:
    status: int
    body: bytes
    outputs: dict = field(default_factory=dict)     # what the function set on its output bindings

    def json(self):
        return json.loads(self.body) if self.body else None


@lru_cache(maxsize=1)
def registered_functions() -> list:
    """`app.get_functions()` once: the SDK refuses to index the same app twice."""
    from function_app import app

    return app.get_functions()


class LocalOut:
    """Stands for an output binding (`func.Out`): keeps what the function sets."""

    def __init__(self):
        self.value = None

    def set(self, value) -> None:
        self.value = value

    def get(self):
        return self.value


@lru_cache(maxsize=1)
def _routes() -> dict[tuple[str, str], tuple[Callable[..., Any], tuple[str, ...]]]:
    routes: dict[tuple[str, str], tuple[Callable[..., Any], tuple[str, ...]]] = {}
    for function in registered_functions():
        trigger = function.get_trigger()
        outputs = tuple(b.name for b in function.get_bindings()
                        if b.name not in ("$return", trigger.name) and int(b.direction) == 1)
        for method in getattr(trigger, "methods", None) or ():
            routes[(str(method.value if hasattr(method, "value") else method).upper(), trigger.route)] = \
                (function.get_user_function(), outputs)
    return routes


def queue_function(queue_name: str):
    """The user function of the queue trigger reading `queue_name`."""
    for function in registered_functions():
        if getattr(function.get_trigger(), "queue_name", None) == queue_name:
            return function.get_user_function()
    raise LookupError(queue_name)


@dataclass(frozen=True)
class TimerRegistration:
    """A timer-triggered function as registered: its NCRONTAB schedule (six fields, seconds first) and
    the host options `run_on_startup` and `use_monitor`."""
    name: str
    schedule: str
    run_on_startup: bool
    use_monitor: bool
    function: Callable[[func.TimerRequest], Any]


def timer_functions() -> list[TimerRegistration]:
    """The app's timer-triggered functions, in the order they were registered."""
    timers = []
    for function in registered_functions():
        trigger = function.get_trigger()
        if trigger.get_binding_name() == "timerTrigger":
            timers.append(TimerRegistration(function.get_function_name(), trigger.schedule,
                                            bool(trigger.run_on_startup), bool(trigger.use_monitor),
                                            function.get_user_function()))
    return timers


def timer_request(*, past_due: bool = False, status: dict | None = None) -> func.TimerRequest:
    """The trigger's argument, as the Python worker builds it from the host's TimerInfo: whether the
    run is for a missed occurrence, and the schedule status (`Last`, `Next`, `LastUpdated`) when the
    function uses the monitor."""
    from azure.functions.timer import TimerRequest

    return TimerRequest(past_due=past_due, schedule_status=status or {}, schedule={"AdjustForDST": True})


def route_match(template: str, route: str) -> dict[str, str] | None:
    """The route parameters when `route` fits `template` (`providers/{provider}/delivery`), else None."""
    parts, given = template.split("/"), route.split("/")
    if len(parts) != len(given):
        return None
    params = {}
    for part, value in zip(parts, given):
        if part.startswith("{") and part.endswith("}") and value:
            params[part[1:-1].split(":")[0]] = value
        elif part != value:
            return None
    return params


def _find(method: str, route: str):
    """(handler, output names, route parameters) of the function serving `method route`, or None."""
    found = _routes().get((method, route))
    if found is not None:
        return (*found, {})
    for (known_method, template), (handler, outputs) in _routes().items():
        params = route_match(template, route) if known_method == method and "{" in template else None
        if params is not None:
            return handler, outputs, params
    return None


def invoke(method: str, route: str, *, body: bytes | dict | None = None, headers: dict | None = None,
           params: dict | None = None) -> LocalResponse:
    found = _find(method.upper(), route)
    if found is None:
        return LocalResponse(404, b'{"error": {"code": "not_found", "message": "no such route"}}')
    handler, output_names, route_params = found
    outputs = {name: LocalOut() for name in output_names}
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    request = func.HttpRequest(method.upper(), f"http://localhost/api/{route}", body=body or b"",
                               headers=headers or {}, params=params or {}, route_params=route_params)
    response = handler(request, **outputs)
    sent = {name: out.value for name, out in outputs.items() if out.value is not None}
    return LocalResponse(response.status_code, response.get_body(), sent)
