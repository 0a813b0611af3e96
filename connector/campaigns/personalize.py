"""One provider request for many personalised SMS: a template whose merge fields are plain
`{{ expression }}`s becomes the provider's `{first_name}` / `{param1}`.. placeholders, each
recipient carrying its values (Octopush: 7 slots, 50 characters each).

Each recipient's values are checked by rebuilding its text: when the rebuilt text differs from the
text we rendered (a value too long, a `{` in the text...), that recipient is sent its own text.
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

    def values(self, context: dict, locale: dict) -> dict[str, str] | None:
        values = {}
        for slot, expression in self.slots:
            value = expression.render(context, **locale)
            if len(value) > MAX_VALUE:
                return None
            values[slot] = value
        return values

    def rebuild(self, values: dict[str, str]) -> str:
        text = self.text
        for slot, value in values.items():
            text = text.replace("{" + slot + "}", value)
        return text


def provider_merge(source: str) -> ProviderMerge | None:
    """The placeholder form of a template, or None when it has logic or too many fields."""
    if "{%" in source or "{#" in source:
        return None
    expressions = list(dict.fromkeys(m.group(0) for m in EXPRESSION.finditer(source)))
    literal = EXPRESSION.sub("", source)
    if not expressions or len(expressions) > len(MERGE_SLOTS) or "{" in literal or "}" in literal:
        return None
    text, slots = source, []
    for slot, expression in zip(MERGE_SLOTS, expressions):
        text = text.replace(expression, "{" + slot + "}")
        try:
            slots.append((slot, compile_template(expression)))
        except TemplateError:
            return None
    return ProviderMerge(text, tuple(slots))
