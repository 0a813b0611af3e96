"""One provider request for many personalised SMS: a template whose merge fields are plain
`{{ expression }}`s becomes the provider's `{first_name}` / `{param1}`.. placeholders, each
recipient carrying its values (Octopush: 7 slots, 50 characters each).

A recipient's text is composed from its slot values (one render of each field, not of the whole
template and then each field again). Its values are checked by rebuilding the text the way the
provider will: when that differs (a value too long, a `{` in a value...), that recipient is sent its
own text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from connector.sms.port import MERGE_SLOTS
from connector.text.templates import MessageTemplate, TemplateError, compile_template

EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
MAX_VALUE = 50


@dataclass(frozen=True)
class ProviderMerge:
    text: str                                        # with `{param1}`-style placeholders
    slots: tuple[tuple[str, MessageTemplate], ...]   # slot name -> the expression it renders
    pieces: tuple[str, ...] = ()                     # the template: literal text, then a slot name, in turn

    def values(self, context: dict, locale: dict) -> dict[str, str] | None:
        values = {}
        for slot, expression in self.slots:
            value = expression.render(context, **locale)
            if len(value) > MAX_VALUE:
                return None
            values[slot] = value
        return values

    def compose(self, values: dict[str, str]) -> str:
        """The recipient's whole text from its slot values: what rendering the template gives."""
        pieces = self.pieces
        return "".join(piece if n % 2 == 0 else values[piece] for n, piece in enumerate(pieces))

    def rebuild(self, values: dict[str, str]) -> str:
        """The text as the provider builds it from the placeholders."""
        text = self.text
        for slot, value in values.items():
            text = text.replace("{" + slot + "}", value)
        return text


def provider_merge(source: str) -> ProviderMerge | None:
    """The placeholder form of a template, or None when it has logic or too many fields."""
    if "{%" in source or "{#" in source or "\r" in source:     # Jinja prints "\r\n" as "\n"
        return None
    expressions = list(dict.fromkeys(m.group(0) for m in EXPRESSION.finditer(source)))
    literal = EXPRESSION.sub("", source)
    if not expressions or len(expressions) > len(MERGE_SLOTS) or "{" in literal or "}" in literal:
        return None
    if any(e.startswith(("{{-", "{{+")) or e.endswith(("-}}", "+}}")) for e in expressions):
        return None                                  # whitespace control changes the literal text
    text, slots = source, []
    for slot, expression in zip(MERGE_SLOTS, expressions):
        text = text.replace(expression, "{" + slot + "}")
        try:
            slots.append((slot, compile_template(expression)))
        except TemplateError:
            return None
    slot_of = dict(zip(expressions, MERGE_SLOTS))
    pieces: list[str] = []
    position = 0
    for match in EXPRESSION.finditer(source):
        pieces += [source[position:match.start()], slot_of[match.group(0)]]
        position = match.end()
    pieces.append(source[position:])
    return ProviderMerge(text, tuple(slots), tuple(pieces))
