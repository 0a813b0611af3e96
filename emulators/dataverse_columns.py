"""Column values a Dataverse emulator write stores: the client's, type-checked, and the platform's.

The platform sets audit columns, the owner, default status reasons, `fullname`, the activity type
and a note's `filesize` / `isdocument`, and refuses what Dataverse refuses (bad Base64, too large
attachments, parties without a participation type).
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

from .dataverse_errors import BAD_PAYLOAD, GUID, DataverseError, cannot_convert
from .dataverse_filter import utc_text
from .dataverse_schema import EDM, Table


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_lookup(data: dict, key: str, row_id: str | None, target: str | None) -> None:
    """A lookup is stored as its `_x_value` id plus a hidden `@lk._x_value` naming its table."""
    data[key], data["@lk." + key] = row_id, target


def convert(table: Table, name: str, kind: str, value):
    """A body's value for column `name` of type `kind`, checked as Dataverse checks it."""
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
        raise cannot_convert(value, EDM[kind])
    if kind == "choice" and name in table.choices and value not in table.choices[name]:
        raise DataverseError(f"A validation error occurred. The value {value} of '{name}' on record of "
                             f"type '{table.logical}' is outside the valid range.", 400, "0x8004431a")
    return value.lower() if kind == "guid" else value


def set_computed(table: Table, body: dict, data: dict, caller: str, creating: bool,
                 max_upload: int) -> None:
    """Platform-set columns: audit, owner, full name, default status, note file size."""
    stamp = now()
    if creating:
        set_created(table, data, caller, stamp)
    data["modifiedon"] = stamp
    set_lookup(data, "_modifiedby_value", caller, "systemuser")
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
        describe_note(data, max_upload)


def set_created(table: Table, data: dict, caller: str, stamp: str) -> None:
    """A new row: created by (and, unless given, owned by) the caller, active unless given."""
    data["createdon"] = stamp
    set_lookup(data, "_createdby_value", caller, "systemuser")
    if "ownerid" in table.lookups and data.get("_ownerid_value") is None:
        set_lookup(data, "_ownerid_value", caller, "systemuser")
    if "statecode" in table.columns and data.get("statecode") is None:
        data["statecode"] = 0


def describe_note(data: dict, max_upload: int) -> None:
    """A note's regarding table, and the size of its Base64 `documentbody` once decoded."""
    data["objecttypecode"] = data.get("@lk._objectid_value")
    document = data.get("documentbody") or ""
    if len(document) > max_upload:
        raise DataverseError("The attachment is either not a valid type or is too large.", 400, "0x80044a02")
    try:
        data["filesize"] = len(base64.b64decode(document, validate=True))
    except (binascii.Error, ValueError):
        raise DataverseError("documentbody is not valid Base64.", 400, BAD_PAYLOAD) from None
    data["isdocument"] = bool(document)
