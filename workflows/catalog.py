"""The active workflows of the organisation (connector.repositories.workflows), parsed once per
version (id + modification time) for the life of the process.

A row whose definition no longer loads (edited by hand, written by an older version) is reported
as invalid with its problems and logged once per version; it never stops the other workflows.
The row's active flag decides whether a workflow runs: the definition's own `active` is the
shipped default (drafts), which an admin turns on by activating the row.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from connector.repositories.workflows import StoredWorkflow, WorkflowRepository
from connector.text.templates import TemplateError, compile_template
from workflows.definition import DefinitionError, WorkflowDefinition, load_definition, sms_steps

log = logging.getLogger(__name__)
CACHE_LIMIT = 2000

_parsed: dict[tuple[str, str | None], WorkflowDefinition | str] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class ActiveWorkflow:
    id: str
    name: str
    definition: WorkflowDefinition | None      # None: invalid, see `problem`
    problem: str | None = None


def active_workflows(workflows: WorkflowRepository, table: str | None = None) -> list[ActiveWorkflow]:
    """The active workflows of `table` (all tables when None), valid or not, by name."""
    return [_workflow(stored) for stored in workflows.active(table)]


def _workflow(stored: StoredWorkflow) -> ActiveWorkflow:
    workflow_id, name = stored.id, stored.name
    version = (workflow_id, stored.version)
    with _lock:
        parsed = _parsed.get(version)
    if parsed is None:
        parsed = _parse(stored.definition, stored.entity)
        if isinstance(parsed, str):
            log.error("SMS workflow '%s' (%s) is skipped, its definition is invalid: %s", name, workflow_id, parsed)
        with _lock:
            if len(_parsed) >= CACHE_LIMIT:
                _parsed.clear()
            _parsed[version] = parsed
    if isinstance(parsed, str):
        return ActiveWorkflow(workflow_id, name, None, parsed)
    return ActiveWorkflow(workflow_id, name, parsed)


def _parse(text: str, entity: str | None) -> WorkflowDefinition | str:
    """The definition, or what is wrong with it (one line)."""
    try:
        definition = load_definition(text)
    except DefinitionError as error:
        return str(error)
    if entity and definition.entity != entity:
        return f"entity: the definition is for {definition.entity}, the workflow row for {entity}"
    for path, text in _texts(definition.steps, "steps"):
        try:
            compile_template(text)
        except TemplateError as error:
            return f"{path}: template error: {error}"
    return definition


def _texts(steps: list, path: str) -> Iterator[tuple[str, str]]:
    for here, action in sms_steps(steps, path):
        if action.text is not None:
            yield f"{here}.text", action.text


def forget_parsed() -> None:
    """Drop the parsed definitions (tests)."""
    with _lock:
        _parsed.clear()
