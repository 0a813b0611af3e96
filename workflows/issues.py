"""Problems in a workflow definition as `ValidationIssue(path, message)`, never as exceptions.

`path` names the place in the definition the way an admin reads it:
`steps[1].else[0].send_sms.recipient` (empty for the document as a whole). YAML is read strictly:
duplicate keys are errors and only `true` / `false` are booleans (YAML 1.2), so `value: no` or
`on:` stay text instead of silently becoming False / True; anchors may not be reused (`*name`).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from connector.errors import BadInput

# Tags of the definition's unions: pydantic puts them in error locations; paths leave them out.
UNION_TAGS = frozenset({
    "AllOf", "AnyOf", "Not", "Comparison", "IfStep", "SmsStep",
    "CreateTrigger", "UpdateTrigger", "StatusChangeTrigger", "AssignTrigger", "DeleteTrigger",
    "ScheduleTrigger", "InboundTrigger",
})


MAX_YAML_DEPTH = 40        # a definition nests about 10 levels (steps in if/else in steps...)
MAX_NUMBER_LENGTH = 64


@dataclass(frozen=True)
class ValidationIssue:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DefinitionError(BadInput, ValueError):
    """A definition that cannot be loaded; `issues` says where and why."""
    error_code, answer_status = "invalid_definition", 422

    def __init__(self, issues: list[ValidationIssue]):
        super().__init__("; ".join(str(issue) for issue in issues))
        self.issues = issues


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans; duplicate keys and aliases refused (an alias of an alias of
    ... would make a small text expand into a huge document); nesting bounded (`[[[[...` would
    exhaust Python's stack); mapping keys must be plain values (`{{ x }}` is a mapping as a key)."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not supported",
                                              self.peek_event().start_mark)
        if self._depth >= MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_YAML_DEPTH} levels",
                                              self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain name, not a list or a mapping "
                                "(write {{ ... }} inside quotes)", key_node.start_mark)
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _bounded_int(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    if len(str(node.value)) > MAX_NUMBER_LENGTH:     # int() of 4,301 digits raises ValueError
        raise yaml.constructor.ConstructorError(None, None, f"a number longer than {MAX_NUMBER_LENGTH} digits",
                                                node.start_mark)
    return loader.construct_yaml_int(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _bounded_int)
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def parse_yaml(text: str) -> Any:
    """The YAML document as plain data; raises DefinitionError naming line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        raise DefinitionError([ValidationIssue("", f"YAML syntax error{where}: {problem}")]) from None
    except yaml.YAMLError as error:
        raise DefinitionError([ValidationIssue("", f"YAML syntax error: {error}")]) from None
    except (ValueError, TypeError) as error:     # a value the YAML resolver accepted but cannot build
        raise DefinitionError([ValidationIssue("", f"YAML value error: {error}")]) from None


def path_of(location: tuple[Any, ...]) -> str:
    """`('steps', 1, 'IfStep', 'else', 0)` -> `steps[1].else[0]`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in UNION_TAGS:
            path += f".{part}" if path else str(part)
    return path


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "too_short":
        return "must not be empty"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return error["msg"]


def issues_from(error: ValidationError) -> list[ValidationIssue]:
    issues = []
    for e in error.errors():
        location = e["loc"] + (("event",) if e["type"] == "trigger" else ())    # the unknown event
        issues.append(ValidationIssue(path_of(location), _message(e)))
    return issues
