"""JSON from outside (webhook and API bodies), parsed once and safely for every route.

`json.loads` alone lets a 2 KB body of `[[[[...` raise RecursionError, a 4,301-digit number raise
ValueError (Python's int-string limit) and `"\\ud800"` become a string that cannot be encoded again.
`parse_json` refuses all three up front, with a `BadInput` naming the problem.
"""
from __future__ import annotations

import json
import re
from typing import Any

from connector.errors import BadInput

MAX_DEPTH = 64           # a RemoteExecutionContext nests about 10 levels (more with ParentContext)
MAX_NUMBER_LENGTH = 64   # characters of one number literal: more is not a value anyone sends
# Dataverse posts at most 256 KB (beyond, it drops Target and images and says so in a header).
MAX_BODY_BYTES = 1024 * 1024

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(body: bytes | str | None, *, what: str = "the body") -> Any:
    """The parsed value; raises BadInput (`malformed_json`) naming the problem."""
    if len(body or b"") > MAX_BODY_BYTES:
        raise BadInput(f"{what} is larger than {MAX_BODY_BYTES // 1024} KB", error_code="too_large")
    text = _text(body or b"", what)
    if nesting_depth(text) > MAX_DEPTH:
        raise _malformed(what, f"nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(text, parse_int=_integer, parse_float=_decimal_number, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise _malformed(what, str(error)) from None
    except _NumberRefused as error:
        raise _malformed(what, str(error)) from None
    if has_lone_surrogate(value):
        raise _malformed(what, "it holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is no character")
    return value


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', text)):
        if bracket.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def has_lone_surrogate(value: Any) -> bool:
    """True when a string anywhere in `value` (keys included) holds a lone surrogate."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class _NumberRefused(ValueError):
    pass


def _integer(literal: str) -> int:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise _NumberRefused(f"a number has {len(literal)} digits (at most {MAX_NUMBER_LENGTH})")
    return int(literal)


def _decimal_number(literal: str) -> float:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise _NumberRefused(f"a number has {len(literal)} characters (at most {MAX_NUMBER_LENGTH})")
    number = float(literal)
    if number in (float("inf"), float("-inf")):
        raise _NumberRefused(f"the number {literal} is out of range")
    return number


def _no_constant(name: str) -> Any:
    raise _NumberRefused(f"{name} is not a JSON value")


def _text(body: bytes | str, what: str) -> str:
    if isinstance(body, str):
        return body
    try:
        return body.decode(json.detect_encoding(body))
    except (UnicodeDecodeError, LookupError):
        raise _malformed(what, "it is not UTF-8 text") from None


def _malformed(what: str, problem: str) -> BadInput:
    return BadInput(f"{what} is not valid JSON: {problem}", error_code="malformed_json")
