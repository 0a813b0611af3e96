"""`POST $batch` of the Dataverse emulator, as Microsoft's "Execute batch operations" page shows it.

Up to 1,000 operations (`application/http` parts, relative `/api/data/v9.2/…` or absolute URLs), run
in order through the emulator's own routing, in one store transaction (one commit for the batch);
change sets (`multipart/mixed; boundary=changeset_…`) are atomic (a savepoint, rolled back on the first
failure, answered then by that single error part), as is each operation, and may not hold GETs;
`$<Content-ID>` refers to a row created earlier in the same change
set (URL, `@odata.bind`, `@odata.id`). The answer is `multipart/mixed; boundary=batchresponse_<guid>`,
one part per operation in order. By default the batch stops at the first failure: later operations
are neither run nor answered and the batch's status is the failure's; with
`Prefer: odata.continue-on-error` every operation runs and the batch answers 200.
"""
from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from .dataverse_errors import DataverseError
from .dataverse_http import API, Call, error_reply
from .dataverse_multipart import (Operation, bad, boundary_of, changeset_part, http_part, multipart,
                                  parse_request, split_parts)

MAX_OPERATIONS = 1000
INHERITED = ("Authorization", "CallerObjectId", "MSCRMCallerID")
PASSED = ("Content-Type", "OData-Version", "Location", "OData-EntityId", "ETag", "Preference-Applied")
REFERENCE = re.compile(r"^\$([\w-]+)(/.*)?$")


class ChangesetFailed(Exception):
    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


def parse_batch(request: Request) -> list[Operation | list[Operation]]:
    boundary = boundary_of(request.headers.get("Content-Type", ""))
    if boundary is None:
        raise bad("A $batch request must be 'multipart/mixed' with a boundary.")
    items = []
    for headers, content in split_parts(request.get_data(), boundary):
        inner = boundary_of(headers.get("content-type", ""))
        if inner:
            ops = [parse_part(h, c) for h, c in split_parts(content, inner)]
            if any(op.method == "GET" for op in ops):
                raise bad("GET requests are not allowed in a change set.")
            items.append(ops)
        else:
            items.append(parse_part(headers, content))
    if sum(len(i) if isinstance(i, list) else 1 for i in items) > MAX_OPERATIONS:
        raise bad(f"The batch holds more than {MAX_OPERATIONS} requests.")
    return items


def parse_part(headers: dict, content: bytes) -> Operation:
    if not headers.get("content-type", "").lower().startswith("application/http"):
        raise bad("Each batch part must be 'application/http' or a 'multipart/mixed' change set.")
    return parse_request(content, headers.get("content-id"))


def batch_response(emulator, call: Call) -> Response:
    """Runs a batch; `emulator.answer(request)` answers one operation."""
    if call.request.method != "POST":
        raise DataverseError("$batch takes POST.", 405)
    items, go_on = parse_batch(call.request), "odata.continue-on-error" in call.prefer
    parts, status = [], 200
    # One store transaction for the whole batch (one commit, not one per operation); each operation
    # and change set stays atomic on its own as a savepoint inside it (Store.transaction).
    with emulator.store.transaction():
        for item in items:
            part, failed = (run_changeset(emulator, call.request, item) if isinstance(item, list)
                            else run_one(emulator, call.request, item))
            parts.append(part)
            if failed and not go_on:
                status = failed
                break
    boundary = f"batchresponse_{uuid.uuid4()}"
    headers = {"OData-Version": "4.0", **({"Preference-Applied": "odata.continue-on-error"} if go_on else {})}
    return Response(multipart(boundary, parts) + b"\r\n", status, headers=headers,
                    content_type=f"multipart/mixed; boundary={boundary}")


def run_one(emulator, outer: Request, op: Operation) -> tuple[bytes, int]:
    response = execute(emulator, outer, op, None)
    return answer_part(response, None), response.status_code if response.status_code >= 400 else 0


def run_changeset(emulator, outer: Request, ops: list[Operation]) -> tuple[bytes, int]:
    refs, answered = {}, []
    try:
        with emulator.store.transaction():
            for op in ops:
                response = execute(emulator, outer, op, refs)
                if response.status_code >= 400:
                    raise ChangesetFailed(response)
                answered.append(answer_part(response, op.content_id))
                if op.content_id and response.headers.get("OData-EntityId"):
                    refs[op.content_id] = response.headers["OData-EntityId"]
    except ChangesetFailed as failure:
        return answer_part(failure.response, None), failure.response.status_code
    return changeset_part(f"changesetresponse_{uuid.uuid4()}", answered), 0


def execute(emulator, outer: Request, op: Operation, refs: dict | None) -> Response:
    try:
        url, body = resolve(op.url, refs), op.body
        if refs is not None and body:
            body = json.dumps(resolve_body(json.loads(body), refs)).encode()
    except DataverseError as exc:
        return error_reply(exc)
    except ValueError:
        pass                    # not JSON: the route answers it as the Web API would
    parts = urlsplit(url)
    path = parts.path if parts.scheme or url.startswith("/") else API + parts.path
    if path.rstrip("/").endswith("$batch"):
        return error_reply(bad("A batch cannot hold another batch."))
    headers = {**{h: outer.headers[h] for h in INHERITED if h in outer.headers}, **op.headers}
    environ = EnvironBuilder(method=op.method, base_url=outer.host_url, path=path,
                             query_string=parts.query, headers=headers, data=body).get_environ()
    return emulator.answer(Request(environ))


def resolve(value: str, refs: dict | None) -> str:
    """`$1` or `$1/…` -> the URL of the row change-set operation 1 created."""
    match = REFERENCE.match(value)
    if not match:
        return value
    if refs is None or match[1] not in refs:
        raise bad(f"Content-ID Reference: '${match[1]}' does not exist in the batch context.")
    return refs[match[1]] + (match[2] or "")


def resolve_body(body, refs: dict):
    if isinstance(body, dict):
        return {k: resolve(v, refs) if isinstance(v, str) and k.endswith(("@odata.bind", "@odata.id"))
                else resolve_body(v, refs) for k, v in body.items()}
    if isinstance(body, list):
        return [resolve_body(v, refs) for v in body]
    return body


def answer_part(response: Response, content_id: str | None) -> bytes:
    body = response.get_data()
    headers = [("REQ_ID", str(uuid.uuid4()))] if response.status_code >= 400 else []
    for name in PASSED:
        if name == "Location" and response.headers.get("OData-EntityId"):
            headers.append(("Location", response.headers["OData-EntityId"]))
        elif response.headers.get(name) and name != "Location" and (name != "Content-Type" or body):
            headers.append((name, response.headers[name]))
    return http_part(response.status_code, headers, body, content_id)
