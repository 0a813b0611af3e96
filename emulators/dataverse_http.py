"""HTTP side of the Dataverse emulator: one request (`Call`), its JSON body, and the answers.

Answers: a collection page (`Prefer: odata.maxpagesize`, `@odata.count`, `@odata.nextLink`), one
row (ETag, 304 on `If-None-Match`), a written row (`return=representation` or 204 with
`OData-EntityId`), errors, and the metadata reads (dataverse_metadata).
"""
from __future__ import annotations

import fnmatch
import json
import re
import uuid
from urllib.parse import quote, urlencode

from werkzeug.wrappers import Request, Response

from . import dataverse_metadata as metadata
from .dataverse_errors import BAD_PAYLOAD, DataverseError, QueryError
from .dataverse_query import MAX_PAGE, Query, parse_query
from .dataverse_read import Reader
from .dataverse_schema import Table
from .dataverse_store import Store

API = "/api/data/v9.2/"
PREFER = re.compile(r'\s*([\w.-]+)\s*(?:=\s*("[^"]*"|[^,]*))?\s*,?')


def reply(body: dict | None, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(body) if body is not None else None, status,
                        headers={"OData-Version": "4.0", "x-ms-correlation-request-id": str(uuid.uuid4()),
                                 **(headers or {})})
    if body is not None:
        response.content_type = "application/json; odata.metadata=minimal"
    return response


def error_reply(exc: QueryError) -> Response:
    return reply({"error": {"code": exc.code, "message": exc.message}}, exc.status)


def context(base: str, table: Table, select, entity: bool = False) -> str:
    return (f"{base}$metadata#{table.entity_set}" + (f"({','.join(select)})" if select else "")
            + ("/$entity" if entity else ""))


def request_body(request: Request) -> dict:
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        raise DataverseError("The request body is not valid JSON.", 400, BAD_PAYLOAD) from None
    if not isinstance(body, dict):
        raise DataverseError("The request body must be a JSON object.", 400, BAD_PAYLOAD)
    return body


class Call:
    """One request: its caller, `Prefer` preferences, and the reader honouring the annotations asked."""

    def __init__(self, request: Request, caller: str, store: Store):
        self.request, self.caller, self.args = request, caller, request.args.to_dict()
        self.base, self.path = request.host_url.rstrip("/") + API, request.path[len(API):]
        self.prefer = {name.lower(): (value or "").strip().strip('"')
                       for header in request.headers.getlist("Prefer")
                       for name, value in PREFER.findall(header)}
        wanted = [p.strip() for p in self.prefer.get("odata.include-annotations", "").split(",") if p.strip()]
        self.reader = Reader(store, lambda term: any(fnmatch.fnmatch(term, p) for p in wanted))
        self.applied = [f'odata.include-annotations="{self.prefer["odata.include-annotations"]}"'] if wanted else []

    def headers(self, **extra) -> dict:
        return {**({"Preference-Applied": ",".join(self.applied)} if self.applied else {}), **extra}

    def page_size(self) -> int:
        """`Prefer: odata.maxpagesize`, acknowledged in Preference-Applied when honoured."""
        size = self.prefer.get("odata.maxpagesize", "")
        page_size = int(size) if size.isdigit() and 0 < int(size) <= MAX_PAGE else MAX_PAGE
        if page_size != MAX_PAGE or size == str(MAX_PAGE):
            self.applied.append(f"odata.maxpagesize={page_size}")
        return page_size

    def next_link(self, token: str) -> str:
        """This request's URL with its `$skiptoken` replaced."""
        pairs = [(k, v) for k, v in self.request.args.items(multi=True) if k != "$skiptoken"]
        return self.request.base_url + "?" + urlencode(pairs + [("$skiptoken", token)],
                                                       quote_via=quote, safe="$")


def query_response(call: Call, table: Table, scope: tuple[str, list] = ("1", [])) -> Response:
    """One page of `table`'s rows within `scope` (an SQL condition and its parameters)."""
    q = parse_query(table, call.args)
    rows, token = call.reader.page(table, q, call.page_size(), *scope)
    body = {"@odata.context": context(call.base, table, q.select)}
    if q.count:
        body["@odata.count"] = call.reader.count(table, f"({scope[0]}) AND ({q.where})",
                                                 [*scope[1], *q.params])
    body["value"] = call.reader.shape(table, rows, q)
    if token:
        body["@odata.nextLink"] = call.next_link(token)
    return reply(body, 200, call.headers())


def entity_body(call: Call, table: Table, found: tuple[int, dict], q: Query) -> dict:
    return {"@odata.context": context(call.base, table, q.select, True),
            **call.reader.shape(table, [found], q)[0]}


def row_response(call: Call, table: Table, found: tuple[int, dict]) -> Response:
    q = parse_query(table, call.args)
    etag = f'W/"{found[0]}"'
    if call.request.headers.get("If-None-Match") == etag and not q.expand and not call.applied:
        return Response(status=304, headers={"ETag": etag, "OData-Version": "4.0"})
    return reply(entity_body(call, table, found, q), 200, call.headers(ETag=etag))


def written_response(call: Call, table: Table, row_id: str, created: bool) -> Response:
    headers = {"OData-EntityId": f"{call.base}{table.entity_set}({row_id})"}
    if call.prefer.get("return") != "representation":
        return reply(None, 204, headers)
    q = parse_query(table, {k: v for k, v in call.args.items() if k in ("$select", "$expand")})
    found = call.reader.store.get(table.entity_set, row_id)
    call.applied.append("return=representation")
    return reply(entity_body(call, table, found, q), 201 if created else 200,
                 call.headers(ETag=f'W/"{found[0]}"', **headers))


def entity_definitions(request: Request, path: str, many_to_many=lambda table: []) -> Response:
    """GET of `EntityDefinitions` (the collection, one table, its attributes, keys and relationship collections),
    `RelationshipDefinitions` and `GlobalOptionSetDefinitions` (dataverse_metadata)."""
    return metadata.entity_definitions(request, path, many_to_many, reply)
