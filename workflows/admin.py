"""The workflow editor's requests (POST /api/workflows/validate and /dry-run), without the HTTP.

`validate` takes the YAML text itself, or JSON `{"definition": "<yaml>" | {...}}` when the request
says `Content-Type: application/json`; it answers `{"valid", "issues": [{path, message}]}` (an
invalid definition is a normal answer, not an error). `dry-run` takes JSON `{"definition", "entity",
"id"}` plus optional `message` and `userid`. A body that cannot be read raises BadRequest (a 400
naming the problem); a record that does not exist, NotFound `record_not_found` (404).
"""
from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connector.crm.port import RecordNotFound, UnknownTable, entity_set
from connector.errors import BadInput, NotFound
from connector.repositories.metadata import TableDefinitions
from connector.repositories.workflows import WorkflowRepositories
from connector.safe_json import MAX_BODY_BYTES, parse_json
from workflows.dryrun import dry_run
from workflows.schema import TableSchema, connected_schema
from workflows.validation import validate

MESSAGES = ("Create", "Update", "Delete", "Assign", "SetState", "SetStateDynamicEntity", "Schedule")


class BadRequest(BadInput, ValueError):
    """The request cannot be read (400); `code` names the problem, e.g. `malformed_json`."""

    def __init__(self, code: str, message: str):
        super().__init__(message, error_code=code)
        self.code = code


class DryRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    definition: str | dict = Field(description="The workflow definition: YAML text, or the same as a JSON object.")
    entity: str = Field(min_length=1, description="Logical name of the record's table.")
    id: str = Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    message: str | None = Field(None, json_schema_extra={"enum": list(MESSAGES)})
    userid: str | None = None


def _json(body: bytes) -> Any:
    try:
        return parse_json(body)
    except BadInput as error:
        raise BadRequest(error.error_code, error.message) from None


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("not_utf8", "the body is not UTF-8 text") from None


def definition_from(body: bytes, content_type: str | None) -> str | dict:
    """The definition a validate request carries."""
    if not body or not body.strip():
        raise BadRequest("empty_body", "the body is empty: send the YAML definition, or JSON "
                                       '{"definition": "..."} with Content-Type application/json')
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("too_large", f"the body is larger than {MAX_BODY_BYTES // 1024} KB")
    if "json" not in (content_type or "").lower():
        return _text(body)
    data = _json(body)
    if not isinstance(data, dict) or "definition" not in data:
        raise BadRequest("invalid_request", 'a JSON body must be an object with "definition"')
    if not isinstance(data["definition"], (str, dict)):
        raise BadRequest("invalid_request", '"definition" must be the YAML text or a JSON object')
    return data["definition"]


def validate_request(body: bytes, content_type: str | None, definitions: TableDefinitions | None = None) -> dict:
    """Checked against the organisation's `definitions` (the static schema when None)."""
    issues = validate(definition_from(body, content_type), connected_schema(definitions))
    return {"valid": not issues, "issues": [{"path": i.path, "message": i.message} for i in issues]}


def dry_run_request(repositories: WorkflowRepositories, body: bytes, schema: TableSchema | None = None) -> dict:
    data = _json(body)
    try:
        request = DryRunRequest.model_validate(data)
    except ValidationError as error:
        raise BadRequest("invalid_request", "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors())) from None
    if request.message is not None and request.message not in MESSAGES:
        raise BadRequest("invalid_request", f"message: '{request.message}' is not one of {', '.join(MESSAGES)}")
    try:
        entity_set(request.entity)
    except UnknownTable as error:
        raise BadRequest("unknown_table", f"entity: {error}") from None
    definition = request.definition if isinstance(request.definition, str) else json.dumps(request.definition)
    try:
        return dry_run(repositories, definition, request.entity, request.id.lower(), message=request.message,
                       user_id=request.userid, schema=schema or repositories.definitions)
    except RecordNotFound as error:
        raise NotFound(error.message, error_code="record_not_found") from None
