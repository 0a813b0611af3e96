"""SMS templates with merge fields: `Bonjour {{ firstname | default("client") }}`.

Templates are written by CRM users, so they run in Jinja's immutable sandbox with no
globals, and are checked against an allowlist before compiling (template_rules). A
template reads record columns and `lookup.field`, formats them with a few filters
(template_filters) and may choose text with if/else; nothing else.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from babel import Locale, UnknownLocaleError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from connector.errors import BadInput
from connector.text import template_filters
from connector.sms.port import LONGEST_TEXT
from connector.text.template_context import record_context
from connector.text.template_filters import (
    ALLOWED_TESTS, DEADLINE_KEY, FILTERS, OPTIONS_KEY, FilterError, RenderOptions, label_filter_sites,
)
from connector.text.template_rules import FieldRefs, UnsafeTemplate, check_shape, check_template

__all__ = [
    "FieldRefs", "MessageTemplate", "TemplateError", "compile_template", "from_legacy", "record_context",
]

# Octopush guide style: "Bonjour Mr [lastname]"; Dataverse logical names are lowercase,
# which keeps "[OK]" or "[1]" literal.
_LEGACY_FIELD = re.compile(r"\[([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?)\]")
# A "{" that Jinja would read as the start of a tag once the field is converted.
_JINJA_OPENING = re.compile(r"\{(?=[{%#]|$)")

# Bounds that keep one template from exhausting the host (memory, stack, time).
MAX_TEMPLATE_LENGTH = 5000     # characters of the template itself
RENDER_SECONDS = 1.0           # one render; a sound template takes well under a millisecond


class TemplateError(BadInput, ValueError):
    """A template that cannot be compiled or rendered; the message says where and why."""
    error_code, answer_status = "template_error", 422


class _RecordDataEnvironment(ImmutableSandboxedEnvironment):
    """`a.b` and `a['b']` read keys of mappings only, never Python attributes."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self._field(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        return self._field(obj, argument)

    def _field(self, obj: Any, key: Any) -> Any:
        if isinstance(obj, Mapping) and isinstance(key, str) and key in obj:
            return obj[key]
        return self.undefined(obj=obj, name=key)


def _printable(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Mapping):  # a lookup printed as is shows its name
        return _printable(value.get("name"))
    return value


def _environment() -> _RecordDataEnvironment:
    env = _RecordDataEnvironment(autoescape=False, keep_trailing_newline=True, finalize=_printable)
    env.globals.clear()  # no range, lipsum, cycler, joiner, namespace, dict
    env.filters = dict(FILTERS)
    env.tests = {name: env.tests[name] for name in ALLOWED_TESTS}
    return env


_ENV = _environment()


# A template that is only text and `{{ column }}` / `{{ lookup.column }}` (no filter, no logic): its pieces,
# each literal text or a (name, attribute or None) field; rendered without the engine's per-call set-up.
Pieces = tuple["str | tuple[str, str | None]", ...]
_MISSING = object()
_PLAIN = (str, int, float, bool)      # what a Dataverse JSON column holds; printed with str() as Jinja does


@dataclass(frozen=True)
class MessageTemplate:
    """A checked, compiled template; `fields` says which columns to fetch for it."""

    source: str
    fields: FieldRefs
    _compiled: jinja2.Template = field(repr=False, compare=False)
    _pieces: Pieces | None = field(default=None, repr=False, compare=False)

    def render(
        self,
        context: Mapping[str, Any],
        *,
        locale: str = "fr_FR",
        date_format: str | None = None,
        time_zone: str | None = None,
        time_format: str | None = None,
    ) -> str:
        """The text for one record. `date_format` / `time_format` are the user's Dataverse
        patterns ("dd/MM/yyyy", "HH:mm"); `time_zone` an IANA name ("Europe/Paris")."""
        options = _render_options(locale, date_format, time_format, time_zone)
        if self._pieces is not None:
            # Plain field substitution reads the same keys the sandbox would; anything it does not
            # print plainly (a refusal, an error, an odd value, an over-long text) goes to the engine.
            text = _substitute(self._pieces, context)
            if text is not None and len(text) <= LONGEST_TEXT:
                return text
        data = _nulls_as_missing(context)
        data[OPTIONS_KEY] = options
        deadline = data[DEADLINE_KEY] = template_filters.clock() + RENDER_SECONDS
        try:
            return _bounded_text(self._compiled.generate(data), deadline)
        except TemplateError:
            raise
        except FilterError as exc:
            raise TemplateError(str(exc)) from exc
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise TemplateError(f"line {_template_line(exc)}: cannot render: {exc}") from exc
        except RecursionError as exc:
            raise TemplateError("the template is nested too deeply to render") from exc


def _substitution(tree: jinja2.nodes.Template) -> Pieces | None:
    """The pieces of a template that is only text and plain fields, else None."""
    pieces: list[str | tuple[str, str | None]] = []
    for node in tree.body:
        if not isinstance(node, jinja2.nodes.Output):
            return None
        for item in node.nodes:
            if isinstance(item, jinja2.nodes.TemplateData):
                pieces.append(item.data)           # as Jinja prints it (its newlines normalised)
            elif isinstance(item, jinja2.nodes.Name) and item.name not in (OPTIONS_KEY, DEADLINE_KEY):
                pieces.append((item.name, None))
            elif (isinstance(item, jinja2.nodes.Getattr) and isinstance(item.node, jinja2.nodes.Name)
                  and item.node.name not in (OPTIONS_KEY, DEADLINE_KEY)):
                pieces.append((item.node.name, item.attr))
            else:
                return None
    return tuple(pieces)


def _substitute(pieces: Pieces, context: Mapping[str, Any]) -> str | None:
    """The text the sandbox would print for these pieces, or None where only the engine can say (a
    value that is not a plain column value)."""
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        name, attribute = piece
        value = context.get(name, _MISSING)
        if attribute is not None:              # keys of mappings only (_RecordDataEnvironment), else undefined
            value = value.get(attribute, _MISSING) if isinstance(value, Mapping) else _MISSING
        printed = _printed(value)
        if printed is None:
            return None
        out.append(printed)
    return "".join(out)


def _printed(value: Any) -> str | None:
    if value is _MISSING or value is None:
        return ""
    if type(value) in _PLAIN:
        return str(value)
    if isinstance(value, Mapping):                 # a lookup printed as is shows its name (_printable)
        name = value.get("name")
        return "" if name is None else str(name) if type(name) in _PLAIN else None
    return None


def _bounded_text(pieces: Any, deadline: float) -> str:
    """The rendered text, refused as soon as it is longer than any SMS or the time is up."""
    text: list[str] = []
    length = 0
    for piece in pieces:
        length += len(piece)
        if length > LONGEST_TEXT:
            raise TemplateError(f"the text would be longer than {LONGEST_TEXT} characters, "
                                "the longest SMS that can be sent")
        if template_filters.clock() > deadline:
            raise TemplateError(f"rendering took longer than {RENDER_SECONDS:g} s; simplify the template")
        text.append(piece)
    return "".join(text)


@functools.lru_cache(maxsize=256)
def compile_template(text: str) -> MessageTemplate:
    """Check and compile `text`; raises TemplateError naming the line and the problem."""
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise TemplateError(f"the template has {len(text)} characters; at most {MAX_TEMPLATE_LENGTH} are allowed")
    try:
        check_shape(_ENV.lex(text))    # before parsing: Jinja's parser and compiler recurse per level
        tree = _ENV.parse(text)
        fields = check_template(tree, _ENV.filters, _ENV.tests)
        label_filter_sites(tree)
        return MessageTemplate(text, fields, _ENV.from_string(tree), _substitution(tree))
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"line {exc.lineno}: {exc.message}") from exc
    except UnsafeTemplate as exc:
        raise TemplateError(str(exc)) from exc
    except RecursionError as exc:
        raise TemplateError("the template is nested too deeply") from exc


def from_legacy(text: str) -> str:
    """Convert an old `[field]` / `[lookup.field]` template to `{{ field }}` syntax."""
    parts: list[str] = []
    position = 0
    for match in _LEGACY_FIELD.finditer(text):
        parts.append(_literal(text[position:match.start()]))
        parts.append("{{ " + match.group(1) + " }}")
        position = match.end()
    parts.append(_literal(text[position:]))
    return "".join(parts)


def _literal(text: str) -> str:
    return _JINJA_OPENING.sub("{{ '{' }}", text)


def _nulls_as_missing(context: Mapping[str, Any]) -> dict[str, Any]:
    """Null columns (and null columns of lookups) as undefined, so that they print as ""
    everywhere, `~` included, and `default` replaces them."""

    def missing_if_null(name: str, value: Any) -> Any:
        return _ENV.undefined(name=name) if value is None else value

    data = {}
    for name, value in context.items():
        if isinstance(value, Mapping):
            value = {key: missing_if_null(f"{name}.{key}", item) for key, item in value.items()}
        data[name] = missing_if_null(name, value)
    return data


@functools.lru_cache(maxsize=64)     # parsing a babel Locale costs more than rendering a short SMS
def _render_options(
    locale: str, date_format: str | None, time_format: str | None, time_zone: str | None
) -> RenderOptions:
    try:
        babel_locale = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise TemplateError(f"unknown locale {locale!r}") from exc
    try:
        zone = ZoneInfo(time_zone) if time_zone else None
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TemplateError(
            f"unknown time zone {time_zone!r} (expected an IANA name such as 'Europe/Paris')"
        ) from exc
    return RenderOptions(babel_locale, date_format, time_format, zone)


def _template_line(exc: BaseException) -> int | str:
    # Jinja rewrites tracebacks so that template frames carry template line numbers.
    line: int | str = "?"
    trace = exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def user_datetime(moment: datetime, *, locale: str, date_format: str | None = None, time_format: str | None = None,
                  time_zone: str | None = None) -> str:
    """`moment` as Dynamics shows it to a user (`UserFormat.render_options()`): in their time zone, with
    their date and time formats; UTC when the zone is unknown."""
    try:
        options = _render_options(locale, date_format, time_format, time_zone)
    except TemplateError:       # an option the CRM gave that we cannot read: the date still shows
        options = _render_options("en_US", None, None, None)
    if options.time_zone is None:
        return template_filters.format_moment(options, moment.astimezone(timezone.utc)) + " UTC"
    return template_filters.format_moment(options, moment)
