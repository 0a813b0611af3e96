"""Builds webhook bodies of the documented `RemoteExecutionContext` shape, as Dataverse posts them
(reference/dataverse.md, "Webhooks"). Used by the demo, the tests and the benchmarks."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

CONTRACTS = "http://schemas.microsoft.com/xrm/2011/Contracts"


def option(value: int) -> dict:
    return {"__type": f"OptionSetValue:{CONTRACTS}", "Value": value}


def reference(logical_name: str, record_id: str, name: str | None = None) -> dict:
    return {"__type": f"EntityReference:{CONTRACTS}", "Id": record_id, "LogicalName": logical_name,
            "Name": name, "KeyAttributes": [], "RowVersion": None}


def money(value: float) -> dict:
    return {"__type": f"Money:{CONTRACTS}", "Value": value}


def wcf_date(moment: datetime) -> str:
    return f"/Date({int(moment.timestamp() * 1000)})/"


def entity(logical_name: str, record_id: str, attributes: dict[str, Any]) -> dict:
    return {"__type": f"Entity:{CONTRACTS}", "LogicalName": logical_name, "Id": record_id,
            "RowVersion": None, "FormattedValues": [], "KeyAttributes": [], "RelatedEntities": [],
            "Attributes": [{"key": k, "value": v} for k, v in attributes.items()]}


def remote_execution_context(message: str, logical_name: str, record_id: str, *, user_id: str,
                             attributes: dict[str, Any] | None = None, pre_image: dict | None = None,
                             post_image: dict | None = None, depth: int = 1,
                             operation_id: str | None = None) -> dict:
    now = datetime.now(timezone.utc)
    target = entity(logical_name, record_id, {**(attributes or {}), "modifiedon": wcf_date(now)})
    return {
        "BusinessUnitId": str(uuid.uuid4()), "CorrelationId": str(uuid.uuid4()), "Depth": depth,
        "InitiatingUserAzureActiveDirectoryObjectId": "00000000-0000-0000-0000-000000000000",
        "InitiatingUserId": user_id, "InputParameters": [{"key": "Target", "value": target}],
        "IsExecutingOffline": False, "IsInTransaction": False, "IsOfflinePlayback": False,
        "IsolationMode": 1, "MessageName": message, "Mode": 1,
        "OperationCreatedOn": wcf_date(now), "OperationId": operation_id or str(uuid.uuid4()),
        "OrganizationId": str(uuid.uuid4()), "OrganizationName": "emulator",
        "OutputParameters": [], "OwningExtension": reference("sdkmessageprocessingstep", str(uuid.uuid4())),
        "ParentContext": None,
        "PostEntityImages": [{"key": "PostImage", "value": entity(logical_name, record_id, post_image)}]
        if post_image is not None else [],
        "PreEntityImages": [{"key": "PreImage", "value": entity(logical_name, record_id, pre_image)}]
        if pre_image is not None else [],
        "PrimaryEntityId": record_id, "PrimaryEntityName": logical_name, "RequestId": str(uuid.uuid4()),
        "SecondaryEntityName": "none", "SharedVariables": [], "Stage": 40, "UserId": user_id,
    }


def webhook_headers(message: str, logical_name: str, key: str | None) -> dict[str, str]:
    headers = {"content-type": "application/json", "x-ms-dynamics-organization": "emulator.crm4.dynamics.com",
               "x-ms-dynamics-entity-name": logical_name, "x-ms-dynamics-request-name": message,
               "x-ms-correlation-request-id": str(uuid.uuid4())}
    if key is not None:
        headers["x-smsc-webhook-key"] = key
    return headers
