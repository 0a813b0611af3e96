"""Traces for support: one per webhook call, HTTP route, queue message and timer run, with a span per
Dataverse and provider request. The ONLY module that imports OpenTelemetry.

On when `APPLICATIONINSIGHTS_CONNECTION_STRING` is set (Azure Monitor through
`azure-monitor-opentelemetry`), off otherwise: then `span` is a no-op and nothing of OpenTelemetry is
imported, so a cold start pays nothing for it. What goes into an attribute is cleaned here, once:
names that smell of a secret are dropped, phone numbers are masked (`+33 6•• •• •• 06`). Log lines get
the same phone masking (`install_log_masking`), whether telemetry is on or not.
"""
from __future__ import annotations

import functools
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

CONNECTION_STRING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
# Set by the platform when Application Insights takes Entra ID tokens only (local auth disabled).
AUTHENTICATION_STRING = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"
TRACER_NAME = "smsc"
# An attribute whose name holds one of these words is never recorded, whatever its value.
SECRET_WORDS = ("key", "secret", "token", "password", "authorization", "credential", "cookie", "signature")
# The one header value worth recording: Dataverse's id of the request, which Microsoft support asks for.
CORRELATION_HEADER = "x-ms-correlation-request-id"
MASK = "•"

Attribute = str | bool | int | float

_lock = threading.Lock()
_configured = False
_tracer: Any = None          # an opentelemetry Tracer while telemetry is on, else None


# -- masking ----------------------------------------------------------------------------------------
# International numbers (+33 6 49 81 90 06, +33649819006, 0033…, %2B33… in a logged URL) and French
# national ones (06 49 81 90 06).
# Compiled at the first use, not at import (cold starts).
_INTERNATIONAL = r"(?<![\w+%])(?:\+|%2[Bb]|00)[1-9](?:[ .\-]?\d){6,14}(?!\d)"
_NATIONAL = r"(?<![\w+])0[1-9](?:[ .\-]?\d{2}){4}(?!\d)"
# ITU country calling codes of one and two digits; every other code has three.
_ONE_DIGIT_CODES = {"1", "7"}
_TWO_DIGIT_CODES = set(
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 "
    "81 82 84 86 90 91 92 93 94 95 98".split())


def _masked_national(digits: str) -> str:
    """First digit and last two kept, the rest masked, grouped by two from the end: 6•• •• •• 06."""
    if len(digits) < 4:
        return MASK * len(digits)
    rest = MASK * (len(digits) - 3) + digits[-2:]
    groups = [rest[max(0, end - 2):end] for end in range(len(rest), 0, -2)][::-1]
    return f"{digits[0]}{groups[0]} {' '.join(groups[1:])}".rstrip()


def _mask_international(match: re.Match) -> str:
    text = match.group()
    digits = re.sub(r"\D", "", text[3:] if text.startswith("%") else text)
    if text.startswith("00"):
        digits = digits[2:]
    size = 1 if digits[:1] in _ONE_DIGIT_CODES else 2 if digits[:2] in _TWO_DIGIT_CODES else 3
    return f"+{digits[:size]} {_masked_national(digits[size:])}"


def _mask_national(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return f"0{_masked_national(digits[1:])}"


def mask_phone_numbers(text: str) -> str:
    """`text` with every phone number masked: +33649819006 → `+33 6•• •• •• 06`."""
    if not any(c.isdigit() for c in text):
        return text
    return re.sub(_NATIONAL, _mask_national, re.sub(_INTERNATIONAL, _mask_international, text))


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def clean_attributes(attributes: Mapping[str, Any]) -> dict[str, Attribute]:
    """What may be recorded: no secret-looking name, no None, phone numbers masked in text."""
    cleaned: dict[str, Attribute] = {}
    for name, value in attributes.items():
        if value is None or is_secret_name(name):
            continue
        if isinstance(value, (bool, int, float)):
            cleaned[name] = value
        else:
            cleaned[name] = mask_phone_numbers(str(value))
    return cleaned


class MaskPhoneNumbers(logging.Filter):
    """Rewrites a log record's message with its phone numbers masked (the record is shared by every
    handler after this filter, so all of them see the masked text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:       # a malformed record: let logging report it as it always does
            return True
        masked = mask_phone_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_MASKING = MaskPhoneNumbers()


def install_log_masking() -> None:
    """Masks phone numbers in every log record, from its creation (so the Functions host's handler,
    Application Insights' and pytest's all receive masked text). Idempotent."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "masks_phone_numbers", False):
        return

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _MASKING.filter(record)
        return record

    masked_record.masks_phone_numbers = True       # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)


# -- configuration ----------------------------------------------------------------------------------
def configure(environ: Mapping[str, str] | None = None) -> bool:
    """Once per process: Azure Monitor when the connection string is set; log masking always.
    Returns whether telemetry is on."""
    global _configured, _tracer
    if _configured:
        return _tracer is not None
    with _lock:
        if not _configured:
            install_log_masking()
            env = os.environ if environ is None else environ
            if env.get(CONNECTION_STRING):
                _tracer = _azure_monitor_tracer(env)
            _configured = True
    return _tracer is not None


def _azure_monitor_tracer(env: Mapping[str, str]) -> Any:
    from azure.monitor.opentelemetry import configure_azure_monitor
    from opentelemetry import trace

    options: dict[str, Any] = {
        "connection_string": env[CONNECTION_STRING],
        # Our own HTTP spans (connector/http.py) record the path without its query (OData filters carry
        # phone numbers, callback URLs carry keys): the generic HTTP instrumentations stay off.
        "instrumentation_options": {name: {"enabled": False} for name in (
            "requests", "urllib", "urllib3", "django", "fastapi", "flask", "psycopg2")},
        # Log lines already reach Application Insights through the Functions host.
        "disable_logging": True,
    }
    if "AAD" in env.get(AUTHENTICATION_STRING, ""):
        from azure.identity import ManagedIdentityCredential

        client_id = dict(part.split("=", 1) for part in env[AUTHENTICATION_STRING].split(";")
                         if "=" in part).get("ClientId")
        options["credential"] = ManagedIdentityCredential(client_id=client_id) if client_id \
            else ManagedIdentityCredential()
    configure_azure_monitor(**options)
    return trace.get_tracer(TRACER_NAME)


def use_tracer_provider(provider: Any) -> None:
    """Telemetry on, with this OpenTelemetry TracerProvider (tests: an in-memory exporter)."""
    global _configured, _tracer
    with _lock:
        install_log_masking()
        _tracer = provider.get_tracer(TRACER_NAME)
        _configured = True


def reset() -> None:
    """Back to unconfigured (tests)."""
    global _configured, _tracer
    with _lock:
        _configured, _tracer = False, None


def enabled() -> bool:
    return configure()


# -- spans ------------------------------------------------------------------------------------------
class Span:
    """What a caller may do with its span: add attributes (cleaned), record the error. No-op when off."""

    def __init__(self, otel_span: Any = None):
        self._span = otel_span

    def set(self, **attributes: Any) -> None:
        if self._span is not None:
            self._span.set_attributes(clean_attributes(attributes))

    def failed(self, error: BaseException) -> None:
        if self._span is not None:
            from opentelemetry.trace import Status, StatusCode

            # The type only: a message may quote a response body or a number.
            self._span.set_status(Status(StatusCode.ERROR, type(error).__name__))


_NO_SPAN = Span()


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[Span]:
    """A span named `name` around the block, child of the current one; a no-op when telemetry is off."""
    if not configure():
        yield _NO_SPAN
        return
    with _tracer.start_as_current_span(name, attributes=clean_attributes(attributes),
                                       record_exception=False, set_status_on_exception=False) as current:
        wrapper = Span(current)
        try:
            yield wrapper
        except BaseException as error:
            wrapper.failed(error)
            raise


def annotate(**attributes: Any) -> None:
    """Attributes on the current span (the webhook call, the queue message...), if there is one."""
    if not configure():
        return
    from opentelemetry import trace

    Span(trace.get_current_span()).set(**attributes)


def traced(name: str, attributes: Callable[..., Mapping[str, Any]] | None = None
           ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for a trigger: its run in one span `name` (a trace of its own when nothing is current).
    `attributes(*args, **kwargs)` gives the span's attributes from the trigger's arguments."""
    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)      # the Functions worker reads the wrapped signature and annotations
        def run(*args: Any, **kwargs: Any) -> Any:
            with span(name, **(attributes(*args, **kwargs) if attributes and enabled() else {})):
                return function(*args, **kwargs)
        return run
    return decorate


def queue_message_attributes(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """A queue message's id, delivery count and the campaign it is about (never its other content)."""
    import json

    message = next((a for a in (*args, *kwargs.values()) if hasattr(a, "get_body")), None)
    if message is None:
        return {}
    try:
        body = json.loads(message.get_body())
    except (ValueError, TypeError):
        body = {}
    campaign = body.get("campaignid") if isinstance(body, dict) else None
    return {"messaging.message.id": getattr(message, "id", None),
            "messaging.delivery_count": getattr(message, "dequeue_count", None),
            "smsc.campaign_id": campaign}
