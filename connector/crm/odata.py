"""OData details of the Dataverse Web API: literals, query strings, ids and error answers."""
from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from connector.crm.port import (ConcurrencyConflict, CrmError, DuplicateRecord, PrivilegeDenied, RecordNotFound,
                                Throttled)

OBJECT_DOES_NOT_EXIST = "0x80040217"
DUPLICATE_CODES = frozenset({"0x80060892", "0x80040237"})          # alternate key, primary key
THROTTLE_CODES = frozenset({"0x80072322", "0x80072321", "0x80072326"})  # count, time, concurrency
PRIVILEGE_CODE = "0x80040220"     # « Principal user … is missing prv… privilege » (the caller's security roles)
DUPLICATE_MESSAGE = "a record with matching key values already exists"  # If-None-Match: * answer

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# Left readable in URLs (and logs): OData's own punctuation. `+ & # = ? %` and spaces are encoded.
_QUERY_SAFE = "$,'()/:@"


def odata_literal(value: Any) -> str:
    """`value` as an OData literal for `$filter`: strings quoted with `'` doubled."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (int, float, decimal.Decimal, uuid.UUID)):
        return str(value)                       # GUIDs are unquoted in Dataverse filters
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"no OData literal for {type(value).__name__}")


def query_string(options: Mapping[str, Any]) -> str:
    """`$select=a,b&$filter=…` from the options that are set."""
    return "&".join(f"{name}={quote(str(value), safe=_QUERY_SAFE)}"
                    for name, value in options.items() if value not in (None, ""))


def to_json(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, default=_json_default, ensure_ascii=False).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)                     # Money and Decimal columns take JSON numbers
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def entity_id(response: requests.Response) -> str:
    """The GUID at the end of `OData-EntityId: …/contacts(GUID)`."""
    return id_from_header(response.headers.get("OData-EntityId", ""), response.status_code)


def id_from_header(header: str, status: int) -> str:
    ids = _GUID.findall(header)
    if not ids:
        raise CrmError(status, "", f"no record id in OData-EntityId {header!r}")
    return ids[-1]


def raise_for_error(response: requests.Response) -> None:
    if response.status_code >= 400:
        raise error_from(response)


def error_from(response: requests.Response) -> CrmError:
    return error_for(response.status_code, response.content, response.reason)


def error_for(status: int, content: bytes, reason: str | None = None) -> CrmError:
    """The port's error for a status and a body (a whole answer or one part of a `$batch` answer)."""
    code, message = _error_body(status, content, reason)
    return _error_class(status, code.lower(), message.lower())(status, code, message)


def _error_class(status: int, code: str, message: str) -> type[CrmError]:
    # The code is "frequently empty" per the docs: the status decides, the code refines.
    if code in DUPLICATE_CODES or DUPLICATE_MESSAGE in message:
        return DuplicateRecord
    if status == 404 or code == OBJECT_DOES_NOT_EXIST:
        return RecordNotFound
    if status == 412:
        return ConcurrencyConflict
    if status == 429 or code in THROTTLE_CODES:
        return Throttled
    if status == 403 and code == PRIVILEGE_CODE and "missing prv" in message:
        return PrivilegeDenied
    return CrmError


def _error_body(status: int, content: bytes, reason: str | None) -> tuple[str, str]:
    """(code, message) from `{"error": {"code", "message"}}`, or a bounded excerpt of any other body."""
    try:
        error = json.loads(content).get("error")
        if isinstance(error, dict):
            return str(error.get("code") or ""), str(error.get("message") or "")
    except (ValueError, AttributeError):
        pass
    text = " ".join(content.decode("utf-8", "replace").split())[:300]
    return "", text or reason or f"HTTP {status}"
