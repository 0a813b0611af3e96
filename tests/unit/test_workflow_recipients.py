"""Recipient paths and merged texts of workflow SMS against in-memory records: each refusal the user
reads (no lookup, empty lookup, not a recipient), and related records merged without a CRM client."""
import pytest

from connector.crm.port import CrmError
from connector.crm.webhook import EntityRef
from connector.recipients import RecipientError
from tests.fakes.records import FakeRecords
from workflows.recipients import merge_text, resolve_recipient

CONTOSO = EntityRef("account", "a1", "Contoso SA")
RECORDS = {
    "account": {"a1": {"name": "Contoso SA", "primarycontactid": EntityRef("contact", "c1", "David Smith"),
                       "telephone1": "+33140000000", "parentaccountid": None, "owninguser": None},
                "a2": {"name": "Fabrikam", "primarycontactid": None}},
    "contact": {"c1": {"firstname": "David", "fullname": "David Smith"}},
}


def refusal(records: FakeRecords, path: str, values: dict | None = None) -> tuple[str, dict]:
    with pytest.raises(RecipientError) as raised:
        resolve_recipient(records, "salesorder", "o1", values or {"customerid": CONTOSO}, path)
    return raised.value.key, raised.value.values


def test_a_path_is_followed_hop_by_hop_one_exact_read_each():
    records = FakeRecords(RECORDS)
    assert resolve_recipient(records, "salesorder", "o1", {"customerid": CONTOSO},
                             "customerid.primarycontactid") == EntityRef("contact", "c1", "David Smith")
    assert records.reads == [("account", "a1", frozenset({"primarycontactid"}))]
    assert resolve_recipient(records, "contact", "c1", {}, "self") == EntityRef("contact", "c1")


def test_each_refusal_says_which_hop_is_wrong():
    records = FakeRecords(RECORDS)
    assert refusal(records, "self") == ("self_not_recipient", {"table": "salesorder"})
    assert refusal(records, "customerid", {"customerid": None}) == (
        "empty_lookup", {"record": "salesorder", "column": "customerid"})
    assert refusal(records, "customerid.new_contactid") == ("no_lookup", {"table": "account", "column": "new_contactid"})
    fabrikam = {"customerid": EntityRef("account", "a2", "Fabrikam")}
    assert refusal(records, "customerid.primarycontactid", fabrikam) == (
        "empty_lookup", {"record": "Fabrikam (account)", "column": "primarycontactid"})
    assert refusal(records, "customerid.owninguser", {"customerid": CONTOSO}) == (
        "empty_lookup", {"record": "Contoso SA (account)", "column": "owninguser"})
    assert refusal(records, "ownerid", {"ownerid": EntityRef("systemuser", "u1", "Claire")}) == (
        "path_not_recipient", {"path": "ownerid", "table": "systemuser"})
    assert refusal(records, "customerid.primarycontactid", {"customerid": EntityRef("new_club", "k1")}) == (
        "path_not_recipient", {"path": "new_club", "table": "new_club"})


def test_a_text_merges_the_related_records_columns_and_their_names():
    records = FakeRecords(RECORDS)
    values = {"ordernumber": "ORD-1", "customerid": EntityRef("account", "a1")}      # a lookup without its name
    text = merge_text(records, "{{ ordernumber }}: {{ customerid.name }} {{ customerid.telephone1 }}",
                      "salesorder", "o1", values, {"locale": "fr_FR"})
    assert text == "ORD-1: Contoso SA +33140000000"
    assert records.reads == [("account", "a1", frozenset({"name", "telephone1"}))]


def test_a_related_column_the_table_lacks_or_a_record_gone_prints_empty():
    records = FakeRecords(RECORDS)
    values = {"customerid": CONTOSO, "parentid": EntityRef("contact", "gone")}
    text = merge_text(records, "[{{ customerid.new_tier }}][{{ parentid.firstname }}][{{ customerid.name }}]",
                      "salesorder", None, values, {})
    assert text == "[][][Contoso SA]"


def test_an_unavailable_crm_is_not_an_empty_merge_field():
    class Unavailable(FakeRecords):
        def read(self, *args, **kwargs):
            raise CrmError(503, "", "Service Unavailable")

    with pytest.raises(CrmError):
        merge_text(Unavailable(RECORDS), "{{ customerid.telephone1 }}", "salesorder", None, {"customerid": CONTOSO}, {})
