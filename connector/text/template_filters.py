"""The filters and tests an SMS template may use, formatting in the user's locale.

Every filter treats a missing or null field as empty, so one record without a value
never fails a campaign; a value of the wrong kind (money on "abc") raises FilterError
naming the template line and the field.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, DecimalException, InvalidOperation, localcontext,
)
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal
from jinja2 import nodes, pass_context
from jinja2 import filters as jinja_filters
from jinja2.runtime import Context, Undefined

from connector.sms.port import LONGEST_TEXT
from connector.text.template_rules import describe_field

# Keyword added to every filter call at compile time: "line 3, field 'amount'".
SITE_KEYWORD = "_smsc_site"
# Context key holding RenderOptions; templates cannot name it (leading underscore).
OPTIONS_KEY = "_smsc_render_options"
# Context key holding the time (time.monotonic) a render must end by.
DEADLINE_KEY = "_smsc_render_deadline"
# No filter may make a text longer than the longest SMS the provider takes (LONGEST_TEXT), so
# that `replace('', 'xxxxxxxxxx')` chains cannot fill the memory.
MAX_DECIMALS = 10             # number(decimals) and round(precision)
MAX_MAGNITUDE = 30            # digits before the point: a text "1E+999999" would print a million
# What DEADLINE_KEY is measured with: the rendering thread's own CPU time, so that a busy machine (other
# processes, other threads) never makes a sound template miss its bound; a runaway one burns CPU and is
# stopped all the same. Replaced by tests.
clock = time.thread_time

ALLOWED_TESTS = frozenset({
    "defined", "undefined", "number", "string", "true", "false",
    "eq", "ne", "lt", "le", "gt", "ge", "in", "odd", "even",
})

# Babel uses no-break and narrow no-break spaces (1 234,50 €); they are not in the GSM
# alphabet and would turn the whole SMS into UCS-2, so they become plain spaces.
_UNICODE_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_QUOTED = re.compile(r"('[^']*')")
_ROUNDING = {"common": ROUND_HALF_UP, "ceil": ROUND_CEILING, "floor": ROUND_FLOOR}


class FilterError(ValueError):
    """A filter could not format its value; the message names line and field."""


@dataclass(frozen=True)
class RenderOptions:
    """The user's formatting preferences for one render."""

    locale: Locale
    date_format: str | None = None
    time_format: str | None = None
    time_zone: ZoneInfo | None = None


def is_missing(value: Any) -> bool:
    """Undefined, null or blank: what `default` replaces and filters render as ""."""
    return value is None or isinstance(value, Undefined) or (isinstance(value, str) and not value.strip())


def label_filter_sites(tree: nodes.Template) -> None:
    """Tell every filter call where it is, so a render error can name line and field."""
    for call in tree.find_all(nodes.Filter):
        site = f"line {call.lineno}, field '{describe_field(call.node)}'"
        # Jinja annotates Filter.kwargs as list[Pair]; its parser and compiler put Keyword nodes there.
        call.kwargs.append(nodes.Keyword(SITE_KEYWORD, nodes.Const(site), lineno=call.lineno))  # type: ignore[arg-type]


def _guarded(name: str, impl: Callable[..., Any]) -> Callable[..., Any]:
    @pass_context  # `_smsc_site` is SITE_KEYWORD, added by label_filter_sites
    def apply(context: Context, value: Any, *args: Any, _smsc_site: str = "", **kwargs: Any) -> Any:
        options = context.get(OPTIONS_KEY) or RenderOptions(Locale.parse("fr_FR"))
        deadline = context.get(DEADLINE_KEY)
        if deadline is not None and clock() > deadline:
            raise FilterError(f"{_smsc_site}: rendering took too long; simplify the template")
        try:
            result = impl(options, value, *args, **kwargs)
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise FilterError(f"{_smsc_site}: filter '{name}' cannot format {_shown(value)}: {_reason(exc)}") from exc
        if isinstance(result, str) and len(result) > LONGEST_TEXT:
            raise FilterError(f"{_smsc_site}: filter '{name}' makes a text of {len(result)} characters, "
                              f"longer than the longest SMS ({LONGEST_TEXT})")
        return result

    return apply


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DecimalException):    # str() is "[<class 'decimal.InvalidOperation'>]"
        return "the number is out of range"
    return str(exc)


def _bounded_int(value: Any, name: str, low: int, high: int) -> int:
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return number


def _text(transform: Callable[..., str]) -> Callable[..., str]:
    def apply(options: RenderOptions, value: Any, *args: Any, **kwargs: Any) -> str:
        return "" if is_missing(value) else transform(str(value), *args, **kwargs)

    return apply


def _default(options: RenderOptions, value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    return default_value if is_missing(value) or (boolean and not value) else value


def _truncate(
    value: str, length: int = 255, killwords: bool = False, end: str = "...", leeway: int = 0
) -> str:
    if int(length) < len(end):
        raise ValueError(f"length {length} is shorter than the end marker {end!r}")
    # The environment is only read for the leeway policy, so always pass a leeway:
    # Jinja's default (5 characters over the limit) would be a surprise in an SMS.
    no_environment: Any = None
    return jinja_filters.do_truncate(no_environment, value, int(length), killwords, end, leeway or 0)


def _replace(value: str, old: str, new: str, count: int | None = None) -> str:
    old, new = str(old), str(new)
    count = -1 if count is None else int(count)
    found = len(value) + 1 if not old else value.count(old)
    replaced = found if count < 0 else min(found, count)
    length = len(value) + replaced * (len(new) - len(old))
    if length > LONGEST_TEXT:     # refused before the string is built
        raise ValueError(f"the result would have {length} characters, more than the longest SMS ({LONGEST_TEXT})")
    return value.replace(old, new, count)


def _number_value(value: Any) -> int | float | Decimal:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            pass
        else:
            if not number.is_finite() or abs(number.adjusted()) > MAX_MAGNITUDE:
                raise ValueError("the number is out of range")
            return number
    raise ValueError("not a number")


def _round(options: RenderOptions, value: Any, precision: int = 0, method: str = "common") -> Any:
    # Like Jinja's round, but in Decimal: 2.5 -> 3 (not Python's 2) and 12 -> "12" (not "12.0").
    if is_missing(value):
        return ""
    if method not in _ROUNDING:
        raise ValueError(f"method must be one of {', '.join(_ROUNDING)}")
    number = Decimal(str(_number_value(value)))
    places = _bounded_int(precision, "precision", -MAX_DECIMALS, MAX_DECIMALS)
    return number.quantize(Decimal(1).scaleb(-places), rounding=_ROUNDING[method])


def _number(options: RenderOptions, value: Any, decimals: int | None = None) -> str:
    if is_missing(value):
        return ""
    pattern = None
    if decimals is not None:  # the locale's grouping, with exactly `decimals` decimals
        places = _bounded_int(decimals, "decimals", 0, MAX_DECIMALS)
        whole = options.locale.decimal_formats[None].pattern.split(";")[0].split(".")[0]
        pattern = whole + ("." + "0" * places if places else "")
    with localcontext(rounding=ROUND_HALF_UP):  # babel rounds half-even by default
        return _plain_spaces(format_decimal(_number_value(value), pattern, locale=options.locale))


def _money(options: RenderOptions, value: Any, currency: str = "EUR") -> str:
    if is_missing(value):
        return ""
    with localcontext(rounding=ROUND_HALF_UP):
        return _plain_spaces(format_currency(_number_value(value), str(currency), locale=options.locale))


def _date(options: RenderOptions, value: Any, pattern: str | None = None) -> str:
    if is_missing(value):
        return ""
    pattern = pattern or options.date_format
    moment = _in_time_zone(_parse_moment(value), options.time_zone)
    return _plain_spaces(format_date(moment, _ldml(pattern) if pattern else "medium", locale=options.locale))


def _datetime(options: RenderOptions, value: Any, pattern: str | None = None) -> str:
    if is_missing(value):
        return ""
    return format_moment(options, _parse_moment(value), pattern)


def format_moment(options: RenderOptions, moment: dt.datetime | dt.date, pattern: str | None = None) -> str:
    """A date and time as the user reads them (the `datetime` filter; the campaigns' notes and results)."""
    moment = _in_time_zone(moment, options.time_zone)
    if not isinstance(moment, dt.datetime):     # a date alone: midnight, as "2026-11-23" parses
        moment = dt.datetime.combine(moment, dt.time())
    locale = options.locale
    if pattern:
        return _plain_spaces(format_datetime(moment, _ldml(pattern), locale=locale))
    day = format_date(moment, _ldml(options.date_format) if options.date_format else "medium", locale=locale)
    hour = format_time(moment, _ldml(options.time_format) if options.time_format else "short", locale=locale)
    if options.date_format or options.time_format:
        return _plain_spaces(f"{day} {hour}")  # as Dynamics shows it: "23/11/2026 10:30"
    combined = get_datetime_format("medium", locale=locale)  # e.g. "{1}, {0}": date, time
    return _plain_spaces(str(combined).replace("{1}", day).replace("{0}", hour))


def _parse_moment(value: Any) -> dt.datetime | dt.date:
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value.strip())  # Dataverse: 2026-11-23T09:30:00Z
    raise ValueError("not a date")


def _in_time_zone(moment: dt.datetime | dt.date, zone: ZoneInfo | None) -> dt.datetime | dt.date:
    # Naive values (date-only and time-zone-independent columns) are wall-clock: kept as is.
    if zone is not None and isinstance(moment, dt.datetime) and moment.tzinfo is not None:
        return moment.astimezone(zone)
    return moment


def _ldml(pattern: str) -> str:
    """A .NET date pattern (Dataverse user settings) as LDML; most letters are the same."""
    parts = _QUOTED.split(pattern)
    for i in range(0, len(parts), 2):  # odd parts are quoted literals
        part = re.sub(r"d{4,}", "EEEE", parts[i])
        part = re.sub(r"(?<!d)ddd(?!d)", "EEE", part)
        parts[i] = re.sub(r"t{1,2}", "a", part)  # AM/PM designator
    return "".join(parts)


def _plain_spaces(text: str) -> str:
    return _UNICODE_SPACES.sub(" ", text)


_IMPLEMENTATIONS: dict[str, Callable[..., Any]] = {
    "default": _default,
    "upper": _text(jinja_filters.do_upper),
    "lower": _text(jinja_filters.do_lower),
    "title": _text(jinja_filters.do_title),
    "capitalize": _text(jinja_filters.do_capitalize),
    "trim": _text(jinja_filters.do_trim),
    "truncate": _text(_truncate),
    "replace": _text(_replace),
    "round": _round,
    "number": _number,
    "money": _money,
    "date": _date,
    "datetime": _datetime,
}

FILTERS: dict[str, Callable[..., Any]] = {
    name: _guarded(name, impl) for name, impl in _IMPLEMENTATIONS.items()
}
