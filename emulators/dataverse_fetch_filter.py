"""FetchXML `<filter>` / `<condition>` of the Dataverse emulator, compiled to SQL.

Operators: eq, ne/neq, gt, ge, lt, le, null, not-null, like, not-like (the value carries its `%`),
begins-with, not-begin-with, ends-with, not-end-with, in, not-in (`<value>` children), between,
not-between, on, on-or-before, on-or-after (dates, UTC), today, yesterday, tomorrow,
last-seven-days, next-seven-days, last-x-days, next-x-days, last-x-hours, next-x-hours. Text compares
case-insensitively; a negative operator never matches a null column (SQL's three-valued logic, as in
Dataverse: "ne" does not return empty columns). A condition's `entityname` names a link-entity alias.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

from .dataverse_errors import GUID, QueryError
from .dataverse_filter import utc_text
from .dataverse_schema import EDM, TEXT_TYPES

INVALID_ARGUMENT = "0x80040203"
COMPARE = {"eq": "=", "ne": "<>", "neq": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
LIKE = {"like": ("", "{}"), "not-like": ("NOT ", "{}"), "begins-with": ("", "{}%"),
        "not-begin-with": ("NOT ", "{}%"), "ends-with": ("", "%{}"), "not-end-with": ("NOT ", "%{}")}
ON = {"on": "=", "on-or-before": "<=", "on-or-after": ">="}
RELATIVE = {"today", "yesterday", "tomorrow", "last-seven-days", "next-seven-days", "last-x-days",
            "next-x-days", "last-x-hours", "next-x-hours"}


def compile_filter(element: ET.Element, resolve) -> tuple[str, list]:
    """`resolve(entityname, attribute)` -> (SQL, type, table logical name)."""
    kind = element.get("type", "and").lower()
    if kind not in ("and", "or"):
        raise QueryError(f"Filter type '{kind}' is not valid: use 'and' or 'or'.", 400, INVALID_ARGUMENT)
    parts, params = [], []
    for child in element:
        if child.tag == "condition":
            sql, more = condition(child, resolve)
        elif child.tag == "filter":
            sql, more = compile_filter(child, resolve)
        else:
            raise QueryError(f"The element '{child.tag}' is not allowed in a filter.", 400, INVALID_ARGUMENT)
        parts.append(sql)
        params += more
    return ("(" + f" {kind.upper()} ".join(parts) + ")" if parts else "1"), params


def condition(element: ET.Element, resolve) -> tuple[str, list]:
    attr, op = element.get("attribute"), (element.get("operator") or "").lower()
    sql, kind, logical = resolve(element.get("entityname"), attr)
    texts = [v.text or "" for v in element.findall("value")]
    if not texts and element.get("value") is not None:
        texts = [element.get("value")]
    values = lambda: [literal(kind, t, logical, attr) for t in texts]      # noqa: E731
    collate = " COLLATE NOCASE" if kind in TEXT_TYPES else ""
    if op in ("null", "not-null"):
        return f"{sql} IS {'NOT ' if op == 'not-null' else ''}NULL", []
    if op in COMPARE:
        return f"{sql} {COMPARE[op]} ?{collate}", single(values(), op)
    if op in ("in", "not-in"):
        found = values()
        if not found:
            raise QueryError(f"The '{op}' operator needs at least one <value>.", 400, INVALID_ARGUMENT)
        return f"{sql}{collate} {'NOT ' if op == 'not-in' else ''}IN ({','.join('?' * len(found))})", found
    if op in ("between", "not-between"):
        low, high = pair(values(), op)
        return f"{sql} {'NOT ' if op == 'not-between' else ''}BETWEEN ? AND ?", [low, high]
    if op in LIKE and kind in TEXT_TYPES:
        negate, pattern = LIKE[op]
        value = single(texts, op)[0]
        if op not in ("like", "not-like"):
            value = re.sub(r"([%_\\])", r"\\\1", value)
        return f"{sql} {negate}LIKE ? ESCAPE '\\'", [pattern.format(value)]
    if op in ON and kind == "datetime":
        return f"substr({sql}, 1, 10) {ON[op]} ?", [single(values(), op)[0][:10]]
    if op in RELATIVE and kind == "datetime":
        start, end = relative_range(op, texts)
        return f"({sql} >= ? AND {sql} < ?)", [start, end]
    raise QueryError(f"The condition operator '{op}' is not supported on '{logical}.{attr}' "
                     "(or not emulated).", 400, INVALID_ARGUMENT)


def single(values: list, op: str) -> list:
    if len(values) != 1:
        raise QueryError(f"The '{op}' operator takes exactly one value.", 400, INVALID_ARGUMENT)
    return values


def pair(values: list, op: str) -> list:
    if len(values) != 2:
        raise QueryError(f"The '{op}' operator takes two <value> elements.", 400, INVALID_ARGUMENT)
    return values


def literal(kind: str, text: str, logical: str, attr: str):
    """A condition value as the store holds it."""
    try:
        if kind in TEXT_TYPES:
            return text
        if kind == "guid":
            value = text.strip().strip("{}").lower()
            assert GUID.match(value)
            return value
        if kind in ("int", "choice"):
            return int(text)
        if kind in ("money", "decimal"):
            return float(text)
        if kind == "bool":
            return {"1": 1, "true": 1, "0": 0, "false": 0}[text.strip().lower()]
        return utc_text(text.strip())
    except (AssertionError, KeyError, ValueError):
        raise QueryError(f"Condition for attribute '{logical}.{attr}': expected argument(s) of type "
                         f"'{EDM[kind]}' but received '{text}'.", 400, INVALID_ARGUMENT) from None


def relative_range(op: str, texts: list[str]) -> tuple[str, str]:
    """[start, end) of a relative date operator, in UTC, as stored text."""
    x = 0
    if "-x-" in op:
        if len(texts) != 1 or not texts[0].strip().isdigit():
            raise QueryError(f"The '{op}' operator takes one whole number.", 400, INVALID_ARGUMENT)
        x = int(texts[0])
    now = datetime.now(timezone.utc).replace(microsecond=0)
    today, day, hour, soon = now.replace(hour=0, minute=0, second=0), timedelta(days=1), \
        timedelta(hours=1), now + timedelta(seconds=1)
    low, high = {"today": (today, today + day), "yesterday": (today - day, today),
                 "tomorrow": (today + day, today + 2 * day), "last-seven-days": (today - 7 * day, soon),
                 "next-seven-days": (now, today + 8 * day), "last-x-days": (today - x * day, soon),
                 "next-x-days": (now, today + (x + 1) * day), "last-x-hours": (now - x * hour, soon),
                 "next-x-hours": (now, now + x * hour)}[op]
    return low.strftime("%Y-%m-%dT%H:%M:%SZ"), high.strftime("%Y-%m-%dT%H:%M:%SZ")
