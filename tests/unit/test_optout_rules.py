"""Who puts a number on the opt-out list and who may take it off (seed 000: only START lifts a STOP)."""
import pytest

from connector import optout
from connector.configuration import Configuration
from connector.repositories.optouts import OptOut, OptOutReason
from tests.fakes.optouts import FakeOptOuts

NUMBER, OTHER = "+33611223344", "+33699887766"


def test_stop_writes_one_active_stop_row_and_refuses_the_next_send():
    optouts = FakeOptOuts()
    optout.stop(NUMBER, optouts)
    optout.stop(NUMBER, optouts)
    assert optouts.rows == {NUMBER: OptOut(NUMBER, OptOutReason.STOP, True)}
    assert optout.refuses(NUMBER, Configuration(), optouts)


def test_start_from_the_same_number_lifts_its_stop():
    optouts = FakeOptOuts({NUMBER})
    assert optout.start(NUMBER, optouts)
    assert optouts.find(NUMBER) == OptOut(NUMBER, OptOutReason.STOP, False)
    assert not optout.refuses(NUMBER, Configuration(), optouts)


def test_start_from_another_number_lifts_nothing():
    optouts = FakeOptOuts({NUMBER})
    assert not optout.start(OTHER, optouts)
    assert optouts.is_opted_out(NUMBER) and optouts.find(OTHER) is None


@pytest.mark.parametrize("reason", [OptOutReason.UNDELIVERABLE, OptOutReason.MANUAL])
def test_start_does_not_lift_an_undeliverable_or_manual_opt_out(reason):
    optouts = FakeOptOuts()
    optouts.opt_out(NUMBER, reason)
    assert not optout.start(NUMBER, optouts)
    assert optouts.find(NUMBER) == OptOut(NUMBER, reason, True)


@pytest.mark.parametrize(("lang", "words"), [("fr", "seul un SMS START"), ("en", "only a START SMS")])
def test_an_admin_cannot_lift_a_stop_and_is_told_why_in_their_language(lang, words):
    optouts = FakeOptOuts({NUMBER})
    with pytest.raises(optout.StopOptOutKept) as refused:
        optout.lift_by_admin(NUMBER, optouts, lang)
    assert words in str(refused.value) and NUMBER in str(refused.value)
    assert refused.value.answer_status == 409 and refused.value.error_code == "stop_opt_out"
    assert optouts.is_opted_out(NUMBER)


@pytest.mark.parametrize("reason", [OptOutReason.UNDELIVERABLE, OptOutReason.MANUAL])
def test_an_admin_lifts_an_undeliverable_or_manual_opt_out(reason):
    optouts = FakeOptOuts()
    optouts.opt_out(NUMBER, reason)
    assert optout.lift_by_admin(NUMBER, optouts)
    assert not optouts.is_opted_out(NUMBER)
    assert not optout.lift_by_admin(NUMBER, optouts)         # nothing active left
    assert not optout.lift_by_admin(OTHER, optouts)


def test_a_stop_after_an_undeliverable_opt_out_makes_it_a_stop_one():
    optouts = FakeOptOuts()
    optouts.opt_out(NUMBER, OptOutReason.UNDELIVERABLE)
    optout.stop(NUMBER, optouts)
    with pytest.raises(optout.StopOptOutKept):
        optout.lift_by_admin(NUMBER, optouts)
