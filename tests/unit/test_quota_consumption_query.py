"""The month's consumption query (connector.crm.quotas): one aggregate FetchXML per check, and the
month counted in halves only when Dataverse's 50,000-row aggregate limit refuses it."""
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from connector.crm.port import CrmError
from connector.crm.quotas import DataverseQuotas, quota_row, usage_fetch
from connector.quotas import month_window
from connector.repositories.quotas import Enforcement, QuotaMode, Usage

USER = "5e1f0000-0000-4000-8000-000000000002"
NOVEMBER = month_window(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


class AggregatingCrm:
    """Answers aggregates from (created on, segments) rows; refuses more than `limit` rows."""

    def __init__(self, rows: list[tuple[datetime, int]], limit: int = 50_000):
        self.rows, self.limit, self.fetches = rows, limit, []

    def fetch_xml(self, entity_set: str, fetch_xml: str, *, page_size: int = 5000):
        self.fetches.append(fetch_xml)
        conditions = {c.get("operator"): c.get("value") for c in ET.fromstring(fetch_xml).iter("condition")
                      if c.get("attribute") == "createdon"}
        start, end = (datetime.strptime(conditions[op], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                      for op in ("ge", "lt"))
        found = [s for when, s in self.rows if start <= when < end]
        if len(found) > self.limit:
            raise CrmError(400, "0x8004E023", "AggregateQueryRecordLimit exceeded. Cannot perform this operation.")
        return iter([{"sms": sum(found), "recipients": len(found)}] if found else [{"sms": 0, "recipients": 0}])


def test_the_check_is_one_aggregate_of_the_users_sms_and_their_workflows_sms_in_the_month():
    root = ET.fromstring(usage_fetch(*NOVEMBER, USER))
    assert root.get("aggregate") == "true"
    aggregates = {a.get("alias"): (a.get("name"), a.get("aggregate")) for a in root.iter("attribute")}
    assert aggregates == {"sms": ("smsc_segments", "sum"), "recipients": ("activityid", "count")}
    conditions = [(c.get("entityname"), c.get("attribute"), c.get("operator"), c.get("value"))
                  for c in root.iter("condition")]
    assert (None, "ownerid", "eq", USER) in conditions and ("workflow", "ownerid", "eq", USER) in conditions
    assert (None, "createdon", "ge", "2026-10-31T23:00:00Z") in conditions
    assert (None, "createdon", "lt", "2026-11-30T23:00:00Z") in conditions
    [statuses] = [c for c in root.iter("condition") if c.get("attribute") == "smsc_status"]
    assert [v.text for v in statuses] == ["3", "4", "5", "6", "7"]
    [link] = root.iter("link-entity")
    assert (link.get("name"), link.get("link-type"), link.get("alias")) == ("smsc_workflow", "outer", "workflow")


def test_one_request_under_the_limit_and_halves_only_over_it():
    days = [datetime(2026, 11, d, 12, tzinfo=UTC) for d in range(1, 29)]
    crm = AggregatingCrm([(day, 2) for day in days for _ in range(10)], limit=1000)
    assert DataverseQuotas(crm).month_usage(USER, *NOVEMBER) == Usage(560, 280) and len(crm.fetches) == 1
    crm = AggregatingCrm([(day, 2) for day in days for _ in range(10)], limit=100)
    assert DataverseQuotas(crm).month_usage(USER, *NOVEMBER) == Usage(560, 280)
    assert 3 <= len(crm.fetches) <= 16            # halves, split again where still too large: never one per SMS


def test_a_row_with_an_empty_or_unknown_choice_reads_as_specific_warn():
    row = quota_row({"smsc_mode": None, "smsc_enforcement": 7, "smsc_persendsms": 3})
    assert (row.user_id, row.mode, row.enforcement, row.limits.per_send_sms) == (
        None, QuotaMode.SPECIFIC, Enforcement.WARN, 3)
