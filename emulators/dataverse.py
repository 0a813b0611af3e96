"""Dataverse Web API emulator: the subset the connector uses, spoken as documented.

Routes under `/api/data/v9.2/`: `<set>` (GET query, `?fetchXml=`, POST create), `<set>(<guid>)` or
`<set>(<key>='<value>')` (GET, PATCH upsert with If-Match / If-None-Match, DELETE),
`<set>(<guid>)/<collection>`, N:N `<set>(<guid>)/<nav>` and its `/$ref`, `<set>/$count`,
`<set>/Microsoft.Dynamics.CRM.CreateMultiple|UpdateMultiple`, `$batch`, `WhoAmI`,
`EntityDefinitions` (the collection, one table, its attributes, keys and relationships),
`RelationshipDefinitions`, `GlobalOptionSetDefinitions`, their writes and `PublishXml` (dataverse_customize,
dataverse_metadata_write). Each emulator has its own `Schema` (the static tables plus what its metadata
API created; `bare=True`: a fresh organisation without any `smsc_` table or column), made current for
each request through a context variable that the table views of dataverse_schema read. Rows live in SQLite
(dataverse_store), tables in dataverse_schema; requests and answers in dataverse_http, reads in
dataverse_read ($filter in dataverse_filter, other query options in dataverse_query), writes in
dataverse_write (column values in dataverse_columns), N:N links in dataverse_assoc, FetchXML in
dataverse_fetch*, bulk actions in dataverse_bulk, `$batch` in dataverse_batch (+ dataverse_multipart),
errors in dataverse_errors, demo data in dataverse_seed, service-protection limits in dataverse_limits
(their switch: `GET|POST|DELETE /_emulator/limits`, beside the shared `/_emulator/faults` and `/requests`).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.wrappers import Request, Response

from . import dataverse_assoc as assoc
from .dataverse_batch import batch_response
from .dataverse_bulk import bulk_response
from .dataverse_errors import (GUID, ODATA_ERROR, DataverseError, QueryError, not_found,
                               unknown_property, unknown_segment)
from .dataverse_fetch_page import fetch_response
from .dataverse_filter import compile_filter
from .dataverse_customize import Customizer
from .dataverse_list_actions import ACTIONS as LIST_ACTIONS, list_action_response
from .dataverse_http import (API, Call, entity_definitions, error_reply, query_response, reply,
                             request_body, row_response, written_response)
from .dataverse_limits import ServiceLimits, limit_options, user_of
from .dataverse_loclabels import RETRIEVE as RETRIEVE_LOC_LABELS
from .dataverse_loclabels import LocLabels
from .dataverse_metadata import ROOTS, parse_path
from .dataverse_metadata_write import bare as bare_schema
from .dataverse_query import Query, child_key, parse_query
from .dataverse_read import Reader, existing_row
from .dataverse_schema import BY_SET, CURRENT, TABLES, Schema, Table, indexed_columns
from .dataverse_seed import APP_USER_ID, BUSINESS_UNIT_ID, ORGANIZATION_ID
from .dataverse_seed import seed as seed_demo
from .dataverse_seed import seed_platform
from .dataverse_store import Store, column_sql
from .dataverse_write import Writer, key_values
from .server import Emulator, json_body, json_reply

PATH = re.compile(r"^([A-Za-z_]\w*)(?:\((.*?)\)(?=/|$))?(?:/(.+))?$")
ACTION = "Microsoft.Dynamics.CRM."
CUSTOMIZATION_ACTIONS = ("PublishXml", "PublishAllXml", "AddSolutionComponent", "InsertOptionValue",
                         "UpdateOptionValue")
SIGN_IN = "Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize"


def table_of(entity_set: str) -> Table:
    if entity_set not in BY_SET:
        raise unknown_segment(entity_set)
    return BY_SET[entity_set]


class DataverseEmulator(Emulator):
    def __init__(self, db_path: str = ":memory:", token: str | None = "emulator-token",
                 seed: bool = True, bare: bool = False, limits: ServiceLimits | None = None):
        super().__init__()
        self.token = token                      # None: any bearer token is accepted
        # Dataverse's service-protection limits, or what SMSC_EMULATOR_* says (dataverse_limits).
        self.limits = limits if limits is not None else ServiceLimits.from_environment()
        self.bare = bare
        self.schema = bare_schema(Schema()) if bare else Schema()
        self.store = Store(db_path, indexed_columns())
        self.writer = Writer(self.store)
        self.customizer = Customizer(self.schema, self.store, self.writer)
        self.loc_labels = LocLabels(self.schema, self.store, self.writer)
        with self.active():
            self.customizer.replay()
            if seed:
                seed_platform(self, self.customizer, demo=not bare)
            if seed and not bare:
                seed_demo(self)

    @contextmanager
    def active(self) -> Iterator[None]:
        """This emulator's tables are the ones the request (or in-process helper) sees."""
        token = CURRENT.set(self.schema)
        try:
            yield
        finally:
            CURRENT.reset(token)

    @property
    def published(self) -> list[str]:
        """What PublishXml was asked to publish ("*" for PublishAllXml), in order."""
        return self.customizer.published

    @property
    def max_upload(self) -> int:
        """organization.maxuploadfilesize (base64 length), read from the organization row."""
        return self.writer.max_upload

    @max_upload.setter
    def max_upload(self, size: int) -> None:
        with self.active():
            self.writer.write(table_of("organizations"), ORGANIZATION_ID, {"maxuploadfilesize": size}, APP_USER_ID)

    @property
    def base_language(self) -> int:
        """organization.languagecode: the language a row's localizable column (a view's name…) holds."""
        return self.loc_labels.base_language()

    @base_language.setter
    def base_language(self, code: int) -> None:
        with self.active():
            self.writer.write(table_of("organizations"), ORGANIZATION_ID, {"languagecode": code}, APP_USER_ID)

    def localized_labels(self, entity_set: str, row_id: str, attribute: str = "name") -> dict[int, str]:
        """What RetrieveLocLabels answers for a row's column, as {language code: label}."""
        found = self.store.get(entity_set, row_id.lower())
        return self.loc_labels.labels(row_id.lower(), attribute, found[1]) if found else {}

    # --- in-process helpers for tests and the demo ------------------------------------------------
    def rows(self, entity_set: str, filter: str | None = None) -> list[dict]:
        with self.active():
            return self._rows(entity_set, filter)

    def _rows(self, entity_set: str, filter: str | None) -> list[dict]:
        table = table_of(entity_set)
        where, params = compile_filter(table, filter)
        rows = [(r[2], r[3]) for r in self.store.select(entity_set, where, params)]
        return Reader(self.store).shape(table, rows, Query())

    def get(self, entity_set: str, row_id: str, select: str | None = None,
            expand: str | None = None) -> dict:
        """The row as GET answers it (no annotations); KeyError when missing."""
        with self.active():
            return self._get(entity_set, row_id, select, expand)

    def _get(self, entity_set: str, row_id: str, select: str | None, expand: str | None) -> dict:
        table = table_of(entity_set)
        found = self.store.get(entity_set, row_id.lower())
        if found is None:
            raise KeyError(f"{entity_set}({row_id})")
        q = parse_query(table, {k: v for k, v in (("$select", select), ("$expand", expand)) if v})
        return Reader(self.store).shape(table, [found], q)[0]

    def insert(self, entity_set: str, data: dict) -> str:
        """Create a row from a Web API body (`@odata.bind` lookups) as the application user."""
        with self.active():
            return self.writer.write(table_of(entity_set), None, dict(data), APP_USER_ID)

    def update(self, entity_set: str, row_id: str, data: dict) -> None:
        with self.active():
            self.writer.write(table_of(entity_set), row_id.lower(), dict(data), APP_USER_ID, must_exist=True)

    def associate(self, entity_set: str, row_id: str, navigation: str, target_set: str,
                  target_id: str) -> None:
        """Link two rows through an N:N navigation (`campaigns`, id, `campaignlist_association`, `lists`, id)."""
        with self.active():
            assoc.associate(self.store, table_of(entity_set), row_id, navigation, target_set, target_id)

    def add_list_members(self, list_id: str, member_set: str, ids: list[str]) -> None:
        """Fast bulk membership of a static list (benchmarks): one transaction, no checks."""
        assoc.add_members(self.store, assoc.MANY_TO_MANY[f"list{member_set[:-1]}_association"],
                          list_id.lower(), ids)

    def close(self) -> None:
        self.store.close()

    # --- HTTP ------------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        if not request.path.startswith(API):
            return error_reply(unknown_segment(request.path.strip("/"), ""))
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or self.token is not None and auth != f"Bearer {self.token}":
            response = error_reply(DataverseError("A valid bearer token is required.", 401, ""))
            response.headers["WWW-Authenticate"] = SIGN_IN
            return response
        user = user_of(request.headers)
        refusal = self.limits.enter(user)
        if refusal:
            return reply({"error": {"code": refusal.code, "message": refusal.message}}, 429,
                         {"Retry-After": str(refusal.retry_after)})
        try:
            with self.active():
                return self.answer(request)
        finally:
            self.limits.leave(user)

    def control(self, request: Request) -> Response:
        """`/_emulator/limits`: GET the settings and what each user used; POST {"requests": 50, "window": 5,
        "concurrent": 52, "enabled": true} (any of them) changes them; DELETE restores those of the start."""
        if request.path != "/_emulator/limits":
            return super().control(request)
        if request.method == "POST":
            options, problem = json_body(request)
            if not problem:
                options, problem = limit_options(options)
            if problem:
                return json_reply({"error": problem}, 400)
            self.limits.configure(**options)
        elif request.method == "DELETE":
            self.limits.reset()
            return Response(status=204)
        elif request.method != "GET":
            return json_reply({"error": "GET, POST or DELETE /_emulator/limits"}, 405)
        return json_reply(self.limits.shown())

    def answer(self, request: Request) -> Response:
        """One authenticated request (or one operation of a $batch), errors answered as Dataverse does."""
        try:
            return self.route(Call(request, self.caller(request), self.store))
        except QueryError as exc:
            return error_reply(exc)
        except Exception as exc:        # an emulator bug: answer like the service would, and say what
            logging.getLogger(__name__).exception("Dataverse emulator failure")
            return error_reply(DataverseError(f"Emulator failure: {exc!r}", 500, "0x80040216"))

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

    def route(self, call: Call) -> Response:
        method, path = call.request.method, call.path
        if path in ("WhoAmI", "WhoAmI()") and method == "GET":
            return reply({"@odata.context": f"{call.base}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
                          "BusinessUnitId": BUSINESS_UNIT_ID, "UserId": call.caller,
                          "OrganizationId": ORGANIZATION_ID})
        if path.split("(")[0].split("/")[0] in ROOTS:
            meta = parse_path(path)
            if meta is not None and method != "GET":
                return self.customizer.respond(call, meta)
            return entity_definitions(call.request, path, assoc.many_to_many_definitions)
        if path in CUSTOMIZATION_ACTIONS:
            return self.customizer.action(call, path)
        if path == "SetLocLabels":
            return self.loc_labels.set(call)
        if path.startswith(RETRIEVE_LOC_LABELS):
            return self.loc_labels.retrieve(call)
        if path in assoc.UNBOUND_ACTIONS:
            return assoc.unbound_action_response(call, path)
        if path == "$batch":
            return batch_response(self, call)
        if path in LIST_ACTIONS:
            return list_action_response(call)
        if path.split("/")[0] == "$metadata":
            raise DataverseError(f"{path} is not emulated (yet).", 501, ODATA_ERROR)
        match = PATH.match(path)
        if not match:
            raise unknown_segment(path.split("/")[0])
        table, key, rest = table_of(match[1]), match[2], match[3]
        if key is None:
            return self.route_set(call, table, rest)
        return self.route_row(call, table, key, rest)

    def route_set(self, call: Call, table: Table, rest: str | None) -> Response:
        """`<set>` and `<set>/<rest>`."""
        method = call.request.method
        if rest == "$count" and method == "GET":
            return Response(str(call.reader.count(table)), 200, content_type="text/plain",
                            headers={"OData-Version": "4.0"})
        if rest is None and method == "GET" and "fetchXml" in call.args:
            return fetch_response(call, table)
        if rest is None and method == "GET":
            return query_response(call, table)
        if rest and rest.startswith(ACTION):
            return bulk_response(call, self.writer, table, rest[len(ACTION):])
        if rest is None and method == "POST":
            row_id = self.customizer.create_row(call, table, request_body(call.request))
            return written_response(call, table, row_id, True)
        raise DataverseError(f"'{rest or method}' on '{table.entity_set}' is not emulated.",
                             501 if rest else 405, ODATA_ERROR)

    def route_row(self, call: Call, table: Table, key: str, rest: str | None) -> Response:
        """`<set>(<key>)` and `<set>(<key>)/<collection>`."""
        method, headers = call.request.method, call.request.headers
        row_id = self.writer.resolve_key(table, key)
        if rest is not None and assoc.parse_rest(table, rest):
            return assoc.association_response(call, table, row_id, key, rest)
        if rest is not None and rest in table.collections and method == "GET":
            existing_row(self.store, table, row_id, key)
            rel = table.collections[rest]
            return query_response(call, TABLES[rel.child], (f"{column_sql(child_key(rel))} = ?", [row_id]))
        if rest is not None:
            raise unknown_property(table, rest)
        if method == "GET":
            return row_response(call, table, existing_row(self.store, table, row_id, key))
        if method == "PATCH":
            body = request_body(call.request)
            if not GUID.match(key):         # upsert by alternate key: the key columns come from the URL
                body.update(key_values(table, key))
            created, row_id = self.writer.patch(table, row_id, key, body, call.caller,
                                                if_match=headers.get("If-Match"),
                                                if_none_match=headers.get("If-None-Match"))
            return written_response(call, table, row_id, created)
        if method == "DELETE":
            self.writer.delete(table, row_id, key, headers.get("If-Match"))
            return reply(None, 204)
        raise DataverseError(f"The {method} method is not allowed here.", 405, ODATA_ERROR)
