"""Bulk actions of the Dataverse emulator: `<set>/Microsoft.Dynamics.CRM.CreateMultiple` / `UpdateMultiple`.

`{"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.<logical>", ...}]}`; CreateMultiple answers
200 `{"@odata.context": "…$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse", "Ids": [...]}`,
UpdateMultiple 204. All or nothing, as on standard tables: the whole request is one transaction, so a
duplicate alternate key in any target writes nothing. Available on the custom (`smsc_`) tables only:
elsewhere the answer is the "not enabled" error Dataverse gives tables without the message.
"""
from __future__ import annotations

from werkzeug.wrappers import Response

from .dataverse_errors import BAD_PAYLOAD, ODATA_ERROR, DataverseError, unknown_segment
from .dataverse_http import Call, reply, request_body
from .dataverse_schema import Table
from .dataverse_write import Writer

ACTIONS = ("CreateMultiple", "UpdateMultiple")
INVALID_ARGUMENT = "0x80040203"


def supports(table: Table) -> bool:
    return table.logical.startswith("smsc_")


def targets(call: Call, table: Table, action: str) -> list[dict]:
    items = request_body(call.request).get("Targets")
    if not isinstance(items, list) or not items or not all(isinstance(t, dict) for t in items):
        raise DataverseError(f"{action} needs a non-empty 'Targets' array of objects.", 400, BAD_PAYLOAD)
    for item in items:
        if item.get("@odata.type") != table.type_name:
            raise DataverseError(f"Each target needs \"@odata.type\": \"{table.type_name}\" (found "
                                 f"{item.get('@odata.type')!r}).", 400, BAD_PAYLOAD)
    return items


def bulk_response(call: Call, writer: Writer, table: Table, action: str) -> Response:
    if action not in ACTIONS:
        raise unknown_segment(f"Microsoft.Dynamics.CRM.{action}")
    if call.request.method != "POST":
        raise DataverseError(f"{action} is an action: use POST.", 405, ODATA_ERROR)
    if not supports(table):
        raise DataverseError(f"{action} is not enabled on the entity {table.logical}", 400, INVALID_ARGUMENT)
    items = targets(call, table, action)
    with writer.store.transaction():        # all or nothing
        if action == "CreateMultiple":
            ids = [writer.write(table, None, dict(item), call.caller) for item in items]
        else:
            for item in items:
                row_id = str(item.get(table.primary_id) or "").lower()
                if not row_id:
                    raise DataverseError(f"UpdateMultiple targets need '{table.primary_id}'.", 400, BAD_PAYLOAD)
                writer.write(table, row_id, {k: v for k, v in item.items() if k != table.primary_id},
                             call.caller, must_exist=True)
    if action == "UpdateMultiple":
        return reply(None, 204)
    return reply({"@odata.context": f"{call.base}$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse",
                  "Ids": ids})
