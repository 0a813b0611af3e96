"""FetchXML paging for the Web API: `count`/`page` and the paging cookie (docs: "Paging with FetchXML").

First page `page="1"`. While an answer carries `@Microsoft.Dynamics.CRM.morerecords: true`, the next
request increments `page` and, when the answer also carries `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie`
(`<cookie pagenumber="2" pagingcookie="%253ccookie…" istracking="False" />`), sets the `pagingcookie`
attribute, URL-decoded twice, as the fetch's `paging-cookie` (ElementTree XML-escapes it). Without a
cookie (e.g. an order on a link-entity) that is simple paging, limited by Dataverse to 50,000 rows.
Both annotations are absent on the last page. FetchXML rows omit null columns (OData gives `null`).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

from connector.crm.port import CrmError, ENTITY_SETS

MAX_COUNT = 5000
MORE_RECORDS = "@Microsoft.Dynamics.CRM.morerecords"
PAGING_COOKIE = "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"


class FetchQuery:
    """One FetchXML query walked page by page; `encoded()` is the current `fetchXml=` value."""

    def __init__(self, entity_set: str, fetch_xml: str, page_size: int = MAX_COUNT):
        if not 1 <= page_size <= MAX_COUNT:
            raise ValueError(f"FetchXML count must be 1..{MAX_COUNT}, not {page_size}")
        try:
            self.root = ET.fromstring(fetch_xml)    # ours (the caller's query): plain ElementTree
        except ET.ParseError as exc:
            raise ValueError(f"invalid FetchXML: {exc}") from None
        _check(self.root, entity_set)
        self.page = 1
        self.root.attrib.pop("paging-cookie", None)
        self.root.set("count", str(page_size))
        self.root.set("page", "1")

    def encoded(self) -> str:
        return quote(ET.tostring(self.root, encoding="unicode"), safe="")

    def next_page(self, answer: Mapping[str, Any]) -> bool:
        """Moves to the page after `answer`; False when `answer` was the last one."""
        if not answer.get(MORE_RECORDS):
            return False
        cookie = paging_cookie(answer.get(PAGING_COOKIE))
        if cookie is None:
            self.root.attrib.pop("paging-cookie", None)          # simple paging
        else:
            self.root.set("paging-cookie", cookie)
        self.page += 1                                          # before use: never page 1 twice
        self.root.set("page", str(self.page))
        return True


def paging_cookie(annotation: str | None) -> str | None:
    """The `pagingcookie` attribute of the annotation, URL-decoded twice (`<cookie page="1">…`)."""
    if not annotation:
        return None
    if "<!" in annotation:        # a cookie never has a DTD or CDATA: refuse entity tricks outright
        raise CrmError(200, "", "unexpected markup in the FetchXML paging cookie")
    try:
        value = ET.fromstring(annotation).get("pagingcookie")
    except ET.ParseError as exc:
        raise CrmError(200, "", f"unreadable FetchXML paging cookie: {exc}") from None
    return unquote(unquote(value)) if value else None


def _check(root: ET.Element, entity_set: str) -> None:
    entity = root.find("entity")
    if root.tag != "fetch" or entity is None:
        raise ValueError("FetchXML must be <fetch> with an <entity>")
    if root.get("top"):
        raise ValueError("FetchXML `top` cannot be combined with paging (count/page): remove it")
    known = ENTITY_SETS.get(entity.get("name", ""))
    if known and known != entity_set:
        raise ValueError(f"FetchXML entity {entity.get('name')!r} is queried on '{known}', not '{entity_set}'")
