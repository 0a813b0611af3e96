"""Runs the app's HTTP functions in-process, the way the Functions host calls them.

Core Tools (`func start`) cannot be installed everywhere (see README); the demo, the tests and the
benchmarks call the registered handlers through this instead, with the same request objects.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import azure.functions as func


@dataclass(frozen=True)
class LocalResponse:
    status: int
    body: bytes

    def json(self):
        return json.loads(self.body) if self.body else None


@lru_cache(maxsize=1)
def registered_functions() -> list:
    """`app.get_functions()` once: the SDK refuses to index the same app twice."""
    from function_app import app

    return app.get_functions()


@lru_cache(maxsize=1)
def _routes() -> dict[tuple[str, str], object]:
    routes = {}
    for function in registered_functions():
        trigger = function.get_trigger()
        for method in getattr(trigger, "methods", None) or ():
            routes[(str(method.value if hasattr(method, "value") else method).upper(), trigger.route)] = \
                function.get_user_function()
    return routes


def invoke(method: str, route: str, *, body: bytes | dict | None = None, headers: dict | None = None,
           params: dict | None = None) -> LocalResponse:
    handler = _routes().get((method.upper(), route))
    if handler is None:
        return LocalResponse(404, b'{"error": {"code": "not_found", "message": "no such route"}}')
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    request = func.HttpRequest(method.upper(), f"http://localhost/api/{route}", body=body or b"",
                               headers=headers or {}, params=params or {})
    response = handler(request)
    return LocalResponse(response.status_code, response.get_body())
