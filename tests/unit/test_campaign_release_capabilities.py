"""release_part reads the provider's capabilities: requests of its size, no placeholders where it
merges none, its recipients' own ids, a Reserved request of a provider without idempotency never
sent again, and numbers it cannot carry left out before anything is sent."""
from collections import Counter
from dataclasses import replace

import pytest

from connector.repositories.send_ledger import LedgerState
from connector.sms import acs, smsmode
from connector.sms.port import RecipientResult, SendResult
from tests.fakes.campaign_world import NOW, FakeProvider
from tests.unit.test_campaign_release import QUIET, Killed, Part


class PerRecipientProvider(FakeProvider):
    """A provider giving each recipient its own id (smsmode, ACS); dies after the `kill_after`-th send."""

    def __init__(self, capabilities):
        super().__init__()
        self.capabilities, self.calls, self.kill_after = capabilities, 0, None

    def send(self, request):
        self.calls += 1
        super().send(request)
        result = SendResult(f"id-{request.recipients[0].phone_number}", len(request.recipients), results=tuple(
            RecipientResult(r.phone_number, True, f"id-{r.phone_number}") for r in request.recipients))
        if self.calls == self.kill_after:
            raise Killed()
        return result


def part_on(capabilities, count: int, **staged) -> Part:
    part = Part(count, **staged)
    part.provider = PerRecipientProvider(capabilities)
    return part


def test_smsmode_gets_one_request_per_recipient_each_in_the_ledger_with_its_message_id():
    part = part_on(replace(smsmode.capabilities(), parallel_requests=1), 5)
    done = part.run()
    assert done.messages == 5 and [len(r.recipients) for r in part.provider.sends] == [1] * 5
    assert Counter(e.state for e in part.ledger.entries.values()) == {LedgerState.ACCEPTED: 5, LedgerState.WRITTEN: 1}
    assert sorted(part.tickets()) == sorted(f"id-+336{n:08d}" for n in range(5))


def test_parallel_smsmode_requests_send_each_number_once():
    part = part_on(smsmode.capabilities(parallel=4), 30)
    assert part.run().messages == 30
    assert Counter(r.recipients[0].phone_number for r in part.provider.sends) == \
        Counter({f"+336{n:08d}": 1 for n in range(30)})


def test_without_provider_idempotency_a_reserved_request_is_uncertain_never_sent_again():
    part = part_on(replace(smsmode.capabilities(), parallel_requests=1), 5)
    part.provider.kill_after = 3                    # the 3rd accepted, never recorded
    with pytest.raises(Killed):
        part.run()
    done = part.run()
    per_number = Counter(r.recipients[0].phone_number for r in part.provider.sends)
    assert len(per_number) == 5 and set(per_number.values()) == {1}        # 0 lost, 0 duplicates
    assert done.messages == 5 and done.uncertain == 1
    assert Counter(e.state for e in part.ledger.entries.values() if e.window is not None
                   and e.state != LedgerState.WRITTEN) == {LedgerState.ACCEPTED: 4, LedgerState.UNCERTAIN: 1}


def test_acs_takes_a_hundred_per_request_and_each_activity_holds_its_recipient_s_id():
    part = part_on(acs.capabilities(), 250, attributes=' type="2" reponses="0"')
    assert part.run().messages == 250
    assert [len(r.recipients) for r in part.provider.sends] == [100, 100, 50]
    assert len(set(part.tickets())) == 250


def test_numbers_the_provider_cannot_carry_are_left_out_before_anything_is_sent():
    part = part_on(acs.capabilities(), 3, attributes=' type="1" reponses="0" expediteur="ShopA"')
    done = part.run(now=NOW.replace(hour=11), quiet=QUIET)
    assert part.provider.sends == [] and done.messages == 0 and done.refused_by_provider == 3
    assert done.refusal is not None and done.refusal.key == "provider_fr_marketing_alphanumeric"


def test_when_the_ledger_fails_between_smsmode_groups_the_activities_keep_what_left():
    part = part_on(replace(smsmode.capabilities(), parallel_requests=2), 6)
    part.ledger.fail_on_write = 3           # the reservation, group 1 marked Sending, then group 2's mark
    with pytest.raises(ConnectionError):    # (carrying group 1's outcomes) fails: group 2 never leaves
        part.run()
    assert part.provider.calls == 2
    assert sorted(row["sms"].provider_ticket for row in part.activities.rows.values()) == [
        "id-+33600000000", "id-+33600000001"]
    part.ledger.fail_on_write = None

    done = part.run()                       # group 1 Sending: Uncertain, never again; the rest sent

    assert done.messages == 6 and part.provider.calls == 6
    assert len(part.activities.rows) == 6
    assert part.tickets()["id-+33600000000"] == 1       # kept from before the failure
