"""Who a workflow SMS goes to and what it says: the recipient path followed from the triggering
record, and its text merged with that record (not with the recipient).

A recipient path is `self` or lookups from the triggering record (`customerid`,
`customerid.primarycontactid`); the first hop is in the record's values, each further hop is one read
of the record the previous one points to (connector.repositories.records, read exactly: a table
without that column is told apart from an empty lookup). The end must be a contact, an account (the unit-SMS
service then uses its primary contact's mobile) or a lead.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connector.clock import odata_utc
from connector.crm.port import CrmError, UnknownTable
from connector.crm.webhook import EntityRef
from connector.recipients import RECIPIENT_TABLES, RecipientError
from connector.repositories.recipients import NAME_COLUMN
from connector.repositories.records import MissingColumn, Records
from connector.text.templates import compile_template
from workflows.records import complete_values

LOOKUP_FIELDS = frozenset({"id", "name", "entity"})      # what a lookup offers without a read


def _described(ref: EntityRef) -> str:
    return f"{ref.name} ({ref.logical_name})" if ref.name else f"{ref.logical_name} {ref.id}"


def resolve_recipient(records: Records, table: str, record_id: str | None, values: Mapping[str, Any],
                      path: str) -> EntityRef:
    """The record the SMS goes to; RecipientError saying which hop is empty or wrong."""
    if path == "self":
        if table not in RECIPIENT_TABLES or not record_id:
            raise RecipientError("self_not_recipient", table=table)
        return EntityRef(table, record_id)
    first, *rest = path.split(".")
    ref = values.get(first)
    if not isinstance(ref, EntityRef) or not ref.id:
        raise RecipientError("empty_lookup", record=table, column=first)
    for hop in rest:
        ref = _follow(records, ref, hop)
    if ref.logical_name not in RECIPIENT_TABLES:
        raise RecipientError("path_not_recipient", path=path, table=ref.logical_name)
    return ref


def _follow(records: Records, ref: EntityRef, hop: str) -> EntityRef:
    try:
        row = records.read(ref.logical_name, ref.id, [hop], [hop], exact=True)
    except UnknownTable:
        raise RecipientError("path_not_recipient", path=ref.logical_name, table=ref.logical_name) from None
    except MissingColumn:
        raise RecipientError("no_lookup", table=ref.logical_name, column=hop) from None
    found = row.get(hop)
    if not isinstance(found, EntityRef):
        raise RecipientError("empty_lookup", record=_described(ref), column=hop)
    return found


def merge_text(records: Records, source: str, table: str, record_id: str | None, values: Mapping[str, Any],
               text_format: Mapping[str, Any]) -> str:
    """`source` merged with the triggering record (its values, completed by a read when needed) and
    the records its lookups point to. Raises TemplateError."""
    template = compile_template(source)
    fields = template.fields
    values = complete_values(records, table, record_id, values, set(fields.columns) | set(fields.lookups))
    related = {name: _related(records, values.get(name), names) for name, names in fields.lookups.items()}
    return template.render(template_context(values, related), **text_format)


def _related(records: Records, ref: Any, names: frozenset[str]) -> dict:
    """The columns a template reads of a lookup's record, as a template shows them (none needed: no read)."""
    if not isinstance(ref, EntityRef) or not ref.id:
        return {}
    wanted = set(names - LOOKUP_FIELDS)
    if "name" in names and not ref.name and ref.logical_name in NAME_COLUMN:
        wanted.add(NAME_COLUMN[ref.logical_name])
    if not wanted:
        return {}
    try:
        return records.read(ref.logical_name, ref.id, sorted(wanted), exact=True, labels=True)
    except (MissingColumn, UnknownTable):
        return {}               # a column the related table lacks prints as empty
    except CrmError as error:
        if error.status != 404:
            raise
        return {}


def template_context(values: Mapping[str, Any], related: Mapping[str, Mapping] | None = None) -> dict:
    """Plain values as a template context: lookups as {id, name, entity, + their record's columns},
    dates as Dataverse writes them."""
    related = related or {}
    context: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, EntityRef):
            row = dict(related.get(name) or {})
            fallback = row.get(NAME_COLUMN.get(value.logical_name, "name"))
            context[name] = {**row, "id": value.id, "entity": value.logical_name,
                             "name": value.name or row.get("name") or fallback}
        elif isinstance(value, datetime):
            context[name] = odata_utc(value)
        else:
            context[name] = value
    return context
