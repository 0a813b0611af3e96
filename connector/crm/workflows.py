"""The workflow table `smsc_workflow` (DESIGN §4) behind the `WorkflowRepository` port."""
from __future__ import annotations

from datetime import datetime

from connector.activity import SmsStatus
from connector.crm.sms_activities import ACTIVITY_SET
from connector.clock import odata_utc
from connector.crm.odata import odata_literal
from connector.crm.port import Crm
from connector.repositories.workflows import StoredWorkflow

WORKFLOW_SET = "smsc_workflows"
COLUMNS = ("smsc_name", "smsc_definition", "smsc_entity", "modifiedon")


def stored_workflow(row: dict) -> StoredWorkflow:
    workflow_id = row["smsc_workflowid"]
    return StoredWorkflow(workflow_id, row.get("smsc_name") or workflow_id, row.get("smsc_definition") or "",
                          row.get("smsc_entity"), row.get("modifiedon"))


class DataverseWorkflows:
    def __init__(self, crm: Crm):
        self.crm = crm

    def active(self, table: str | None = None) -> list[StoredWorkflow]:
        query = "smsc_active eq true"
        if table is not None:
            query += f" and smsc_entity eq {odata_literal(table)}"
        rows = self.crm.retrieve_multiple(WORKFLOW_SET, select=COLUMNS, filter=query, orderby="smsc_name asc")
        return [stored_workflow(row) for row in rows]

    def records_sent_since(self, workflow_id: str, since: datetime) -> set[str]:
        rows = self.crm.retrieve_multiple(
            ACTIVITY_SET, select=["_regardingobjectid_value"],
            # A Failed SMS does not count: the next run tries that record again (on the same activity).
            filter=f"_smsc_workflowid_value eq {workflow_id} and createdon ge {odata_utc(since)}"
                   f" and smsc_status ne {int(SmsStatus.FAILED)}")
        return {row["_regardingobjectid_value"] for row in rows if row.get("_regardingobjectid_value")}
