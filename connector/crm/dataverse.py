"""The `Crm` port over the Dataverse Web API (OData v4).

Retries on 429/503/504 (honouring `Retry-After`) come from the shared session (`connector.http`);
an answer still failing after them becomes one of the port's errors. POST is retried on 429 only
(the request was not run); after a 503/504 it may have been, so it surfaces for the caller to decide.
The bearer token only ever travels in the `Authorization` header: never logged, never in an error.
"""
from __future__ import annotations

import base64
import copy
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import requests

from connector.crm.auth import TokenCredential
from connector.crm.odata import entity_id, odata_literal, query_string, raise_for_error, to_json
from connector.crm.port import CrmError, Record, entity_set
from connector.http import build_session

__all__ = ["DataverseClient", "odata_literal"]

log = logging.getLogger(__name__)

ANNOTATIONS = 'odata.include-annotations="*"'    # formatted values, lookup logical names
BASE_HEADERS = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}
JSON_UTF8 = "application/json; charset=utf-8"


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
        url: str | None = self._url(entity_set, {"$select": _names(select), "$filter": filter,
                                                 "$orderby": orderby, "$expand": expand, "$top": top})
        # With $top the caller wants one bounded answer: no paging preference to mix with it.
        prefer = ANNOTATIONS if top else f"{ANNOTATIONS},odata.maxpagesize={page_size or self._page_size}"
        while url:
            page = self._send("GET", url, prefer=prefer).json()
            yield from page.get("value", [])
            url = page.get("@odata.nextLink")     # followed as is: it carries the paging cookie

    def create(self, entity_set: str, body: Mapping[str, Any]) -> str:
        return entity_id(self._send("POST", self._url(entity_set), body=body))

    def update(self, entity_set: str, record_id: str, body: Mapping[str, Any], *,
               etag: str = "*") -> None:
        # PATCH is an upsert: If-Match (`*` or the row's ETag) keeps it a plain update.
        self._send("PATCH", self._url(f"{entity_set}({record_id})"), body=body,
                   headers={"If-Match": etag})

    def delete(self, entity_set: str, record_id: str, *, etag: str | None = None) -> None:
        self._send("DELETE", self._url(f"{entity_set}({record_id})"),
                   headers={"If-Match": etag} if etag else None)

    def create_note(self, regarding_table: str, regarding_id: str, *, subject: str, text: str = "",
                    filename: str | None = None, mimetype: str | None = None,
                    content: bytes | None = None) -> str:
        """An annotation on the row; `regarding_table` is the logical name (`campaign`)."""
        body: dict[str, Any] = {
            "subject": subject, "notetext": text,
            f"objectid_{regarding_table}@odata.bind": f"/{entity_set(regarding_table)}({regarding_id})",
        }
        if content is not None:
            body |= {"filename": filename or "attachment", "mimetype": mimetype or "application/octet-stream",
                     "documentbody": base64.b64encode(content).decode("ascii")}
        return self.create("annotations", body)

    def _url(self, path: str, options: Mapping[str, Any] | None = None) -> str:
        query = query_string(options or {})
        return f"{self.api_url}{path}?{query}" if query else f"{self.api_url}{path}"

    def _send(self, method: str, url: str, *, body: Mapping[str, Any] | None = None,
              prefer: str | None = None, headers: Mapping[str, str] | None = None) -> requests.Response:
        try:
            response = self._session.request(
                method, url, headers=self._headers(prefer, headers, has_body=body is not None),
                data=None if body is None else to_json(body), timeout=self._timeout)
        except requests.RequestException as exc:
            # Its text holds the URL only, but the object holds the request and so the token: not chained.
            raise CrmError(0, type(exc).__name__, f"{method} {url}: {exc}") from None
        log.debug("%s %s -> %s", method, url, response.status_code)
        raise_for_error(response)
        return response

    def _headers(self, prefer: str | None, extra: Mapping[str, str] | None, *, has_body: bool) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._credential.token()}", **BASE_HEADERS}
        if has_body:
            headers["Content-Type"] = JSON_UTF8
        if prefer:
            headers["Prefer"] = prefer
        if self._caller:
            headers["CallerObjectId"] = self._caller
        return headers | dict(extra or {})


def _names(select: Sequence[str] | None) -> str | None:
    return ",".join(select) if select else None
