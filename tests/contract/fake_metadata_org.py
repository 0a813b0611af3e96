"""A small stateful Dataverse for the installer's contract tests (served by pytest-httpserver).

It remembers what was created through the metadata and data requests the installer sends and answers
its reads from that, so a second run sees "everything exists". Every request is recorded
(method, path, query, headers, JSON body) for the tests to assert the exact shapes.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token"     # the installer's bearer token (never to leak)

API = "/api/data/v9.2/"
ENTITY = re.compile(r"EntityDefinitions\(LogicalName='(\w+)'\)(?:/(Attributes|Keys|ManyToOneRelationships)(/.*)?)?$")
GLOBAL = re.compile(r"GlobalOptionSetDefinitions\(Name='(\w+)'\)$")
ROW = re.compile(r"(\w+)\(([0-9a-f-]{36})\)$")
CONDITION = re.compile(r"([\w]+) eq ('((?:[^']|'')*)'|[0-9a-f-]{36}|true|false|\d+)")
ID_COLUMNS = {"publishers": "publisherid", "solutions": "solutionid", "webresourceset": "webresourceid",
              "serviceendpoints": "serviceendpointid", "sdkmessageprocessingsteps": "sdkmessageprocessingstepid",
              "sdkmessageprocessingstepimages": "sdkmessageprocessingstepimageid", "sdkmessages": "sdkmessageid",
              "sdkmessagefilters": "sdkmessagefilterid",
              "environmentvariabledefinitions": "environmentvariabledefinitionid",
              "environmentvariablevalues": "environmentvariablevalueid", "sitemaps": "sitemapid",
              "appmodules": "appmoduleid", "appmodulecomponents": "appmodulecomponentid",
              "savedqueries": "savedqueryid", "savedqueryvisualizations": "savedqueryvisualizationid",
              "systemforms": "formid"}
LABEL_SETS = {"savedquery": "savedqueries", "savedqueryvisualization": "savedqueryvisualizations",
              "systemform": "systemforms"}                 # the rows SetLocLabels names here
MONIKER = re.compile(r"\{'@odata\.id':'(\w+)\(([0-9a-f-]{36})\)'\}$")
APP_COMPONENTS = {"sitemap": (62, "sitemapid"), "entity": (1, "entityid"), "systemform": (60, "formid")}
SYSTEM_SETS = set(ID_COLUMNS)


@dataclass
class Recorded:
    method: str
    path: str                      # relative to the Web API root, decoded
    query: dict[str, str]
    headers: Headers                # case-insensitive, as HTTP headers are
    body: Any

    @property
    def solution(self) -> str | None:
        return self.headers.get("MSCRM.SolutionUniqueName")


@dataclass
class FakeOrg:
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)       # logical name -> definition
    global_choices: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)   # entity set -> rows
    requests: list[Recorded] = field(default_factory=list)
    refuse: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)   # (method, path) -> answer
    base_language: int = 1033                                             # organization.languagecode
    labels: dict[tuple[str, str], dict[int, str]] = field(default_factory=dict)   # (set, id) -> other languages' names

    @classmethod
    def with_standard_tables(cls, tables: tuple[str, ...] = ("smsc_textmessage", "campaign")) -> FakeOrg:
        org = cls()
        org.add_table("campaign", ["campaignid", "name"])
        org.add_table("systemuser", ["systemuserid", "fullname"])
        org.add_table("team", ["teamid", "name"])
        for customer in ("contact", "lead", "account"):          # the app « SMS » lists them
            org.add_table(customer, [f"{customer}id"])
        for message in ("Create", "Update", "Delete"):
            message_id = str(uuid.uuid4())
            org.rows.setdefault("sdkmessages", []).append({"sdkmessageid": message_id, "name": message})
            for table in tables:
                org.rows.setdefault("sdkmessagefilters", []).append({
                    "sdkmessagefilterid": str(uuid.uuid4()), "_sdkmessageid_value": message_id,
                    "primaryobjecttypecode": table})
        return org

    def add_table(self, logical_name: str, columns: list[str]) -> None:
        self.tables[logical_name] = {"attributes": {c: {"LogicalName": c, "AttributeType": "String"} for c in columns},
                                     "keys": {}, "metadata_id": str(uuid.uuid4()),
                                     "relationships": set(), "entity_set": f"{logical_name}s"}

    # -- what the tests read ----------------------------------------------------------------------------
    def sent(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if (method is None or r.method == method)
                and (path is None or r.path == path)]

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    # -- the server ---------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path.removeprefix(API)
        body = json.loads(request.get_data() or b"null")
        self.requests.append(Recorded(request.method, path, dict(request.args), Headers(request.headers), body))
        if (request.method, path) in self.refuse:
            status, message = self.refuse[(request.method, path)]
            return _json({"error": {"code": "0x80044363", "message": message}}, status)
        if request.method == "GET":
            return self._get(path, dict(request.args))
        if request.method == "POST":
            return self._post(path, body)
        if request.method == "PATCH":
            return self._patch(path, body)
        return _json({"error": {"code": "", "message": "not here"}}, 405)

    def _get(self, path: str, query: dict[str, str]) -> Response:
        if path == "RetrieveProvisionedLanguages()":
            return _json({"RetrieveProvisionedLanguages": [1033, 1036]})
        if path == "organizations":
            return _json({"value": [{"languagecode": self.base_language}]})
        if path.startswith("RetrieveLocLabels("):
            return self._labels(query)
        if match := ENTITY.fullmatch(path):
            table = self.tables.get(match.group(1))
            if table is None:
                return _not_found(f"Could not find entity with name {match.group(1)}")
            if match.group(2) == "Attributes":          # the picklist cast
                return _json({"value": [a for a in table["attributes"].values() if "OptionSet" in a]})
            if match.group(2) == "Keys":
                return _json({"value": [{"LogicalName": n, "KeyAttributes": k["KeyAttributes"]}
                                        for n, k in table["keys"].items()]})
            if match.group(2) == "ManyToOneRelationships":
                return _json({"value": [{"SchemaName": n} for n in table["relationships"]]})
            return _json({"LogicalName": match.group(1), "Attributes": [
                {"LogicalName": n, "AttributeType": a.get("AttributeType")} for n, a in table["attributes"].items()]})
        if path == "EntityDefinitions":                 # the collection, by LogicalName (MetadataId)
            return _json({"value": [{"LogicalName": name, "MetadataId": table["metadata_id"]}
                                    for name, table in self.tables.items()
                                    if _matches({"LogicalName": name}, query.get("$filter"))]})
        if match := GLOBAL.fullmatch(path):
            found = self.global_choices.get(match.group(1))
            return _json(found) if found else _not_found("option set not found")
        entity_set = path
        if entity_set not in SYSTEM_SETS and not any(t["entity_set"] == entity_set for t in self.tables.values()):
            return _not_found(f"Resource not found for the segment '{entity_set}'.")
        rows = [row for row in self.rows.get(entity_set, []) if _matches(row, query.get("$filter"))]
        if entity_set == "appmodulecomponents" and "$select" in query:
            rows = [{c: r.get(c) for c in query["$select"].split(",")} for r in rows]
        if "$top" in query:
            rows = rows[: int(query["$top"])]
        return _json({"value": rows})

    def _post(self, path: str, body: Any) -> Response:
        if path == "EntityDefinitions":
            logical = body["SchemaName"].lower()
            self.add_table(logical, [f"{logical}id" if not body["IsActivity"] else "activityid"])
            for attribute in body["Attributes"]:
                self._add_attribute(logical, attribute)
            return _created(f"EntityDefinitions({uuid.uuid4()})")
        if match := ENTITY.fullmatch(path):
            logical, part = match.group(1), match.group(2)
            if part == "Attributes":
                self._add_attribute(logical, body)
            else:
                self.tables[logical]["keys"][body["SchemaName"].lower()] = body
            return _created(f"{path}({uuid.uuid4()})")
        if path == "RelationshipDefinitions":
            table = self.tables[body["ReferencingEntity"]]
            table["relationships"].add(body["SchemaName"])
            self._add_attribute(body["ReferencingEntity"], body["Lookup"])
            return _created(f"RelationshipDefinitions({uuid.uuid4()})")
        if path == "GlobalOptionSetDefinitions":
            self.global_choices[body["Name"]] = body
            return _created(f"GlobalOptionSetDefinitions({uuid.uuid4()})")
        if path == "SetLocLabels":
            return self._set_labels(body)
        if path in ("PublishXml", "InsertOptionValue", "UpdateOptionValue"):
            return Response(status=204)
        if path == "AddAppComponents":                 # the app's components, each once
            app = next(r for r in self.rows["appmodules"] if r["appmoduleid"] == body["AppId"])
            app.setdefault("appmoduleidunique", app["appmoduleid"])
            for component in body["Components"]:
                kind, id_name = APP_COMPONENTS[component["@odata.type"].rsplit(".", 1)[1]]
                row = {"appmodulecomponentid": str(uuid.uuid4()), "componenttype": kind,
                       "objectid": component[id_name], "_appmoduleidunique_value": app["appmoduleidunique"]}
                self.rows.setdefault("appmodulecomponents", []).append(row)
            return Response(status=204)
        table = next((t for t in self.tables.values() if t["entity_set"] == path), None)
        if path not in SYSTEM_SETS and table is None:
            return _not_found(f"Resource not found for the segment '{path}'.")
        id_column = ID_COLUMNS.get(path) or path.removesuffix("s") + "id"
        row_id = body.get(id_column) or str(uuid.uuid4())          # an id given in the body is the row's
        row = {id_column: row_id}
        for name, value in body.items():
            if name.endswith("@odata.bind"):
                # `_<attribute>_value`, lower case as Dataverse reads it (navigation names may have capitals)
                row[f"_{name.removesuffix('@odata.bind').lower()}_value"] = value[value.index("(") + 1:-1]
            else:
                row[name] = value
        self.rows.setdefault(path, []).append(row)
        return _created(f"{path}({row_id})")

    def _patch(self, path: str, body: Any) -> Response:
        match = ROW.fullmatch(path)
        if not match:
            return _not_found("no row")
        entity_set, row_id = match.groups()
        id_column = ID_COLUMNS.get(entity_set) or entity_set.removesuffix("s") + "id"
        for row in self.rows.get(entity_set, []):
            if row[id_column] == row_id:
                row.update(body)
                return Response(status=204)
        return _not_found("no row")

    def _row(self, entity_set: str, row_id: str) -> dict[str, Any] | None:
        id_column = ID_COLUMNS[entity_set]
        return next((r for r in self.rows.get(entity_set, []) if r[id_column] == row_id), None)

    def name_labels(self, entity_set: str, row_id: str) -> dict[int, str]:
        """What RetrieveLocLabels answers: the column in the base language, the others beside it."""
        row = self._row(entity_set, row_id)
        return {**self.labels.get((entity_set, row_id), {}), **({self.base_language: row["name"]} if row else {})}

    def _labels(self, query: dict[str, str]) -> Response:
        match = MONIKER.match(query.get("@p1", ""))
        if not match or query.get("@p2") != "'name'" or self._row(*match.groups()) is None:
            return _not_found("no such row or column")
        return _json({"Label": {"LocalizedLabels": [{"Label": text, "LanguageCode": code}
                                                    for code, text in self.name_labels(*match.groups()).items()]}})

    def _set_labels(self, body: dict[str, Any]) -> Response:
        moniker = body["EntityMoniker"]
        entity_set = LABEL_SETS[moniker["@odata.type"].rsplit(".", 1)[1]]
        row = self._row(entity_set, moniker[ID_COLUMNS[entity_set]])
        if row is None or body["AttributeName"] != "name":
            return _not_found("no such row or column")
        for item in body["Labels"]:
            if item["LanguageCode"] == self.base_language:
                row["name"] = item["Label"]
            else:
                self.labels.setdefault((entity_set, row[ID_COLUMNS[entity_set]]), {})[item["LanguageCode"]] = item["Label"]
        return Response(status=204)

    def _add_attribute(self, table: str, attribute: dict[str, Any]) -> None:
        logical = attribute["SchemaName"].lower()
        self.tables[table]["attributes"][logical] = {"LogicalName": logical, "AttributeType": attribute["AttributeType"],
                                                     **({"OptionSet": attribute["OptionSet"]}
                                                        if "OptionSet" in attribute else {})}


def _matches(row: dict[str, Any], condition: str | None) -> bool:
    if not condition:
        return True
    tests = []
    for column, literal, text in CONDITION.findall(condition):
        value: Any = text.replace("''", "'") if literal.startswith("'") else literal
        if literal in ("true", "false"):
            value = literal == "true"
        elif literal.isdigit():
            value = int(literal)
        tests.append(row.get(column) == value)
    return all(tests) if " and " in condition else any(tests)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _not_found(message: str) -> Response:
    return _json({"error": {"code": "0x80040217", "message": message}}, 404)


def _created(location: str) -> Response:
    return Response(status=204, headers={"OData-EntityId": f"http://127.0.0.1{API}{location}"})
