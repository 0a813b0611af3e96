"""The CRM port: what the core needs from Dataverse, and the errors it can raise.

One real adapter (`connector.crm.dataverse.DataverseClient`, Web API) implements it; the local
emulator speaks the same Web API, so the same adapter drives it.
Records are plain dicts exactly as the Web API returns them (`_x_value` lookups, `@odata.etag`).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from connector.errors import Conflict, Forbidden, NotFound, SmscError

Record = dict[str, Any]


class CrmError(SmscError):
    """A Dataverse error answer: HTTP status plus the `{"error": {"code", "message"}}` body.

    `status` and `code` are Dataverse's; `error_code` / `answer_status` are ours (SmscError)."""
    error_code, answer_status = "crm_error", 502

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"Dataverse {status} {code}: {message}" if code else f"Dataverse {status}: {message}")
        self.status = status
        self.code = code
        self.message = message


class RecordNotFound(CrmError, NotFound):
    """404 / 0x80040217: the row does not exist."""
    error_code, answer_status = "not_found", 404


class ConcurrencyConflict(CrmError, Conflict):
    """412: the `If-Match` ETag no longer matches (someone else changed or took the row)."""
    error_code, answer_status = "conflict", 409


class DuplicateRecord(CrmError, Conflict):
    """412 on create-only, or 0x80060892 / 0x80040237: the (alternate) key is already used."""
    error_code, answer_status = "conflict", 409


class PrivilegeDenied(CrmError, Forbidden):
    """403 / 0x80040220 « Principal user (Id=…) is missing prvCreateActivity privilege …»: the user the
    request acts as (CallerObjectId) lacks it. `privilege` names it (e.g. prvWriteCampaign)."""
    error_code, answer_status = "forbidden", 403


class Throttled(CrmError):
    """429 after retries were exhausted (service protection limits)."""


@dataclass(frozen=True)
class BatchItemResult:
    """One operation of a `$batch`: the created id, or the error Dataverse gave for it."""
    status: int
    id: str | None = None
    error: CrmError | None = None


class Crm(Protocol):
    """Dataverse Web API operations the core uses. `entity_set` is the plural set name (`contacts`)."""

    def retrieve(self, entity_set: str, record_id: str, select: Sequence[str] | None = None,
                 expand: str | None = None) -> Record:
        """GET one row (with `@odata.etag`); raises RecordNotFound."""

    def retrieve_multiple(self, entity_set: str, *, select: Sequence[str] | None = None,
                          filter: str | None = None, orderby: str | None = None,
                          expand: str | None = None, top: int | None = None,
                          page_size: int = 5000) -> Iterator[Record]:
        """GET rows, following `@odata.nextLink` page by page (`Prefer: odata.maxpagesize`)."""

    def create(self, entity_set: str, body: Mapping[str, Any]) -> str:
        """POST a row; returns its id (from `OData-EntityId`)."""

    def create_returning(self, entity_set: str, body: Mapping[str, Any], select: Sequence[str]) -> Record:
        """POST a row with `Prefer: return=representation` (`$select`): the row as created, with its
        `@odata.etag` (no read after the create)."""

    def update(self, entity_set: str, record_id: str, body: Mapping[str, Any], *,
               etag: str = "*") -> None:
        """PATCH with `If-Match: <etag>` (`*` = must exist). Raises ConcurrencyConflict / RecordNotFound."""

    def upsert(self, entity_set: str, key: str, body: Mapping[str, Any]) -> None:
        """PATCH `<set>(<key>)` without If-Match: updates the row the key addresses (an alternate key
        such as `smsc_phonenumber='+33…'`), or creates it. One row per key, whoever writes first."""

    def create_note(self, regarding_table: str, regarding_id: str, *, subject: str, text: str = "",
                    filename: str | None = None, mimetype: str | None = None,
                    content: bytes | None = None) -> str:
        """POST an annotation on a row, the file as base64 `documentbody`."""

    def delete(self, entity_set: str, record_id: str) -> None:
        """DELETE a row; raises RecordNotFound."""

    def caller_object_id(self, systemuser_id: str) -> str:
        """The Entra object id of a CRM user, for `CallerObjectId` impersonation."""

    def fetch_xml(self, entity_set: str, fetch_xml: str, *, page_size: int = 5000) -> Iterator[Record]:
        """Rows of a FetchXML query, page by page with the paging cookie (`count` = page_size)."""

    def related(self, entity_set: str, record_id: str, navigation: str, *,
                select: Sequence[str] | None = None, filter: str | None = None,
                expand: str | None = None, page_size: int = 5000) -> Iterator[Record]:
        """Rows of a collection-valued navigation property (`lists(id)/listcontact_association`), paged."""

    def batch_create(self, entity_set: str, rows: Sequence[Mapping[str, Any]]) -> list[BatchItemResult]:
        """Up to 1,000 creates in one `$batch` request with `Prefer: odata.continue-on-error`:
        one result per row, in order; a row refused (e.g. duplicate alternate key) does not stop the rest."""

    def create_multiple(self, entity_set: str, logical_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """`CreateMultiple`: up to 1,000 rows in one request, all or nothing; the new ids, in order."""

    def batch_update(self, entity_set: str, updates: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BatchItemResult]:
        """Up to 1,000 updates `(id, columns)` in one `$batch` (continue-on-error), a result per row."""

    def batch_upsert(self, entity_set: str, rows: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BatchItemResult]:
        """Up to 1,000 upserts `(key, columns)` in one `$batch` (continue-on-error): `PATCH <set>(<key>)`
        without If-Match, as `upsert` does one row (`key`: an alternate key such as
        `smsc_phonenumber='+33…'`). A result per row, in order; a row refused does not stop the rest."""

    def run_batch(self, operations: Sequence[Any], *, repeatable: bool = False) -> list[Any]:
        """`connector.crm.batch.Request`s (URLs relative to the API, `contacts(…)`) in one `$batch`
        without continue-on-error, run in order: the `batch.Answer`s of those run, the first failure last.
        `repeatable`: running them twice writes nothing twice (retried after a 5xx)."""

    def execute_action(self, name: str, body: Mapping[str, Any]) -> Record | None:
        """POST an unbound action (`AddListMembersList`) with its parameters; its JSON answer, or None
        when it returns nothing (204)."""

    def max_upload_size(self) -> int:
        """`organization.maxuploadfilesize`: the largest base64 `documentbody` a note may carry."""

    def impersonate(self, caller_object_id: str | None) -> "Crm":
        """The same client acting as another user (`CallerObjectId`); None = the app itself."""


# Logical name -> entity set name, for the tables of the schema contract (DESIGN §4).
ENTITY_SETS: dict[str, str] = {
    "contact": "contacts",
    "lead": "leads",
    "account": "accounts",
    "systemuser": "systemusers",
    "usersettings": "usersettingscollection",
    "timezonedefinition": "timezonedefinitions",
    "annotation": "annotations",
    "campaign": "campaigns",
    "list": "lists",
    "salesorder": "salesorders",
    "incident": "incidents",
    "quote": "quotes",
    "invoice": "invoices",
    "smsc_textmessage": "smsc_textmessages",
    "smsc_smstemplate": "smsc_smstemplates",
    "smsc_configuration": "smsc_configurations",
    "smsc_quota": "smsc_quotas",
    "smsc_optout": "smsc_optouts",
    "smsc_workflow": "smsc_workflows",
}


class UnknownTable(ValueError):
    def __init__(self, logical_name: str):
        super().__init__(f"unknown table '{logical_name}'")
        self.logical_name = logical_name


def entity_set(logical_name: str) -> str:
    try:
        return ENTITY_SETS[logical_name]
    except KeyError:
        raise UnknownTable(logical_name) from None
