"""`$batch` bodies of the Dataverse Web API (OData v4.0 §11.7: multipart/mixed of application/http).

Written and read here by hand: a few lines of CRLF framing, simpler than bending a MIME library to
HTTP messages. Request (docs: "Execute batch operations using the Web API"):

    --batch_<uuid>
    Content-Type: application/http
    Content-Transfer-Encoding: binary

    POST https://org.crm.dynamics.com/api/data/v9.2/contacts HTTP/1.1
    Content-Type: application/json; type=entry

    {"lastname": "Doe"}
    --batch_<uuid>--

Answer: `--batchresponse_<id>` parts in request order, each `HTTP/1.1 204 No Content` with
`OData-EntityId`, or an error status with `{"error": {"code", "message"}}`; change-set answers
(nested `multipart/mixed`) are flattened in order.
"""
from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from connector.crm.odata import error_for, error_from, id_from_header, to_json
from connector.crm.port import BatchItemResult, CrmError

MAX_REQUESTS = 1000              # per $batch, no nesting
GET_URL_LIMIT = 32_768           # longer GET URLs go inside a $batch (our threshold, not a documented one)
BATCH_GET_URL_LIMIT = 65_536     # "a GET within a $batch allows URLs up to 64 KB"
ENTRY = "application/json; type=entry"
CONTINUE_ON_ERROR = "odata.continue-on-error"
CRLF = "\r\n"
_STATUS_LINE = re.compile(r"HTTP/\d\.\d (\d{3})(?: (.*))?")
_BLANK_LINE = re.compile(rb"(?:\A|\r?\n)\r?\n")     # ends the headers (at once if there are none)


@dataclass(frozen=True)
class Request:
    """One operation inside the batch; `url` absolute (the form the docs' .NET helper sends)."""
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class Answer:
    """One operation's answer, from its `application/http` part."""
    status: int
    reason: str
    headers: CaseInsensitiveDict
    body: bytes


def create_requests(url: str, rows: Sequence[Mapping[str, Any]]) -> list[Request]:
    """One `POST <set>` per row, `Content-Type: application/json; type=entry`, UTF-8 JSON body."""
    if len(rows) > MAX_REQUESTS:
        raise ValueError(f"a $batch holds at most {MAX_REQUESTS} requests, not {len(rows)}")
    return [Request("POST", url, {"Content-Type": ENTRY}, to_json(row)) for row in rows]


def update_requests(set_url: str, updates: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Request]:
    """One `PATCH <set>(<id>)` per row, `If-Match: *` so a deleted row is not re-created (upsert)."""
    if len(updates) > MAX_REQUESTS:
        raise ValueError(f"a $batch holds at most {MAX_REQUESTS} requests, not {len(updates)}")
    return [Request("PATCH", f"{set_url}({record_id})", {"Content-Type": ENTRY, "If-Match": "*"}, to_json(body))
            for record_id, body in updates]


def upsert_requests(set_url: str, rows: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Request]:
    """One `PATCH <set>(<key>)` per row WITHOUT If-Match: the key's row is updated, or created (the
    single-row `upsert`, batched). `key` comes already addressed (`smsc_phonenumber='%2B33…'`)."""
    if len(rows) > MAX_REQUESTS:
        raise ValueError(f"a $batch holds at most {MAX_REQUESTS} requests, not {len(rows)}")
    return [Request("PATCH", f"{set_url}({key})", {"Content-Type": ENTRY}, to_json(body)) for key, body in rows]


def create_multiple_request(set_url: str, logical_name: str, rows: Sequence[Mapping[str, Any]]) -> Request:
    """`POST <set>/Microsoft.Dynamics.CRM.CreateMultiple` (one operation, all or nothing, however many rows)."""
    targets = [{"@odata.type": f"Microsoft.Dynamics.CRM.{logical_name}", **row} for row in rows]
    return Request("POST", f"{set_url}/Microsoft.Dynamics.CRM.CreateMultiple", {"Content-Type": "application/json"},
                   to_json({"Targets": targets}))


def get_request(url: str, headers: Mapping[str, str]) -> Request:
    """A GET whose URL is too long to send plainly (long FetchXML): ≤ 64 KB inside a batch."""
    if len(url) > BATCH_GET_URL_LIMIT:
        raise ValueError(f"query URL of {len(url)} characters: over the {BATCH_GET_URL_LIMIT} a $batch GET allows")
    return Request("GET", url, headers)


def new_boundary() -> str:
    return f"batch_{uuid.uuid4()}"


def encode(operations: Sequence[Request], boundary: str) -> bytes:
    """The multipart body: each request framed by `--<boundary>`, closed by `--<boundary>--`."""
    parts = []
    for request in operations:
        head = [f"--{boundary}", "Content-Type: application/http", "Content-Transfer-Encoding: binary", "",
                f"{request.method} {request.url} HTTP/1.1", *(f"{k}: {v}" for k, v in request.headers.items()), ""]
        parts.append((CRLF.join(head) + CRLF).encode("ascii") + (request.body or b""))
    return b"\r\n".join(parts) + f"{CRLF}--{boundary}--{CRLF}".encode("ascii")


def decode(content_type: str, body: bytes, status: int = 200) -> list[Answer]:
    """The answers of a `multipart/mixed` body, in order (change sets flattened)."""
    media, boundary = _media_type(content_type)
    if media != "multipart/mixed" or not boundary:
        raise CrmError(status, "", f"$batch answer is not multipart/mixed: {content_type!r}")
    answers: list[Answer] = []
    for part in _split(body, boundary, status):
        headers, content = _head(part)
        part_type = headers.get("Content-Type", "")
        # Parsed only when it may be a change set: most parts are `application/http` (1,000 a batch).
        if "multipart" in part_type.lower() and _media_type(part_type)[0] == "multipart/mixed":
            answers += decode(part_type, content, status)
        else:
            answers.append(_answer(content, status))
    return answers


def raise_for_error(response: requests.Response) -> None:
    """A failed `$batch`: the error of its first failing part when the body is multipart, as the docs show
    without `continue-on-error`; otherwise the usual error of the answer."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("Content-Type", "")
    if _media_type(content_type)[0] == "multipart/mixed":
        try:
            answers = decode(content_type, response.content, response.status_code)
        except CrmError:
            answers = []
        for answer in answers:
            if answer.status >= 400:
                raise error_for(answer.status, answer.body, answer.reason)
    raise error_from(response)


def first_refused(answers: Sequence[Answer]) -> tuple[int, CrmError] | None:
    """Where a `$batch` without continue-on-error stopped: the refused operation's index and its error."""
    return next(((n, error_for(a.status, a.body, a.reason)) for n, a in enumerate(answers) if a.status >= 400), None)


def answers_to_failure(response: requests.Response) -> list[Answer]:
    """The answers of a `$batch` sent without continue-on-error: those run, in order, the first failure
    last (the operations after it were not run). A failure without a multipart body raises."""
    content_type = response.headers.get("Content-Type", "")
    if response.status_code >= 400 and _media_type(content_type)[0] != "multipart/mixed":
        raise error_from(response)
    return decode(content_type, response.content, response.status_code)


def create_results(count: int, answers: Sequence[Answer]) -> list[BatchItemResult]:
    """One result per create, in order; a row without an answer (the batch stopped) was not run."""
    if len(answers) > count:
        raise CrmError(200, "", f"$batch answered {len(answers)} parts for {count} requests")
    results = [_create_result(answer) for answer in answers]
    return results + [BatchItemResult(0, error=CrmError(0, "NotRun", "no answer in the $batch response"))
                      for _ in range(count - len(results))]


def update_results(ids: Sequence[str], answers: Sequence[Answer]) -> list[BatchItemResult]:
    """One result per update, in order, carrying the row's id."""
    results = [BatchItemResult(a.status, id=i, error=error_for(a.status, a.body, a.reason) if a.status >= 400 else None)
               for i, a in zip(ids, answers)]
    return results + [BatchItemResult(0, id=i, error=CrmError(0, "NotRun", "no answer in the $batch response"))
                      for i in ids[len(results):]]


def upsert_results(count: int, answers: Sequence[Answer]) -> list[BatchItemResult]:
    """One result per upsert, in order: the row's id when the answer names it (created or updated)."""
    if len(answers) > count:
        raise CrmError(200, "", f"$batch answered {len(answers)} parts for {count} requests")
    results = [_upsert_result(answer) for answer in answers]
    return results + [BatchItemResult(0, error=CrmError(0, "NotRun", "no answer in the $batch response"))
                      for _ in range(count - len(results))]


def _upsert_result(answer: Answer) -> BatchItemResult:
    if answer.status >= 400:
        return BatchItemResult(answer.status, error=error_for(answer.status, answer.body, answer.reason))
    location = answer.headers.get("OData-EntityId") or answer.headers.get("Location", "")
    try:
        return BatchItemResult(answer.status, id=id_from_header(location, answer.status))
    except CrmError:                       # written; an upsert's answer need not name the row
        return BatchItemResult(answer.status)


def single_json(answers: Sequence[Answer]) -> Any:
    """The JSON of the one GET sent in a batch, or its error raised."""
    if len(answers) != 1:
        raise CrmError(200, "", f"$batch answered {len(answers)} parts for 1 request")
    answer = answers[0]
    if answer.status >= 400:
        raise error_for(answer.status, answer.body, answer.reason)
    return json.loads(answer.body)


def _create_result(answer: Answer) -> BatchItemResult:
    if answer.status >= 400:
        return BatchItemResult(answer.status, error=error_for(answer.status, answer.body, answer.reason))
    try:
        location = answer.headers.get("OData-EntityId") or answer.headers.get("Location", "")
        return BatchItemResult(answer.status, id=id_from_header(location, answer.status))
    except CrmError as exc:                # created, but the answer does not say which row
        return BatchItemResult(answer.status, error=exc)


def _split(body: bytes, boundary: str, status: int) -> list[bytes]:
    """The parts between `--boundary` lines; the line break before a delimiter belongs to it (RFC 2046)."""
    delimiter = re.compile(rb"(?:\A|\r?\n)--" + re.escape(boundary.encode("ascii")) + rb"(--)?[ \t]*(?:\r?\n|\Z)")
    parts: list[bytes] = []
    start: int | None = None
    for match in delimiter.finditer(body):
        if start is not None:
            parts.append(body[start:match.start()])
        if match.group(1):
            return parts
        start = match.end()
    raise CrmError(status, "", f"$batch answer without its closing --{boundary}--")


def _head(block: bytes) -> tuple[CaseInsensitiveDict, bytes]:
    """Header lines up to the first empty line, and what follows it."""
    blank = _BLANK_LINE.search(block)
    head, content = (block[:blank.start()], block[blank.end():]) if blank else (block, b"")
    headers: CaseInsensitiveDict = CaseInsensitiveDict()
    for line in head.decode("latin-1").splitlines():
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip()] = value.strip()
    return headers, content


def _answer(message: bytes, status: int) -> Answer:
    status_line, _, rest = message.partition(b"\n")
    matched = _STATUS_LINE.fullmatch(status_line.decode("latin-1").strip())
    if not matched:
        raise CrmError(status, "", f"$batch part without an HTTP status line: {status_line[:80]!r}")
    headers, body = _head(rest)
    return Answer(int(matched.group(1)), matched.group(2) or "", headers, body)


def _media_type(content_type: str) -> tuple[str, str | None]:
    """(`type/subtype`, boundary parameter, quoted or not)."""
    message = Message()
    message["Content-Type"] = content_type
    boundary = message.get_param("boundary")
    return message.get_content_type(), boundary if isinstance(boundary, str) else None
