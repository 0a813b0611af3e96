"""The `Crm` port over the Dataverse Web API (OData v4).

Retries on 429/502/503/504 (honouring `Retry-After`) come from the shared session (`connector.http`);
an answer still failing after them becomes one of the port's errors, naming the request and the status.
Whether a request may be repeated after a 502/503/504 (it may have been run) is decided here, request
by request (`_repeatable_post`): reads and PATCH/DELETE always; a POST only when running it twice
cannot write twice. Any POST is retried on 429 (the request was not run).
The bearer token only ever travels in the `Authorization` header: never logged, never in an error.
"""
from __future__ import annotations

import base64
import copy
import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import requests

from connector.crm import batch
from connector.crm.auth import TokenCredential
from connector.crm.fetchxml import FetchQuery
from connector.crm.odata import entity_id, error_from, odata_literal, query_string, raise_for_error, to_json
from connector.crm.port import BatchItemResult, CrmError, DuplicateRecord, Record, entity_set
from connector.http import REPEATABLE_STATUSES, build_session, repeatable

__all__ = ["DataverseClient", "odata_literal"]

log = logging.getLogger(__name__)

ANNOTATIONS = 'odata.include-annotations="*"'    # formatted values, lookup logical names
BASE_HEADERS = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}
JSON_UTF8 = "application/json; charset=utf-8"
TRANSIENT_STATUSES = frozenset(REPEATABLE_STATUSES)     # still failing after the retries: named errors
# The alternate keys of the solution's tables (solution/tables.py): a create carrying them all is refused
# as a duplicate when run a second time, so repeating it after a 5xx cannot make a second row.
ALTERNATE_KEYS: dict[str, tuple[str, ...]] = {
    "smsc_textmessages": ("smsc_idempotencykey",),
    "smsc_sendledgers": ("smsc_requestid",),
    "smsc_optouts": ("smsc_phonenumber",),
}
ACTION = "Microsoft.Dynamics.CRM."
# Bulk actions that write the same rows the same way however often they run (UpsertMultiple by alternate
# key or id, UpdateMultiple by id); CreateMultiple is repeatable only when every target carries its key.
REPEATABLE_ACTIONS = frozenset({"UpsertMultiple", "UpdateMultiple"})


class DataverseClient:
    """One organisation's Web API, as the app or (after `impersonate`) as a user."""

    def __init__(self, base_url: str, credential: TokenCredential, *, timeout: float = 20,
                 session: requests.Session | None = None, page_size: int = 5000,
                 api_version: str = "v9.2", caller_object_id: str | None = None):
        self.api_url = f"{base_url.rstrip('/')}/api/data/{api_version}/"
        self._credential = credential
        self._timeout = timeout
        self._session = session or build_session()
        self._page_size = page_size
        self._caller = caller_object_id
        self._object_ids: dict[str, str] = {}    # systemuserid -> Entra object id, shared by clones
        self._organization: dict[str, Any] = {}  # organization columns read once, shared by clones

    def impersonate(self, caller_object_id: str | None) -> DataverseClient:
        """The same session and credential, acting as that Entra user (`None`: the app itself)."""
        clone = copy.copy(self)
        clone._caller = caller_object_id
        return clone

    def caller_object_id(self, systemuserid: str) -> str:
        """The Entra object id `CallerObjectId` needs, for the `systemuserid` a webhook carries."""
        if systemuserid not in self._object_ids:
            user = self.impersonate(None).retrieve("systemusers", systemuserid,
                                                   select=["azureactivedirectoryobjectid"])
            object_id = user.get("azureactivedirectoryobjectid")
            if not object_id:
                raise CrmError(0, "NoEntraObjectId", f"systemuser {systemuserid} has no Entra object id")
            self._object_ids[systemuserid] = object_id
        return self._object_ids[systemuserid]

    def retrieve(self, entity_set: str, record_id: str, select: Sequence[str] | None = None,
                 expand: str | None = None) -> Record:
        url = self._url(f"{entity_set}({record_id})", {"$select": _names(select), "$expand": expand})
        return self._send("GET", url, prefer=ANNOTATIONS).json()

    def retrieve_multiple(self, entity_set: str, *, select: Sequence[str] | None = None,
                          filter: str | None = None, orderby: str | None = None,
                          expand: str | None = None, top: int | None = None,
                          page_size: int | None = None) -> Iterator[Record]:
        url = self._url(entity_set, {"$select": _names(select), "$filter": filter,
                                     "$orderby": orderby, "$expand": expand, "$top": top})
        # With $top the caller wants one bounded answer: no paging preference to mix with it.
        return self._pages(url, ANNOTATIONS if top else self._paging(page_size))

    def related(self, entity_set: str, record_id: str, navigation: str, *,
                select: Sequence[str] | None = None, filter: str | None = None,
                expand: str | None = None, page_size: int | None = None) -> Iterator[Record]:
        """A collection-valued navigation property: `lists(id)/listcontact_association`."""
        url = self._url(f"{entity_set}({record_id})/{navigation}",
                        {"$select": _names(select), "$filter": filter, "$expand": expand})
        return self._pages(url, self._paging(page_size))

    def fetch_xml(self, entity_set: str, fetch_xml: str, *, page_size: int = 5000) -> Iterator[Record]:
        """Rows of a FetchXML query (null columns omitted), page by page with the paging cookie."""
        query = FetchQuery(entity_set, fetch_xml, page_size)    # refuses bad XML or count > 5,000 at once
        return self._fetch_pages(entity_set, query)

    def _fetch_pages(self, entity_set: str, query: FetchQuery) -> Iterator[Record]:
        while True:
            answer = self._get_json(f"{self.api_url}{entity_set}?fetchXml={query.encoded()}")
            yield from answer.get("value", [])
            if not query.next_page(answer):
                return

    def create(self, entity_set: str, body: Mapping[str, Any]) -> str:
        return entity_id(self._send("POST", self._url(entity_set), body=body,
                                    repeatable_post=_repeatable_create(entity_set, body)))

    def create_returning(self, entity_set: str, body: Mapping[str, Any], select: Sequence[str]) -> Record:
        """POST a row with `Prefer: return=representation`: the row as created, with its `@odata.etag`."""
        return self._send("POST", self._url(entity_set, {"$select": ",".join(select)}), body=body,
                          prefer="return=representation",
                          repeatable_post=_repeatable_create(entity_set, body)).json()

    def batch_create(self, entity_set: str, rows: Sequence[Mapping[str, Any]]) -> list[BatchItemResult]:
        """One `$batch` of creates with `Prefer: odata.continue-on-error`: a result per row, in order."""
        creates = batch.create_requests(self._url(entity_set), rows)      # ValueError over 1,000
        # Repeated after a 5xx only when each row carries its alternate key: a second run then answers
        # each row already created as a duplicate (DuplicateRecord), which callers count as there.
        keyed = all(_repeatable_create(entity_set, row) for row in rows)
        return batch.create_results(len(rows), self._batch(creates, batch.CONTINUE_ON_ERROR, repeatable_post=keyed)) \
            if rows else []

    def batch_update(self, entity_set: str, updates: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BatchItemResult]:
        """One `$batch` of updates (id, columns) with continue-on-error: a result per row, in order."""
        patches = batch.update_requests(self._url(entity_set), updates)
        ids = [record_id for record_id, _ in updates]
        # PATCH with If-Match by id: the same columns written again, so the batch is repeatable.
        return batch.update_results(ids, self._batch(patches, batch.CONTINUE_ON_ERROR, repeatable_post=True)) \
            if updates else []

    def batch_upsert(self, entity_set: str, rows: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BatchItemResult]:
        """One `$batch` of upserts (alternate key, columns), no If-Match, continue-on-error: a result per row."""
        upserts = batch.upsert_requests(self._url(entity_set), [(_key_address(key), body) for key, body in rows])
        # Upserts by alternate key: a second run updates the rows the first one made, so it is repeatable.
        return batch.upsert_results(len(rows), self._batch(upserts, batch.CONTINUE_ON_ERROR, repeatable_post=True)) \
            if rows else []

    def run_batch(self, operations: Sequence[batch.Request], *, repeatable: bool = False) -> list[batch.Answer]:
        """Operations (URLs relative to the API) in one `$batch`, run in order up to the first failure."""
        absolute = [replace(op, url=self.api_url + op.url) for op in operations]
        boundary = batch.new_boundary()
        response = self._send("POST", f"{self.api_url}$batch", data=batch.encode(absolute, boundary),
                              headers={"Content-Type": f"multipart/mixed; boundary={boundary}"}, check=False,
                              repeatable_post=repeatable)
        return batch.answers_to_failure(response)

    def execute_action(self, name: str, body: Mapping[str, Any]) -> Record | None:
        """An unbound action: `POST {api}/<name>`; 204 (no return value) gives None."""
        response = self._send("POST", self._url(name), body=body,
                              repeatable_post=name.rpartition(ACTION)[2] in REPEATABLE_ACTIONS)
        return response.json() if response.status_code != 204 and response.content else None

    def create_multiple(self, entity_set: str, logical_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """`CreateMultiple` (all or nothing on standard tables): the new ids, in order."""
        if not rows:
            return []
        targets = [{"@odata.type": f"Microsoft.Dynamics.CRM.{logical_name}", **row} for row in rows]
        answer = self._send("POST", self._url(f"{entity_set}/Microsoft.Dynamics.CRM.CreateMultiple"),
                            body={"Targets": targets},
                            repeatable_post=all(_repeatable_create(entity_set, row) for row in rows)).json()
        return list(answer["Ids"])

    def max_upload_size(self) -> int:
        """`organization.maxuploadfilesize`, read once: the largest base64 `documentbody` of a note."""
        if "maxuploadfilesize" not in self._organization:
            url = self._url("organizations", {"$select": "maxuploadfilesize"})
            [organization] = self._send("GET", url).json()["value"]
            self._organization["maxuploadfilesize"] = int(organization["maxuploadfilesize"])
        return self._organization["maxuploadfilesize"]

    def update(self, entity_set: str, record_id: str, body: Mapping[str, Any], *,
               etag: str = "*") -> None:
        # PATCH is an upsert: If-Match (`*` or the row's ETag) keeps it a plain update.
        self._send("PATCH", self._url(f"{entity_set}({record_id})"), body=body,
                   headers={"If-Match": etag})

    def upsert(self, entity_set: str, key: str, body: Mapping[str, Any]) -> None:
        self._send("PATCH", self._url(f"{entity_set}({_key_address(key)})"), body=body)

    def delete(self, entity_set: str, record_id: str, *, etag: str | None = None) -> None:
        self._send("DELETE", self._url(f"{entity_set}({record_id})"),
                   headers={"If-Match": etag} if etag else None)

    def create_note(self, regarding_table: str, regarding_id: str, *, subject: str, text: str = "",
                    filename: str | None = None, mimetype: str | None = None,
                    content: bytes | None = None) -> str:
        """An annotation on the row; `regarding_table` is the logical name (`campaign`).

        Its id is chosen here (Dataverse honours a primary key given on create), which makes the POST
        repeatable: a second run after a 5xx is refused as a duplicate of that id, i.e. the note is there."""
        note_id = str(uuid.uuid4())
        body: dict[str, Any] = {
            "annotationid": note_id, "subject": subject, "notetext": text,
            f"objectid_{regarding_table}@odata.bind": f"/{entity_set(regarding_table)}({regarding_id})",
        }
        try:
            if content is None:
                return self.create("annotations", body)
            body |= {"filename": filename or "attachment", "mimetype": mimetype or "application/octet-stream"}
            # The base64 is spliced in as bytes: a report part is megabytes, and going through a str and
            # json.dumps would hold four copies of it at once.
            payload = to_json(body)[:-1] + b', "documentbody": "' + base64.b64encode(content) + b'"}'
            return entity_id(self._send("POST", self._url("annotations"), data=payload,
                                        headers={"Content-Type": JSON_UTF8}, repeatable_post=True))
        except DuplicateRecord:         # a fresh id already taken: an earlier attempt of this POST made it
            return note_id

    def _url(self, path: str, options: Mapping[str, Any] | None = None) -> str:
        query = query_string(options or {})
        return f"{self.api_url}{path}?{query}" if query else f"{self.api_url}{path}"

    def _paging(self, page_size: int | None) -> str:
        return f"{ANNOTATIONS},odata.maxpagesize={page_size or self._page_size}"

    def _pages(self, url: str | None, prefer: str) -> Iterator[Record]:
        """`value` rows of each page, following `@odata.nextLink`."""
        while url:
            page = self._send("GET", url, prefer=prefer).json()
            yield from page.get("value", [])
            url = page.get("@odata.nextLink")     # followed as is: it carries the paging cookie

    def _get_json(self, url: str) -> Any:
        """GET with annotations; a URL too long for a plain GET goes inside a `$batch` (≤ 64 KB)."""
        if len(url) <= batch.GET_URL_LIMIT:
            return self._send("GET", url, prefer=ANNOTATIONS).json()
        get = batch.get_request(url, {**BASE_HEADERS, "Prefer": ANNOTATIONS})
        return batch.single_json(self._batch([get], repeatable_post=True))        # a read

    def _batch(self, operations: Sequence[batch.Request], prefer: str | None = None, *,
               repeatable_post: bool = False) -> list[batch.Answer]:
        boundary = batch.new_boundary()
        response = self._send("POST", f"{self.api_url}$batch", data=batch.encode(operations, boundary), prefer=prefer,
                              headers={"Content-Type": f"multipart/mixed; boundary={boundary}"}, check=False,
                              repeatable_post=repeatable_post)
        batch.raise_for_error(response)         # a failed batch names its first failing request
        return batch.decode(response.headers.get("Content-Type", ""), response.content)

    def _send(self, method: str, url: str, *, body: Mapping[str, Any] | None = None, data: bytes | None = None,
              prefer: str | None = None, headers: Mapping[str, str] | None = None,
              check: bool = True, repeatable_post: bool = False) -> requests.Response:
        """One request; `repeatable_post`: this POST may be run twice without writing twice (the session
        then retries it on 502/503/504 like a read). Any other method is repeatable."""
        try:
            with repeatable(method != "POST" or repeatable_post):
                response = self._session.request(
                    method, url, headers=self._headers(prefer, headers, has_body=body is not None),
                    data=to_json(body) if body is not None else data, timeout=self._timeout)
        except requests.RequestException as exc:
            # Its text holds the URL only, but the object holds the request and so the token: not chained.
            raise CrmError(0, type(exc).__name__, f"{method} {url}: {exc}") from None
        log.debug("%s %s -> %s", method, url, response.status_code)
        if response.status_code in TRANSIENT_STATUSES:
            raise self._transient_error(method, url, response, method != "POST" or repeatable_post)
        if check:
            raise_for_error(response)
        return response

    def _transient_error(self, method: str, url: str, response: requests.Response, repeated: bool) -> CrmError:
        """The error of a 429/5xx still there after the retries (or of a POST not repeatable), naming the
        request (path without its query: filters may quote phone numbers) and the status, so the
        campaign can show why it stopped."""
        error = error_from(response)
        request = f"{method} {url[len(self.api_url):].split('?')[0] if url.startswith(self.api_url) else url}"
        tried = "after retries" if repeated or response.status_code == 429 else "not repeated: it may have run"
        return type(error)(error.status, error.code, f"{request} answered {error.status} ({tried}): {error.message}")

    def _headers(self, prefer: str | None, extra: Mapping[str, str] | None, *, has_body: bool) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._credential.token()}", **BASE_HEADERS}
        if has_body:
            headers["Content-Type"] = JSON_UTF8
        if prefer:
            headers["Prefer"] = prefer
        if self._caller:
            headers["CallerObjectId"] = self._caller
        return headers | dict(extra or {})


def _repeatable_create(entity_set: str, body: Mapping[str, Any]) -> bool:
    """A create that a second run cannot repeat: it carries its table's alternate key (the second run is
    refused as a duplicate), or it is a note carrying the id chosen for it (`create_note`). A plain
    create without either would make a second row: not repeatable."""
    if entity_set == "annotations":
        return bool(body.get("annotationid"))
    keys = ALTERNATE_KEYS.get(entity_set, ())
    return bool(keys) and all(body.get(column) not in (None, "") for column in keys)


def _key_address(key: str) -> str:
    """An alternate key as it goes in a URL: the `+` of an E.164 key is encoded, since some servers
    read a bare `+` in a URL as a space."""
    return quote(key, safe="='")


def _names(select: Sequence[str] | None) -> str | None:
    return ",".join(select) if select else None
