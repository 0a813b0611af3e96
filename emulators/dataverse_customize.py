"""Customizations of the Dataverse emulator over HTTP: metadata writes, solutions and publishing.

Routes: `POST EntityDefinitions`, `PUT|PATCH EntityDefinitions(<key>)` (labels, `MSCRM.MergeLabels`),
`POST EntityDefinitions(<key>)/Attributes`, `PUT|PATCH .../Attributes(<key>)`, `POST .../Keys`,
`POST RelationshipDefinitions`, `POST GlobalOptionSetDefinitions` (each 204 + `OData-EntityId`), the
actions `PublishXml`, `PublishAllXml` (204, remembered in `published`), `AddSolutionComponent`, and
`InsertOptionValue` / `UpdateOptionValue` (an option added to or relabelled in an existing choice); DELETE of
a custom table (its rows go), column, key, relationship or global choice.
`MSCRM.SolutionUniqueName` adds the component to that solution (a `solutioncomponents` row); an unknown
solution is refused. Accepted changes are logged in the SQLite file and replayed when it is opened again,
so a table created through the API survives a restart of `smsc emulators --db FILE`.
"""
from __future__ import annotations

import json
import uuid

from werkzeug.wrappers import Response

from . import dataverse_metadata_write as write
from .dataverse_errors import BAD_PAYLOAD, ODATA_ERROR, DataverseError
from .dataverse_http import Call, reply, request_body
from .dataverse_metadata import GUID, MetaPath, attributes, entity_key, entity_row_id, key_value
from .dataverse_schema import Schema, Table
from .dataverse_store import Store
from .dataverse_write import Writer

LOG = """CREATE TABLE IF NOT EXISTS metadata_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,
    target TEXT, merge INTEGER NOT NULL, body JSON NOT NULL)"""
# Solution component types (solutioncomponent.componenttype).
COMPONENT = {"entity": 1, "attribute": 2, "optionset": 9, "relationship": 10, "key": 14, "savedquery": 26,
             "savedqueryvisualization": 59, "systemform": 60, "webresource": 61, "sdkmessageprocessingstep": 92,
             "serviceendpoint": 95,
             "environmentvariabledefinition": 380, "environmentvariablevalue": 381}
# Messages a step can be registered on, with a filter for every table (sdkmessagefilters).
MESSAGES = ("Create", "Update", "Delete", "Assign", "SetState", "SetStateDynamicEntity", "Retrieve",
            "RetrieveMultiple", "CreateMultiple", "UpdateMultiple", "GrantAccess", "Merge")


def message_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:sdkmessage:{name}"))


def filter_id(message: str, logical: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:sdkmessagefilter:{message}:{logical}"))


class Customizer:
    def __init__(self, schema: Schema, store: Store, writer: Writer):
        self.schema, self.store, self.writer = schema, store, writer
        self.published: list[str] = []          # ParameterXml of each PublishXml, "*" for PublishAllXml
        self.store.execute(LOG)

    # --- changes -----------------------------------------------------------------------------------
    def apply(self, kind: str, target: str | None, body: dict, merge: bool) -> tuple[str, str]:
        """One metadata change; returns (MetadataId, path of the definition under the API root)."""
        schema = self.schema
        if kind == "entity":
            entity = write.create_entity(schema, body)
            return entity, f"EntityDefinitions({entity})"
        if kind == "optionset":
            option_set = write.create_option_set(schema, body)
            return option_set, f"GlobalOptionSetDefinitions({option_set})"
        if kind == "relationship":
            relationship = write.create_relationship(schema, body)
            return relationship, f"RelationshipDefinitions({relationship})"
        if kind == "option-insert":
            return str(write.insert_option(schema, body)), ""
        if kind == "option-update":
            write.update_option(schema, body)
            return "", ""
        if kind == "relationship-delete":
            return write.delete_relationship(schema, target or ""), ""
        if kind == "optionset-delete":
            return write.delete_option_set(schema, target or ""), ""
        logical, _, column = (target or "").partition("/")
        if kind == "entity-delete":
            return write.delete_entity(schema, logical), ""
        if kind == "attribute-delete":
            return write.delete_attribute(schema, logical, column), ""
        if kind == "key-delete":
            return write.delete_key(schema, logical, column), ""
        entity = entity_row_id(write.table_of(schema, logical))
        if kind == "entity-update":
            write.update_entity(schema, logical, body, merge)
            return entity, f"EntityDefinitions({entity})"
        if kind == "attribute":
            attribute = write.add_attribute(schema, logical, body)
            return attribute, f"EntityDefinitions({entity})/Attributes({attribute})"
        if kind == "attribute-update":
            write.update_attribute(schema, logical, column, body, merge)
            attribute = schema.attribute_props[(logical, column)]["MetadataId"]
            return attribute, f"EntityDefinitions({entity})/Attributes({attribute})"
        if kind == "key":
            key = write.create_key(schema, logical, body)
            self.store.add_index(body["KeyAttributes"][0], nocase=True)
            return key, f"EntityDefinitions({entity})/Keys({key})"
        raise ValueError(kind)

    def change(self, kind: str, target: str | None, body: dict, merge: bool) -> tuple[str, str]:
        """Apply a change and log it for the replay, as one step."""
        with self.store.transaction():
            found, path = self.apply(kind, target, body, merge)
            self.store.execute("INSERT INTO metadata_changes (kind, target, merge, body) VALUES (?,?,?,?)",
                               [kind, target, int(merge), json.dumps(body)])
        return found, path

    def replay(self) -> None:
        """The changes logged in the SQLite file, applied again to this fresh schema."""
        for kind, target, merge, body in self.store.query(
                "SELECT kind, target, merge, body FROM metadata_changes ORDER BY seq"):
            self.apply(kind, target, json.loads(body), bool(merge))

    # --- HTTP ------------------------------------------------------------------------------------
    def respond(self, call: Call, meta: MetaPath) -> Response:
        kind, target = self.change_of(call.request.method, meta)
        body = request_body(call.request) if call.request.method != "DELETE" else {}
        merge = call.request.headers.get("MSCRM.MergeLabels", "").lower() == "true"
        solution = self.solution_id(call.request.headers.get("MSCRM.SolutionUniqueName"))
        with self.store.transaction():
            gone = self.schema[target].entity_set if kind == "entity-delete" and target else None
            found, path = self.change(kind, target, body, merge)
            if kind.endswith("-delete"):        # its rows and its place in solutions go with it
                if gone:
                    self.store.execute("DELETE FROM rows WHERE entity_set = ?", [gone])
                self.store.delete("solutioncomponents",
                                  [r[0] for r in self.store.find("solutioncomponents", "objectid", [found.lower()])])
                return reply(None, 204)
            if solution and not kind.endswith("-update"):
                self.add_component(solution, found, COMPONENT[kind], call.caller)
            if kind == "entity":
                self.add_filters([str(body["SchemaName"]).lower()], call.caller)
        return reply(None, 204, {"OData-EntityId": f"{call.base}{path}"})

    @staticmethod
    def change_of(method: str, meta: MetaPath) -> tuple[str, str | None]:
        """(kind of change, target table[/column]) of a write to a metadata path."""
        if meta.cast is not None:
            raise DataverseError(f"{method} on a cast metadata path is not supported.", 405, ODATA_ERROR)
        if method == "POST" and meta.key is None and meta.collection is None:
            return {"EntityDefinitions": "entity", "RelationshipDefinitions": "relationship",
                    "GlobalOptionSetDefinitions": "optionset"}[meta.root], None
        if method == "DELETE" and meta.key is not None and meta.root != "EntityDefinitions" and meta.collection is None:
            name = key_value(meta.key, "SchemaName" if meta.root == "RelationshipDefinitions" else "Name")
            return ("relationship-delete" if meta.root == "RelationshipDefinitions" else "optionset-delete"), name
        if meta.root == "EntityDefinitions" and meta.key is not None:
            logical = entity_key(meta.key).logical
            if method in ("PUT", "PATCH") and meta.collection is None:
                return "entity-update", logical
            if method == "DELETE" and meta.collection is None:
                return "entity-delete", logical
            if method == "DELETE" and meta.collection in ("Attributes", "Keys") and meta.item is not None:
                if meta.collection == "Attributes":
                    return "attribute-delete", f"{logical}/{Customizer.column(logical, meta.item)}"
                return "key-delete", f"{logical}/{key_value(meta.item, 'LogicalName') or ''}"
            if method == "POST" and meta.collection in ("Attributes", "Keys") and meta.item is None:
                return ("attribute" if meta.collection == "Attributes" else "key"), logical
            if method in ("PUT", "PATCH") and meta.collection == "Attributes" and meta.item is not None:
                return "attribute-update", f"{logical}/{Customizer.column(logical, meta.item)}"
        raise DataverseError(f"{method} on this metadata path is not emulated.", 405, ODATA_ERROR)

    @staticmethod
    def column(logical: str, item: str) -> str:
        """The column an `Attributes(...)` key names: `LogicalName='x'` or its MetadataId."""
        name = key_value(item, "LogicalName") or ""
        if GUID.match(name):
            found = [a["LogicalName"] for a in attributes(entity_key(f"LogicalName='{logical}'"))
                     if str(a.get("MetadataId")).lower() == name]
            return found[0] if found else name
        return name

    def solution_id(self, unique_name: str | None) -> str | None:
        if not unique_name:
            return None
        found = self.store.find("solutions", "uniquename", [unique_name], nocase=True)
        if not found:
            raise DataverseError(f"The solution '{unique_name}' does not exist.", 404, "0x8004F036")
        return found[0][0]

    def add_component(self, solution_id: str, object_id: str, component_type: int, caller: str) -> None:
        """The component joins the solution once (`solutioncomponents`, read-only in the Web API)."""
        for _, _, data in self.store.find("solutioncomponents", "objectid", [object_id.lower()]):
            if data.get("_solutionid_value") == solution_id:
                return
        self.writer.write(self.schema["solutioncomponent"], None,
                          {"objectid": object_id.lower(), "componenttype": component_type,
                           "rootcomponentbehavior": 0}, caller, parent=("_solutionid_value", "solution", solution_id))

    def add_filters(self, tables: list[str], caller: str) -> None:
        """sdkmessagefilters for each message on each table (Dataverse makes them with the table)."""
        sdk_filter = self.schema["sdkmessagefilter"]
        for logical in tables:
            for message in MESSAGES:
                row_id = filter_id(message, logical)
                if self.store.get("sdkmessagefilters", row_id) is None:
                    self.writer.write(sdk_filter, None, {
                        "sdkmessagefilterid": row_id, "primaryobjecttypecode": logical,
                        "secondaryobjecttypecode": "none", "iscustomprocessingstepallowed": True,
                        "availability": 0, "sdkmessageid@odata.bind": f"/sdkmessages({message_id(message)})"}, caller)

    def add_messages(self, caller: str) -> None:
        for message in MESSAGES:
            if self.store.get("sdkmessages", message_id(message)) is None:
                self.writer.write(self.schema["sdkmessage"], None, {"sdkmessageid": message_id(message),
                                                                    "name": message}, caller)

    def action(self, call: Call, name: str) -> Response:
        """`PublishXml`, `PublishAllXml`, `AddSolutionComponent`, `InsertOptionValue`, `UpdateOptionValue` (POST)."""
        if call.request.method != "POST":
            raise DataverseError(f"{name} is an action: POST it.", 405, ODATA_ERROR)
        body = request_body(call.request) if call.request.get_data() else {}
        if name == "PublishXml":
            xml = body.get("ParameterXml")
            if not isinstance(xml, str) or not xml.strip().lower().startswith("<importexportxml"):
                raise DataverseError("PublishXml needs a ParameterXml <importexportxml> document.", 400, BAD_PAYLOAD)
            self.published.append(xml)
            return reply(None, 204)
        if name == "PublishAllXml":
            self.published.append("*")
            return reply(None, 204)
        if name == "InsertOptionValue":
            value, _ = self.change("option-insert", None, body, False)
            return reply({"@odata.context": f"{call.base}$metadata#Microsoft.Dynamics.CRM.InsertOptionValueResponse",
                          "NewOptionValue": int(value)})
        if name == "UpdateOptionValue":
            self.change("option-update", None, body, bool(body.get("MergeLabels")))
            return reply(None, 204)
        solution = self.solution_id(body.get("SolutionUniqueName"))
        component, component_type = body.get("ComponentId"), body.get("ComponentType")
        if not solution or not isinstance(component, str) or not isinstance(component_type, int):
            raise DataverseError("AddSolutionComponent needs ComponentId, ComponentType and SolutionUniqueName.",
                                 400, BAD_PAYLOAD)
        self.add_component(solution, component, component_type, call.caller)
        found = self.store.find("solutioncomponents", "objectid", [component.lower()])
        return reply({"@odata.context": f"{call.base}$metadata#Microsoft.Dynamics.CRM.AddSolutionComponentResponse",
                      "id": found[-1][0]})

    def create_row(self, call: Call, table: Table, body: dict) -> str:
        """POST of a row; a web resource, view, chart, form, service endpoint, step or environment variable
        (definition, value) created with `MSCRM.SolutionUniqueName` joins that solution (checked first: an
        unknown solution creates nothing)."""
        header = call.request.headers.get("MSCRM.SolutionUniqueName")
        solution = self.solution_id(header) if table.logical in COMPONENT else None
        with self.store.transaction():
            row_id = self.writer.write(table, None, body, call.caller)
            if solution:
                self.add_component(solution, row_id, COMPONENT[table.logical], call.caller)
        return row_id
