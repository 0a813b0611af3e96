"""Dataverse Web API emulator: the subset the connector uses, spoken as documented.

Routes under `/api/data/v9.2/`: `<set>` (GET query / POST create), `<set>(<guid>)` or
`<set>(<key>='<value>')` (GET, PATCH upsert with If-Match / If-None-Match, DELETE),
`<set>(<guid>)/<collection>`, `<set>/$count`, `WhoAmI`, `EntityDefinitions(LogicalName='x')` with
`/ManyToOneRelationships` and `/OneToManyRelationships`. Rows live in SQLite (dataverse_store),
tables in dataverse_schema, query options in dataverse_query, demo data in dataverse_seed.
Later, without touching the rest: `$batch` (a multipart parser calling `self.route` per part, one
store.transaction() per change set) goes in `route` next to WhoAmI; `CreateMultiple` /
`UpdateMultiple` are `<set>/Microsoft.Dynamics.CRM.<Action>` (the `rest` of a collection path)
looping over `self.write`; FetchXML is `?fetchXml=` (see dataverse_query).
"""
from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import logging
import re
import uuid
from urllib.parse import quote, urlencode
from datetime import datetime, timezone

from werkzeug.wrappers import Request, Response

from .dataverse_query import (MAX_PAGE, Query, QueryError, Reader, compile_filter, parse_query,
                              split_top, unknown_property, utc_text)
from .dataverse_schema import BY_SET, EDM, TABLES, Table, indexed_columns, relationships
from .dataverse_seed import APP_USER_ID, BUSINESS_UNIT_ID, ORGANIZATION_ID
from .dataverse_seed import seed as seed_demo
from .dataverse_store import Store, column_sql
from .server import Emulator

API = "/api/data/v9.2/"
PATH = re.compile(r"^([A-Za-z_][\w]*)(?:\((.*)\))?(?:/([\w.$]+))?$")
GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
REF = re.compile(r"^(?:.*/)?([A-Za-z_]\w*)\(([0-9a-fA-F-]{36})\)$")
PREFER = re.compile(r'\s*([\w.-]+)\s*(?:=\s*("[^"]*"|[^,]*))?\s*,?')
BAD_PAYLOAD = "0x80048d19"


class DataverseError(QueryError):
    pass


def not_found(logical: str, row_id: str) -> DataverseError:
    if not GUID.match(row_id):      # addressed by alternate key
        return DataverseError(f"A record with the specified key values does not exist in {logical} "
                              "entity", 404, "0x80040217")
    return DataverseError(f"{logical} With Id = {row_id} Does Not Exist", 404, "0x80040217")


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def reply(body: dict | None, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(body) if body is not None else None, status,
                        headers={"OData-Version": "4.0", **(headers or {})})
    if body is not None:
        response.content_type = "application/json; odata.metadata=minimal"
    return response


def context(base: str, table: Table, select, entity: bool = False) -> str:
    return (f"{base}$metadata#{table.entity_set}" + (f"({','.join(select)})" if select else "")
            + ("/$entity" if entity else ""))


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


class DataverseEmulator(Emulator):
    def __init__(self, db_path: str = ":memory:", token: str | None = "emulator-token",
                 seed: bool = True):
        super().__init__()
        self.token = token                      # None: any bearer token is accepted
        self.store = Store(db_path, indexed_columns())
        self.max_upload = 5_242_880             # organization.maxuploadfilesize (base64 length)
        if seed:
            seed_demo(self)

    # --- in-process helpers for tests and the demo ------------------------------------------------
    def rows(self, entity_set: str, filter: str | None = None) -> list[dict]:
        table = self._table(entity_set)
        where, params = compile_filter(table, filter)
        rows = [(r[2], r[3]) for r in self.store.select(entity_set, where, params)]
        return Reader(self.store).shape(table, rows, Query())

    def get(self, entity_set: str, row_id: str, select: str | None = None,
            expand: str | None = None) -> dict:
        """The row as GET answers it (no annotations); KeyError when missing."""
        table = self._table(entity_set)
        found = self.store.get(entity_set, row_id.lower())
        if found is None:
            raise KeyError(f"{entity_set}({row_id})")
        q = parse_query(table, {k: v for k, v in (("$select", select), ("$expand", expand)) if v})
        return Reader(self.store).shape(table, [found], q)[0]

    def insert(self, entity_set: str, data: dict) -> str:
        """Create a row from a Web API body (`@odata.bind` lookups) as the application user."""
        return self.write(self._table(entity_set), None, dict(data), APP_USER_ID)

    def update(self, entity_set: str, row_id: str, data: dict) -> None:
        self.write(self._table(entity_set), row_id.lower(), dict(data), APP_USER_ID, must_exist=True)

    def close(self) -> None:
        self.store.close()

    # --- HTTP ------------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        try:
            if not request.path.startswith(API):
                raise DataverseError(f"Resource not found for the segment '{request.path.strip('/')}'.", 404, "")
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or self.token is not None and auth != f"Bearer {self.token}":
                response = self.error(DataverseError("A valid bearer token is required.", 401, ""))
                response.headers["WWW-Authenticate"] = ("Bearer authorization_uri="
                                                        "https://login.microsoftonline.com/common/oauth2/authorize")
                return response
            return self.route(Call(request, self.caller(request), self.store))
        except QueryError as exc:
            return self.error(exc)
        except Exception as exc:        # an emulator bug: answer like the service would, and say what
            logging.getLogger(__name__).exception("Dataverse emulator failure")
            return self.error(DataverseError(f"Emulator failure: {exc!r}", 500, "0x80040216"))

    def error(self, exc: QueryError) -> Response:
        return reply({"error": {"code": exc.code, "message": exc.message}}, exc.status)

    def caller(self, request: Request) -> str:
        """The systemuser acting: CallerObjectId (Entra object id) or MSCRMCallerID, else the app."""
        object_id, legacy = request.headers.get("CallerObjectId"), request.headers.get("MSCRMCallerID")
        if object_id:
            found = self.store.find("systemusers", "azureactivedirectoryobjectid", [object_id.lower()])
            if not found:
                raise DataverseError(f"No systemuser has azureactivedirectoryobjectid {object_id}.",
                                     403, "0x80040220")
            return found[0][0]
        if legacy and self.store.get("systemusers", legacy.lower()) is None:
            raise not_found("systemuser", legacy)
        return legacy.lower() if legacy else APP_USER_ID

    @staticmethod
    def _table(entity_set: str) -> Table:
        if entity_set not in BY_SET:
            raise DataverseError(f"Resource not found for the segment '{entity_set}'.", 404, "0x80060888")
        return BY_SET[entity_set]

    def route(self, call: "Call") -> Response:
        method, path = call.request.method, call.path
        if path in ("WhoAmI", "WhoAmI()") and method == "GET":
            return reply({"@odata.context": f"{call.base}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
                          "BusinessUnitId": BUSINESS_UNIT_ID, "UserId": call.caller,
                          "OrganizationId": ORGANIZATION_ID})
        if path.startswith("EntityDefinitions("):
            return self.metadata(call.request, path)
        if path.split("/")[0] in ("$batch", "$metadata"):
            raise DataverseError(f"{path} is not emulated (yet).", 501, "0x80060888")
        match = PATH.match(path)
        if not match:
            raise DataverseError(f"Resource not found for the segment '{path.split('/')[0]}'.", 404, "0x80060888")
        table, key, rest = self._table(match[1]), match[2], match[3]
        if key is None:
            if rest == "$count" and method == "GET":
                return Response(str(min(self.store.count(table.entity_set), MAX_PAGE)), 200,
                                content_type="text/plain", headers={"OData-Version": "4.0"})
            if rest is None and method == "GET":
                return self.query(call, table)
            if rest is None and method == "POST":
                return self.written(call, table, self.write(table, None, self.body(call.request), call.caller), True)
            raise DataverseError(f"'{rest or method}' on '{table.entity_set}' is not emulated.",
                                 501 if rest else 405, "0x80060888")
        row_id = self.resolve_key(table, key)
        if rest is not None and rest in table.collections and method == "GET":
            if row_id is None or self.store.get(table.entity_set, row_id) is None:
                raise not_found(table.logical, key)
            rel = table.collections[rest]
            return self.query(call, TABLES[rel.child], (f"{column_sql(f'_{rel.child_lookup}_value')} = ?", [row_id]))
        if rest is not None:
            raise unknown_property(table, rest)
        if method == "GET":
            return self.retrieve(call, table, row_id, key)
        if method == "PATCH":
            body = self.body(call.request)
            if not GUID.match(key):         # upsert by alternate key: the key columns come from the URL
                body.update(self.key_values(table, key))
            created, row_id = self.patch(call, table, row_id, key, body)
            return self.written(call, table, row_id, created)
        if method == "DELETE":
            self.delete(call.request, table, row_id, key)
            return reply(None, 204)
        raise DataverseError(f"The {method} method is not allowed here.", 405, "0x80060888")

    def query(self, call: "Call", table: Table, scope: tuple[str, list] = ("1", [])) -> Response:
        q = parse_query(table, call.args)
        size = call.prefer.get("odata.maxpagesize", "")
        page_size = int(size) if size.isdigit() and 0 < int(size) <= MAX_PAGE else MAX_PAGE
        if page_size != MAX_PAGE or size == str(MAX_PAGE):
            call.applied.append(f"odata.maxpagesize={page_size}")
        rows, token = call.reader.page(table, q, page_size, *scope)
        body = {"@odata.context": context(call.base, table, q.select)}
        if q.count:         # capped like Dataverse's: $count never exceeds 5,000
            body["@odata.count"] = min(self.store.count(table.entity_set, f"({scope[0]}) AND ({q.where})",
                                                        [*scope[1], *q.params]), MAX_PAGE)
        body["value"] = call.reader.shape(table, rows, q)
        if token:
            pairs = [(k, v) for k, v in call.request.args.items(multi=True) if k != "$skiptoken"]
            body["@odata.nextLink"] = call.request.base_url + "?" + urlencode(
                pairs + [("$skiptoken", token)], quote_via=quote, safe="$")
        return reply(body, 200, call.headers())

    def retrieve(self, call: "Call", table: Table, row_id: str | None, key: str) -> Response:
        found = self.store.get(table.entity_set, row_id) if row_id else None
        if found is None:
            raise not_found(table.logical, key)
        q = parse_query(table, call.args)
        etag = f'W/"{found[0]}"'
        if call.request.headers.get("If-None-Match") == etag and not q.expand and not call.applied:
            return Response(status=304, headers={"ETag": etag, "OData-Version": "4.0"})
        body = {"@odata.context": context(call.base, table, q.select, True),
                **call.reader.shape(table, [found], q)[0]}
        return reply(body, 200, call.headers(ETag=etag))

    def written(self, call: "Call", table: Table, row_id: str, created: bool) -> Response:
        headers = {"OData-EntityId": f"{call.base}{table.entity_set}({row_id})"}
        if call.prefer.get("return") != "representation":
            return reply(None, 204, headers)
        q = parse_query(table, {k: v for k, v in call.args.items() if k in ("$select", "$expand")})
        version, data = self.store.get(table.entity_set, row_id)
        body = {"@odata.context": context(call.base, table, q.select, True),
                **call.reader.shape(table, [(version, data)], q)[0]}
        call.applied.append("return=representation")
        return reply(body, 201 if created else 200, call.headers(ETag=f'W/"{version}"', **headers))

    # --- writes ----------------------------------------------------------------------------------
    @staticmethod
    def body(request: Request) -> dict:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            raise DataverseError("The request body is not valid JSON.", 400, BAD_PAYLOAD) from None
        if not isinstance(body, dict):
            raise DataverseError("The request body must be a JSON object.", 400, BAD_PAYLOAD)
        return body

    def key_values(self, table: Table, key: str) -> dict:
        """`smsc_phonenumber='+33...'` -> {column: value}; the key must be an alternate key."""
        pairs = {}
        for part in split_top(key, ","):
            name, _, raw = (x.strip() for x in part.partition("="))
            if len(raw) > 1 and raw[0] == raw[-1] == "'":
                pairs[name] = raw[1:-1].replace("''", "'")
            elif re.fullmatch(r"-?\d+", raw):
                pairs[name] = int(raw)
            else:
                raise DataverseError(f"Bad key segment '{key}'.", 400, "0x80060888")
        if len(pairs) != 1 or next(iter(pairs)) not in table.alternate_keys:
            raise DataverseError(f"The key '{key}' is not an alternate key of '{table.logical}'.", 400, "0x80060888")
        return pairs

    def resolve_key(self, table: Table, key: str) -> str | None:
        if GUID.match(key):
            return key.lower()
        (name, value), = self.key_values(table, key).items()
        found = self.store.find(table.entity_set, name, [value], nocase=isinstance(value, str))
        return found[0][0] if found else None

    @staticmethod
    def check_version(table: Table, current, if_match: str | None) -> None:
        if if_match not in (None, "*") and if_match != f'W/"{current[0]}"':
            raise DataverseError("The version of the existing record doesn't match the RowVersion "
                                 "property provided.", 412, "0x80060882")

    def patch(self, call: Call, table: Table, row_id, key, body) -> tuple[bool, str]:
        if_match, if_none = call.request.headers.get("If-Match"), call.request.headers.get("If-None-Match")
        caller = call.caller
        with self.store.transaction():      # the ETag check and the write are one atomic step
            current = self.store.get(table.entity_set, row_id) if row_id else None
            if if_none == "*" and current:
                raise DataverseError("A record with matching key values already exists.", 412, "0x80040237")
            if if_match and current is None:
                raise not_found(table.logical, key)
            if current:
                self.check_version(table, current, if_match)
                return False, self.write(table, row_id, body, caller, must_exist=True)
            return True, self.write(table, row_id, body, caller)

    def delete(self, request: Request, table: Table, row_id, key) -> None:
        with self.store.transaction():
            current = self.store.get(table.entity_set, row_id) if row_id else None
            if current is None:
                raise not_found(table.logical, key)
            self.check_version(table, current, request.headers.get("If-Match"))
            if table.readonly:
                raise DataverseError(f"{table.logical} rows cannot be deleted.", 405, "0x80060888")
            self.store.delete(table.entity_set, [row_id])
            cascades = [(TABLES[r.child].entity_set, f"_{r.child_lookup}_value") for r in table.collections.values()]
            for entity_set, column in cascades + [("annotations", "_objectid_value")]:
                self.store.delete(entity_set, [r[0] for r in self.store.find(entity_set, column, [row_id])])

    def write(self, table: Table, row_id: str | None, body: dict, caller: str,
              must_exist: bool = False, parent: tuple[str, str, str] | None = None) -> str:
        """Create or update one row from a Web API body; returns its id. Atomic."""
        if table.readonly and parent is None:
            raise DataverseError(f"The '{table.logical}' table is read-only in the Web API.", 405, "0x80060888")
        with self.store.transaction():
            given = body.pop(table.primary_id, None)
            if row_id is None:      # POST: a client-supplied primary id is honoured
                row_id = str(given or uuid.uuid4()).lower()
                if not GUID.match(row_id):
                    raise DataverseError(f"Cannot convert the literal '{given}' to the expected type "
                                         "'Edm.Guid'.", 400, BAD_PAYLOAD)
                if self.store.get(table.entity_set, row_id):
                    raise DataverseError("A record with matching key values already exists.", 412, "0x80040237")
            current = self.store.get(table.entity_set, row_id)
            if must_exist and current is None:
                raise not_found(table.logical, row_id)
            data = dict(current[1]) if current else {table.primary_id: row_id}
            children = self.apply(table, body, data)
            if parent:
                data[parent[0]], data["@lk." + parent[0]] = parent[2], parent[1]
            self.computed(table, body, data, caller, creating=current is None)
            for column in table.alternate_keys:
                value = data.get(column)
                if value is not None and any(found[0] != row_id for found in self.store.find(
                        table.entity_set, column, [value], nocase=isinstance(value, str))):
                    raise DataverseError("A record with matching key values already exists.", 412, "0x80060892")
            (self.store.insert if current is None else self.store.update)(table.entity_set, row_id, data)
            for nav, items in children.items():
                rel = table.collections[nav]
                child, key = TABLES[rel.child], f"_{rel.child_lookup}_value"
                self.store.delete(child.entity_set, [r[0] for r in self.store.find(child.entity_set, key, [row_id])])
                for item in items:
                    self.write(child, None, dict(item), caller, parent=(key, table.logical, row_id))
        return row_id

    def apply(self, table: Table, body: dict, data: dict) -> dict[str, list]:
        """Copy a body's columns and lookup binds into `data`; returns the deep-insert collections."""
        children = {}
        for name, value in body.items():
            if name.endswith("@odata.bind"):
                self.bind(table, name[:-len("@odata.bind")], value, data)
            elif name in table.collections:
                if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                    raise DataverseError(f"'{name}' must be an array of objects.", 400, BAD_PAYLOAD)
                children[name] = value
            elif name.startswith("@") or "@" in name:
                continue        # instance annotations (@odata.type, ...) carry no data
            elif name.startswith("_") and name.endswith("_value") and name[1:-6] in table.lookups:
                raise DataverseError("CRM do not support direct update of Entity Reference properties, "
                                     "Use Navigation properties instead.", 400, BAD_PAYLOAD)
            elif name not in table.columns:
                raise unknown_property(table, name)
            elif name not in table.computed:
                data[name] = self.convert(table, name, table.columns[name], value)
        return children

    def bind(self, table: Table, nav: str, value, data: dict) -> None:
        if nav not in table.navs:
            raise DataverseError(f"An undeclared property '{nav}' which only has property annotations in "
                                 "the payload but no property value was found in the payload. In OData, "
                                 "only declared navigation properties and declared named streams can be "
                                 "represented as properties without values.", 400, "0x80060888")
        lookup, target = table.navs[nav]
        if lookup.readonly:
            raise DataverseError(f"'{nav}' cannot be set.", 400, BAD_PAYLOAD)
        if value is None:
            data[lookup.key] = data["@lk." + lookup.key] = None
            return
        ref = REF.match(str(value))
        if not ref or ref[1] != TABLES[target].entity_set:
            raise DataverseError(f"Bad @odata.bind value '{value}' for '{nav}' (expected "
                                 f"/{TABLES[target].entity_set}(<guid>)).", 400, BAD_PAYLOAD)
        if self.store.get(ref[1], ref[2].lower()) is None:
            raise not_found(target, ref[2])
        data[lookup.key], data["@lk." + lookup.key] = ref[2].lower(), target

    @staticmethod
    def convert(table: Table, name: str, kind: str, value):
        if value is None:
            return None
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = {"string": isinstance(value, str), "memo": isinstance(value, str), "bool": isinstance(value, bool),
              "int": number and isinstance(value, int), "choice": number and isinstance(value, int),
              "money": number, "decimal": number, "datetime": isinstance(value, str),
              "guid": isinstance(value, str) and bool(GUID.match(value))}[kind]
        try:
            value = utc_text(value) if ok and kind == "datetime" else value
        except ValueError:
            ok = False
        if not ok:
            raise DataverseError(f"Cannot convert the literal '{value}' to the expected type "
                                 f"'{EDM[kind]}'.", 400, BAD_PAYLOAD)
        if kind == "choice" and name in table.choices and value not in table.choices[name]:
            raise DataverseError(f"A validation error occurred. The value {value} of '{name}' on record of "
                                 f"type '{table.logical}' is outside the valid range.", 400, "0x8004431a")
        return value.lower() if kind == "guid" else value

    def computed(self, table: Table, body: dict, data: dict, caller: str, creating: bool) -> None:
        """Platform-set columns: audit, owner, full name, default status, note file size."""
        stamp, user = now(), ("_modifiedby_value", "@lk._modifiedby_value")
        if creating:
            data["createdon"], data["_createdby_value"], data["@lk._createdby_value"] = stamp, caller, "systemuser"
            if "ownerid" in table.lookups and data.get("_ownerid_value") is None:
                data["_ownerid_value"], data["@lk._ownerid_value"] = caller, "systemuser"
            if "statecode" in table.columns and data.get("statecode") is None:
                data["statecode"] = 0
        data["modifiedon"], data[user[0]], data[user[1]] = stamp, caller, "systemuser"
        if "statecode" in body and "statuscode" not in body or creating and data.get("statuscode") is None:
            if data.get("statecode") in table.default_status:
                data["statuscode"] = table.default_status[data["statecode"]]
        if "fullname" in table.computed:
            data["fullname"] = " ".join(filter(None, (data.get("firstname"), data.get("lastname")))) or None
        if "activitytypecode" in table.columns:
            data["activitytypecode"] = table.logical
        if table.logical == "activityparty" and data.get("participationtypemask") is None:
            raise DataverseError("An activity party needs a participationtypemask.", 400, BAD_PAYLOAD)
        if table.logical == "annotation":
            data["objecttypecode"] = data.get("@lk._objectid_value")
            document = data.get("documentbody") or ""
            if len(document) > self.max_upload:
                raise DataverseError("The attachment is either not a valid type or is too large.", 400, "0x80044a02")
            try:
                data["filesize"] = len(base64.b64decode(document, validate=True))
            except (binascii.Error, ValueError):
                raise DataverseError("documentbody is not valid Base64.", 400, BAD_PAYLOAD) from None
            data["isdocument"] = bool(document)

    def metadata(self, request: Request, path: str) -> Response:
        """`EntityDefinitions(LogicalName='x')` and its relationship collections ($select, simple `eq` $filter)."""
        match = re.match(r"^EntityDefinitions\(LogicalName='(\w+)'\)(?:/(\w+))?$", path)
        if not match or match[1] not in TABLES:
            raise DataverseError(f"Resource not found for the segment '{path}'.", 404, "0x80060888")
        table, select = TABLES[match[1]], [s for s in request.args.get("$select", "").split(",") if s]
        pick = lambda row: {k: v for k, v in row.items() if not select or k in select}  # noqa: E731
        if match[2] is None:
            return reply(pick({"LogicalName": table.logical, "EntitySetName": table.entity_set,
                                    "PrimaryIdAttribute": table.primary_id,
                                    "PrimaryNameAttribute": table.primary_name,
                                    "IsActivity": table.primary_id == "activityid"}))
        rows = relationships(table).get(match[2])
        if rows is None:
            raise DataverseError(f"Resource not found for the segment '{match[2]}'.", 404, "0x80060888")
        conditions = re.findall(r"(\w+) eq '([^']*)'", request.args.get("$filter", ""))
        return reply({"value": [pick(r) for r in rows if all(r.get(k) == v for k, v in conditions)]})
