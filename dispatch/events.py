"""What to do with a Dataverse webhook call (POST /api/dataverse/events).

Validates the body (a `RemoteExecutionContext`), then routes the event: unit-SMS send requests now;
campaign actions and hook workflows plug in here. Framework-free: the Functions trigger only
parses the HTTP request and shapes the answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from typing import Any

from pydantic import ValidationError

from connector.activity import SmsStatus
from connector.campaigns.model import CampaignAction
from connector.crm.identity import acting_as
from connector.crm.port import UnknownTable, entity_set
from connector.crm.webhook import (RemoteExecutionContext, is_sms_activity_write, requested_campaign_action,
                                   requested_sms_status, sms_status_before)
from connector.bootstrap import unit_sms_service, workflow_repositories
from connector.errors import BadInput
from connector.safe_json import parse_json
from connector.unit_cancel import settle_cancel
from connector.unit_sms import UnitSmsResult
from workflows.engine import HookEngine, summarize

SIZE_EXCEEDED = "x-ms-dynamics-msg-size-exceeded"   # Target and images were dropped (> 256 KB)


class BadEvent(BadInput, ValueError):
    """The webhook body is not something Dataverse would send; answered with 400."""

    def __init__(self, code: str, message: str):
        super().__init__(message, error_code=code)
        self.code = code


def parse_event(body: bytes, headers: dict[str, str]) -> RemoteExecutionContext:
    """The checked context. A table the connector does not know is no error: `handle_event`
    ignores it (a 400 would fail the user's save when the step is synchronous)."""
    try:
        data = parse_json(body)
    except BadInput as error:
        raise BadEvent(error.error_code, error.message) from None
    if not isinstance(data, dict):
        raise BadEvent("malformed_event", "the body must be a JSON object (a RemoteExecutionContext)")
    try:
        context = RemoteExecutionContext.model_validate(data)
    except ValidationError as error:
        raise BadEvent("malformed_event", "; ".join(_problem(e) for e in error.errors())) from None
    if is_known_table(context.primary_entity_name):
        _check_target(context, headers)
    return context


def _problem(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{'.'.join(str(p) for p in error['loc'])}: {message}" if error["loc"] else message


def is_known_table(logical_name: str) -> bool:
    try:
        entity_set(logical_name)
    except UnknownTable:
        return False
    return True


def _check_target(context: RemoteExecutionContext, headers: dict[str, str]) -> None:
    if context.message_name not in ("Create", "Update"):
        return
    if SIZE_EXCEEDED in headers:       # no Target to check: the id is all the event carries
        if not context.primary_entity_id:
            raise BadEvent("missing_id", "PrimaryEntityId is required")
        return
    target = context.target
    if target is None:
        raise BadEvent("missing_target", f"a {context.message_name} event must carry InputParameters.Target")
    if target.logical_name and target.logical_name != context.primary_entity_name:
        raise BadEvent("target_mismatch", f"Target is a {target.logical_name}, the event is about "
                                          f"a {context.primary_entity_name}")
    if not context.primary_entity_id:
        raise BadEvent("missing_id", "PrimaryEntityId is required")


@dataclass(frozen=True)
class EventResult:
    handled: str
    detail: dict
    queued: dict | None = None     # work handed to the campaign queue (answered 202)


def campaign_action(context: RemoteExecutionContext, headers: dict[str, str]) -> dict | None:
    """A campaign button asked for an action: the message for the campaign queue (no phone numbers)."""
    action = requested_campaign_action(context)
    if not isinstance(action, int) or isinstance(action, bool) or action not in {a.value for a in CampaignAction}:
        return None
    return {"campaignid": context.primary_entity_id, "action": int(action),
            "userid": context.acting_user_id, "operationid": context.operation_id}


def is_send_request(context: RemoteExecutionContext, headers: dict[str, str]) -> bool:
    if not is_sms_activity_write(context):
        return False
    if SIZE_EXCEEDED in headers:
        return True        # no Target to look at: the service re-reads the row and checks the status
    return requested_sms_status(context) == SmsStatus.SEND_REQUESTED


def is_cancel_request(context: RemoteExecutionContext) -> bool:
    """« Annuler l'envoi » on the SMS form: an Update setting the SMS status Cancelled."""
    return (is_sms_activity_write(context) and context.message_name == "Update"
            and requested_sms_status(context) == SmsStatus.CANCELLED)


def unit_sms_answer(result: UnitSmsResult) -> EventResult:
    if result.outcome == "gone":
        return EventResult("ignored", {"activityid": result.activity_id, "reason": result.detail})
    detail: dict[str, Any] = {"activityid": result.activity_id, "outcome": result.outcome}
    if result.send_at is not None:      # held by the connector: the instant it leaves (UTC), until then cancellable
        detail["sendat"] = result.send_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if result.detail:
        detail["error" if result.outcome in ("failed", "cancel-refused") else "detail"] = result.detail
    return EventResult(f"unit-sms:{result.outcome}", detail)


def handle_event(context: RemoteExecutionContext, headers: dict[str, str], crm, sms) -> EventResult:
    if not is_known_table(context.primary_entity_name):
        return EventResult("ignored", {"reason": f"the connector has no business with table "
                                                 f"'{context.primary_entity_name}'"})
    queued = campaign_action(context, headers)
    if queued:
        name = CampaignAction(queued["action"]).name.lower()
        return EventResult(f"campaign:{name}", {"campaignid": queued["campaignid"]}, queued)
    if is_cancel_request(context):
        user, activity_id = context.acting_user_id, context.primary_entity_id
        assert activity_id, "parse_event refuses a Create/Update event without PrimaryEntityId"
        before = sms_status_before(context)
        return unit_sms_answer(settle_cancel(unit_sms_service(acting_as(crm, user), sms), activity_id,
                                             before if isinstance(before, int) else None, user))
    if is_send_request(context, headers):
        user, activity_id = context.acting_user_id, context.primary_entity_id
        assert activity_id, "parse_event refuses a Create/Update event without PrimaryEntityId"
        return unit_sms_answer(unit_sms_service(acting_as(crm, user), sms).send(activity_id, user))
    # Everything else goes to the hook workflows of that table and message.
    handled, detail = summarize(HookEngine(workflow_repositories(crm), sms).dispatch(context, headers))
    return EventResult(handled, detail)

