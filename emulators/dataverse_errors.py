"""Errors of the Dataverse emulator, worded and coded as the Web API answers them."""
from __future__ import annotations

import re

from .dataverse_schema import Table

GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
ODATA_ERROR = "0x80060888"      # the code Dataverse gives bad URLs, options and unsupported calls
BAD_PAYLOAD = "0x80048d19"
NOT_FOUND = "0x80040217"
DUPLICATE = "0x80040237"


class QueryError(ValueError):
    def __init__(self, message: str, status: int = 400, code: str = ODATA_ERROR):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code


class DataverseError(QueryError):
    """Raised outside query parsing (routes, writes); the same answer as a QueryError."""


def unknown_property(table: Table, name: str) -> QueryError:
    return QueryError(f"Could not find a property named '{name}' on type '{table.type_name}'.")


def unknown_segment(segment: str, code: str = ODATA_ERROR) -> DataverseError:
    return DataverseError(f"Resource not found for the segment '{segment}'.", 404, code)


def not_found(logical: str, row_id: str) -> DataverseError:
    if not GUID.match(row_id):      # addressed by alternate key
        return DataverseError(f"A record with the specified key values does not exist in {logical} "
                              "entity", 404, NOT_FOUND)
    return DataverseError(f"{logical} With Id = {row_id} Does Not Exist", 404, NOT_FOUND)


def already_exists(code: str = DUPLICATE) -> DataverseError:
    return DataverseError("A record with matching key values already exists.", 412, code)


def cannot_convert(literal, edm_type: str) -> DataverseError:
    return DataverseError(f"Cannot convert the literal '{literal}' to the expected type "
                          f"'{edm_type}'.", 400, BAD_PAYLOAD)
