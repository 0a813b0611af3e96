"""Localized labels of rows (not metadata) in the Dataverse emulator: `SetLocLabels` and `RetrieveLocLabels`.

Dataverse keeps the other languages' names of a view, a chart or a form (savedquery, savedqueryvisualization,
systemform: `name` and `description`) beside the row; the row's column holds the organisation's base
language (`organization.languagecode`). `POST SetLocLabels {EntityMoniker, AttributeName, Labels}` sets
some languages' labels (a label of the base language also writes the column), 204; `GET
RetrieveLocLabels(EntityMoniker=@p1,AttributeName=@p2,IncludeUnpublished=@p3)?@p1={'@odata.id':'set(id)'}…`
answers `{"Label": {"LocalizedLabels": […], "UserLocalizedLabel": …}}`, the base language's from the column.
What a row's column reads is always the base language's label (the emulator does not swap it for the
caller's UI language); `UserLocalizedLabel` follows the caller's usersettings.uilanguageid.
The labels live in their own table of the SQLite file, so they survive a restart like the rows.
"""
from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Response

from .dataverse_errors import BAD_PAYLOAD, ODATA_ERROR, DataverseError, not_found
from .dataverse_http import Call, reply, request_body
from .dataverse_schema import BY_SET, Schema
from .dataverse_store import Store
from .dataverse_write import Writer

TABLE = """CREATE TABLE IF NOT EXISTS localized_labels (objectid TEXT NOT NULL, attribute TEXT NOT NULL,
    languagecode INTEGER NOT NULL, label TEXT NOT NULL, PRIMARY KEY (objectid, attribute, languagecode))"""
LOCALIZABLE = {"savedquery": ("name", "description"), "savedqueryvisualization": ("name", "description"),
               "systemform": ("name", "description")}
ENGLISH = 1033
RETRIEVE = "RetrieveLocLabels("
ODATA_ID = re.compile(r"^/?(\w+)\(([0-9a-fA-F-]{36})\)$")


class LocLabels:
    def __init__(self, schema: Schema, store: Store, writer: Writer):
        self.schema, self.store, self.writer = schema, store, writer
        self.store.execute(TABLE)

    def base_language(self) -> int:
        found = self.store.select("organizations", limit=1)
        return int((found[0][3] if found else {}).get("languagecode") or ENGLISH)

    def _row(self, moniker: Any) -> tuple[str, str, dict]:
        """(logical name, id, row) an EntityMoniker names: `{'@odata.id': 'set(id)'}` or
        `{'@odata.type': 'Microsoft.Dynamics.CRM.<table>', '<table>id': id}`."""
        if not isinstance(moniker, dict):
            raise DataverseError("EntityMoniker must be an entity reference.", 400, BAD_PAYLOAD)
        if "@odata.id" in moniker:
            match = ODATA_ID.match(str(moniker["@odata.id"]))
            table = BY_SET.get(match[1]) if match else None
            row_id = match[2] if match else ""
        else:
            logical = str(moniker.get("@odata.type", "")).rpartition(".")[2]
            table = next((t for t in BY_SET.values() if t.logical == logical), None)
            row_id = str(moniker.get(table.primary_id, "")) if table else ""
        if table is None or not row_id:
            raise DataverseError(f"EntityMoniker {json.dumps(moniker)} names no row.", 400, BAD_PAYLOAD)
        found = self.store.get(table.entity_set, row_id.lower())
        if found is None:
            raise not_found(table.logical, row_id)
        return table.logical, row_id.lower(), found[1]

    @staticmethod
    def _attribute(logical: str, attribute: Any) -> str:
        if attribute not in LOCALIZABLE.get(logical, ()):
            raise DataverseError(f"The attribute '{attribute}' of '{logical}' has no localized labels.", 400,
                                 "0x80040203")
        return str(attribute)

    def labels(self, object_id: str, attribute: str, row: dict) -> dict[int, str]:
        found = {int(code): label for code, label in self.store.query(
            "SELECT languagecode, label FROM localized_labels WHERE objectid = ? AND attribute = ?",
            [object_id, attribute])}
        if row.get(attribute) is not None:
            found[self.base_language()] = str(row[attribute])
        return found

    def set(self, call: Call) -> Response:
        if call.request.method != "POST":
            raise DataverseError("SetLocLabels is an action: POST it.", 405, ODATA_ERROR)
        body = request_body(call.request)
        logical, object_id, _ = self._row(body.get("EntityMoniker"))
        attribute = self._attribute(logical, body.get("AttributeName"))
        labels = body.get("Labels")
        if not isinstance(labels, list) or not all(
                isinstance(item, dict) and isinstance(item.get("LanguageCode"), int)
                and isinstance(item.get("Label"), str) for item in labels):
            raise DataverseError("Labels must be a list of {Label, LanguageCode}.", 400, BAD_PAYLOAD)
        base = self.base_language()
        with self.store.transaction():
            for item in labels:
                if item["LanguageCode"] == base:       # the base language's label is the row's column
                    self.writer.write(self.schema[logical], object_id, {attribute: item["Label"]}, call.caller,
                                      must_exist=True)
                else:
                    self.store.execute("INSERT OR REPLACE INTO localized_labels VALUES (?, ?, ?, ?)",
                                       [object_id, attribute, item["LanguageCode"], item["Label"]])
        return reply(None, 204)

    def retrieve(self, call: Call) -> Response:
        if call.request.method != "GET":
            raise DataverseError("RetrieveLocLabels is a function: GET it.", 405, ODATA_ERROR)
        parameters = {name: call.args.get(alias.strip(), alias.strip()) for name, _, alias in (
            part.partition("=") for part in call.path[len(RETRIEVE):].rstrip(")").split(","))}
        try:
            moniker = json.loads(str(parameters.get("EntityMoniker", "")).replace("'", '"'))
        except ValueError:
            raise DataverseError("EntityMoniker must be {'@odata.id':'<set>(<id>)'}.", 400, BAD_PAYLOAD) from None
        logical, object_id, row = self._row(moniker)
        attribute = self._attribute(logical, str(parameters.get("AttributeName", "")).strip("'"))
        found = self.labels(object_id, attribute, row)
        localized = [{"Label": label, "LanguageCode": code, "IsManaged": False, "MetadataId": None,
                      "HasChanged": None} for code, label in sorted(found.items())]
        settings = (self.store.get("usersettingscollection", call.caller) or (0, {}))[1]
        user = next((item for item in localized if item["LanguageCode"] == settings.get("uilanguageid")),
                    next((item for item in localized if item["LanguageCode"] == self.base_language()), None))
        return reply({"@odata.context": f"{call.base}$metadata#Microsoft.Dynamics.CRM.RetrieveLocLabelsResponse",
                      "Label": {"LocalizedLabels": localized, "UserLocalizedLabel": user}})
