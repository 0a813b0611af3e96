"""The opt-out and provider-event adapters against the Dataverse emulator: the rows they write."""
from datetime import datetime, timezone

from connector.crm.optouts import DataverseOptOuts
from connector.crm.provider_events import DataverseProviderEvents
from connector.repositories.optouts import OptOut, OptOutReason
from connector.sms.callbacks import CallbackKind, ProviderCallback

NUMBER = "+33611223344"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def optout_rows(stack):
    return [r for r in stack.dataverse.rows("smsc_optouts") if r["smsc_phonenumber"] == NUMBER]


def test_a_stop_twice_makes_one_active_row_and_lifting_keeps_it_inactive(stack):
    from connector.bootstrap import get_services

    optouts = DataverseOptOuts(get_services().crm)
    optouts.opt_out(NUMBER, OptOutReason.STOP)
    optouts.opt_out(NUMBER, OptOutReason.STOP)
    assert [(r["smsc_active"], r["smsc_reason"]) for r in optout_rows(stack)] == [(True, 1)]
    assert optouts.is_opted_out(NUMBER) and optouts.find(NUMBER) == OptOut(NUMBER, OptOutReason.STOP, True)
    optouts.lift(NUMBER)
    assert [r["smsc_active"] for r in optout_rows(stack)] == [False] and not optouts.is_opted_out(NUMBER)
    optouts.lift("+33699999999")            # no row: nothing written
    assert optouts.find("+33699999999") is None


def test_events_are_kept_as_received_then_marked_processed_in_one_batch(stack):
    from connector.bootstrap import get_services

    events = DataverseProviderEvents(get_services().crm)
    report = ProviderCallback(CallbackKind.DELIVERY, NUMBER, ticket="sms_1", status="DELIVERED",
                              raw={"message_id": "sms_1", "number": NUMBER, "status": "DELIVERED"})
    ids = [events.record(report, NOW), events.record(report, NOW)]
    assert [e.callback.ticket for e in events.get_many(ids)] == ["sms_1", "sms_1"]
    assert [e.id for e in events.unprocessed(CallbackKind.DELIVERY)] == ids
    before = len(stack.dataverse.requests)
    events.mark_processed({ids[0]: None, ids[1]: None}, NOW)
    assert len(stack.dataverse.requests) == before + 1          # one $batch
    assert events.unprocessed(CallbackKind.DELIVERY) == []
    assert events.get_many(ids)[0].processed_on == NOW and events.get_many(ids)[0].callback.raw["status"] == "DELIVERED"
