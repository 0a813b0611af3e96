"""The delivery-status rule (connector.delivery_status): what one report means, and why order and
duplicates do not change where an activity ends."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.activity import SmsStatus
from connector.delivery_status import FAILURES, failure_reason, reported_status, settle

OCTOPUSH = ["ACK", "DELIVERED", "NOT_DELIVERED", "NOT_ALLOWED", "UNKNOWN_DELIVERY", "BAD_DESTINATION",
            "BLACKLISTED_NUMBER", "UNDEFINED", "READ", "SOMETHING_NEW", "", None]


@pytest.mark.parametrize("provider_status, ours", [
    ("DELIVERED", SmsStatus.DELIVERED), ("delivered", SmsStatus.DELIVERED), ("READ", SmsStatus.DELIVERED),
    ("NOT_DELIVERED", SmsStatus.UNDELIVERABLE), ("NOT_ALLOWED", SmsStatus.UNDELIVERABLE),
    ("UNKNOWN_DELIVERY", SmsStatus.UNDELIVERABLE), ("BAD_DESTINATION", SmsStatus.UNDELIVERABLE),
    ("BLACKLISTED_NUMBER", SmsStatus.UNDELIVERABLE), ("UNDEFINED", SmsStatus.UNDELIVERABLE),
    ("ACK", None), ("SOMETHING_NEW", None), ("", None), (None, None),
])
def test_each_octopush_status_maps_to_ours_or_to_no_change(provider_status, ours):
    assert reported_status(provider_status) == ours


def test_a_report_moves_a_sent_sms_and_never_lowers_a_final_one():
    assert settle(SmsStatus.SENT, ["DELIVERED"]).status == SmsStatus.DELIVERED
    assert settle(SmsStatus.SCHEDULED, ["NOT_DELIVERED"]).status == SmsStatus.UNDELIVERABLE
    assert settle(SmsStatus.SENT, ["ACK"]) is None
    assert settle(SmsStatus.DELIVERED, ["NOT_DELIVERED", "ACK", "BLACKLISTED_NUMBER"]) is None
    assert settle(SmsStatus.UNDELIVERABLE, ["ACK", "NOT_DELIVERED"]) is None
    assert settle(SmsStatus.UNDELIVERABLE, ["DELIVERED"]).status == SmsStatus.DELIVERED     # proof beats failure
    for untouchable in (SmsStatus.FAILED, SmsStatus.CANCELLED, SmsStatus.RECEIVED):
        assert settle(untouchable, ["DELIVERED", "NOT_DELIVERED"]) is None


def test_among_failures_settled_together_the_most_specific_gives_the_reason():
    decided = settle(SmsStatus.SENT, ["UNKNOWN_DELIVERY", "BLACKLISTED_NUMBER", "NOT_DELIVERED"])
    assert decided.status == SmsStatus.UNDELIVERABLE and decided.provider_status == "BLACKLISTED_NUMBER"


@pytest.mark.parametrize("lang, words", [("fr", "non délivré"), ("en", "not delivered")])
@pytest.mark.parametrize("status", [*FAILURES, "SOMETHING_NEW"])
def test_every_failure_has_a_reason_in_the_users_language_naming_the_providers_status(lang, words, status):
    reason = failure_reason(lang, "Octopush", status)
    assert words in reason and "Octopush" in reason and status in reason


def final_status(start: SmsStatus, reports) -> SmsStatus:
    """Reports applied one at a time, each seeing what the previous one wrote (the queue's way)."""
    status = start
    for report in reports:
        decided = settle(status, [report])
        status = decided.status if decided else status
    return status


@given(start=st.sampled_from(list(SmsStatus)), reports=st.lists(st.sampled_from(OCTOPUSH), max_size=8),
       data=st.data())
def test_shuffled_and_duplicated_reports_end_where_ordered_ones_do(start, reports, data):
    ordered = final_status(start, reports)
    duplicated = reports + data.draw(st.lists(st.sampled_from(reports), max_size=8) if reports else st.just([]))
    shuffled = data.draw(st.permutations(duplicated))
    assert final_status(start, shuffled) == ordered
    together = settle(start, shuffled)                    # the same reports in one batch
    assert (together.status if together else start) == ordered
    split = data.draw(st.integers(0, len(shuffled)))      # two batches, in either order
    first, second = shuffled[:split], shuffled[split:]
    for a, b in ((first, second), (second, first)):
        midway = settle(start, a)
        status = midway.status if midway else start
        end = settle(status, b)
        assert (end.status if end else status) == ordered
