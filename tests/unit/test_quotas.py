"""The quota rules (connector.quotas) and the unit send's quota check: each mode × enforcement at
the boundary (exactly at the limit, one over), across a month change, for a user absent from the table."""
from datetime import UTC, datetime

import pytest

from connector.activity import SmsStatus
from connector.configuration import Configuration
from connector.quotas import (Enforcement, Limits, QuotaCheck, QuotaMode, QuotaRow, Usage, consumption, decide,
                              month_window, quota_for, threshold_decision)
from connector.repositories.sms_activities import RowRef, SmsActivity
from connector.repositories.users import UserFormat
from connector.unit_sms import UnitSmsService
from tests.fakes.quotas import FakeQuotas
from tests.fakes.sending import fake_sending
from tests.fakes.sms_activities import FakeSmsActivities
from tests.fakes.sms_provider import FakeSmsProvider
from tests.fakes.users import FakeUsers

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ON = Configuration(quotas_enabled=True)
CLAIRE, JOHN, NEWCOMER = "u-claire", "u-john", "u-new"
MONTHLY = Limits(per_month_sms=10, per_month_recipients=5)
PER_SEND = Limits(per_send_sms=4, per_send_recipients=2)


def check(*rows: QuotaRow, sent=(), user=CLAIRE, sms=1, recipients=1, config=ON, now=NOW):
    quotas = FakeQuotas(*rows, sent=list(sent))
    return QuotaCheck(quotas, lambda: now).check(config, user, sms=sms, recipients=recipients), quotas


def month_of(user: str, segments: list[int], when: datetime = NOW):
    return [(user, when, s) for s in segments]


# -- per send, per month, at the boundary ---------------------------------------------------------
@pytest.mark.parametrize("enforcement, outcome", [(Enforcement.WARN, "warn"), (Enforcement.BLOCK, "block")])
def test_per_send_sms_exactly_at_the_limit_goes_one_over_does_not(enforcement, outcome):
    row = QuotaRow(CLAIRE, QuotaMode.SPECIFIC, PER_SEND, enforcement)
    assert check(row, sms=4, recipients=2)[0].outcome == "ok"
    decision = check(row, sms=5, recipients=2)[0]
    assert decision.outcome == outcome and [e.key for e in decision.exceeded] == ["quota_per_send_sms"]
    assert check(row, sms=4, recipients=3)[0].exceeded[0].key == "quota_per_send_recipients"


@pytest.mark.parametrize("enforcement, outcome", [(Enforcement.WARN, "warn"), (Enforcement.BLOCK, "block")])
def test_per_month_counts_what_was_sent_this_month_plus_this_send(enforcement, outcome):
    row = QuotaRow(CLAIRE, QuotaMode.SPECIFIC, MONTHLY, enforcement)
    sent = month_of(CLAIRE, [2, 2, 2, 2])          # 8 SMS to 4 recipients
    assert check(row, sent=sent, sms=2)[0].outcome == "ok"             # 10 SMS, 5 recipients: at the limit
    decision = check(row, sent=sent, sms=3)[0]                         # 11 SMS
    assert decision.outcome == outcome
    assert decision.exceeded[0].key == "quota_per_month_sms" and decision.exceeded[0].count == 11
    assert check(row, sent=month_of(CLAIRE, [1] * 5), sms=1)[0].exceeded[0].key == "quota_per_month_recipients"


def test_the_month_is_the_calendar_month_in_paris_so_last_months_sms_no_longer_count():
    row = QuotaRow(CLAIRE, QuotaMode.SPECIFIC, MONTHLY, Enforcement.BLOCK)
    # 31 Oct 23:30 UTC is 1 Nov 00:30 in Paris: November's; 31 Oct 22:30 UTC is October's.
    november_first = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    october_last = datetime(2026, 10, 31, 22, 30, tzinfo=UTC)
    assert check(row, sent=month_of(CLAIRE, [10], october_last), sms=1)[0].outcome == "ok"
    assert check(row, sent=month_of(CLAIRE, [10], november_first), sms=1)[0].outcome == "block"
    december = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert check(row, sent=month_of(CLAIRE, [10], november_first), sms=1, now=december)[0].outcome == "ok"


def test_month_window_in_paris_time_across_the_year_end():
    assert month_window(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == (
        datetime(2026, 12, 31, 23, 0, tzinfo=UTC), datetime(2027, 1, 31, 23, 0, tzinfo=UTC))
    assert month_window(NOW) == (datetime(2026, 10, 31, 23, 0, tzinfo=UTC), datetime(2026, 11, 30, 23, 0, tzinfo=UTC))


# -- modes, the default row, a user absent from the table -----------------------------------------
def test_a_user_absent_from_the_table_gets_the_default_row():
    default = QuotaRow(None, QuotaMode.SPECIFIC, PER_SEND, Enforcement.BLOCK)
    assert check(default, user=NEWCOMER, sms=5)[0].outcome == "block"
    assert check(default, user=NEWCOMER, sms=4)[0].outcome == "ok"


def test_mode_default_takes_the_default_rows_limits_and_enforcement():
    default = QuotaRow(None, QuotaMode.SPECIFIC, PER_SEND, Enforcement.BLOCK)
    own = QuotaRow(CLAIRE, QuotaMode.DEFAULT, Limits(per_send_sms=100), Enforcement.WARN)
    assert quota_for(own, default).limits == PER_SEND and quota_for(own, default).source == "default"
    assert check(default, own, sms=5)[0].outcome == "block"


@pytest.mark.parametrize("enforcement", list(Enforcement))
def test_forbidden_refuses_every_send_whatever_the_enforcement(enforcement):
    decision, quotas = check(QuotaRow(CLAIRE, QuotaMode.FORBIDDEN, Limits(), enforcement), sms=1)
    assert decision.outcome == "block" and decision.forbidden and quotas.checks == 0
    assert "pas autorisé" in decision.say("fr")


@pytest.mark.parametrize("enforcement", list(Enforcement))
def test_unlimited_never_limits_even_under_a_strict_default(enforcement):
    default = QuotaRow(None, QuotaMode.SPECIFIC, Limits(1, 1, 1, 1), Enforcement.BLOCK)
    own = QuotaRow(CLAIRE, QuotaMode.UNLIMITED, Limits(1, 1, 1, 1), enforcement)
    decision, quotas = check(default, own, sent=month_of(CLAIRE, [5] * 9), sms=50, recipients=9)
    assert decision.outcome == "ok" and quotas.checks == 0


def test_no_default_row_and_no_own_row_means_no_limit():
    assert check(user=NEWCOMER, sms=10_000)[0].outcome == "ok"


def test_an_empty_or_zero_limit_is_no_limit_and_no_monthly_limit_reads_no_consumption():
    decision, quotas = check(QuotaRow(CLAIRE, QuotaMode.SPECIFIC, Limits(0, None, None, 0), Enforcement.BLOCK),
                             sms=999, recipients=999)
    assert decision.outcome == "ok" and quotas.checks == 0


def test_quotas_off_nothing_is_read_and_only_the_threshold_warns():
    row = QuotaRow(CLAIRE, QuotaMode.FORBIDDEN)
    decision, quotas = check(row, config=Configuration(quotas_enabled=False, warn_threshold=8), sms=8)
    assert decision.outcome == "warn" and decision.threshold == (8, 8) and quotas.checks == 0
    assert check(row, config=Configuration(warn_threshold=8), sms=7)[0].outcome == "ok"
    assert threshold_decision(Configuration(warn_threshold=0), 10_000).outcome == "ok"     # 0: no threshold
    assert threshold_decision(Configuration(quotas_enabled=True, warn_threshold=1), 10).outcome == "ok"


def test_messages_name_each_limit_in_the_users_language():
    quota = quota_for(QuotaRow(CLAIRE, QuotaMode.SPECIFIC, Limits(4, 2, 10, 5), Enforcement.BLOCK), None)
    decision = decide(quota, sms=6, recipients=3, used=Usage(8, 4))
    assert decision.say("fr") == (
        "Envoi refusé, contingentement dépassé : 6 SMS dans cet envoi pour 4 autorisés par envoi ; "
        "3 destinataires dans cet envoi pour 2 autorisés par envoi ; "
        "14 SMS ce mois-ci avec cet envoi pour 10 autorisés par mois ; "
        "7 destinataires ce mois-ci avec cet envoi pour 5 autorisés par mois.")
    assert decision.say("en").startswith("Send refused, quota exceeded: 6 SMS in this send, 4 allowed per send")


# -- the unit send ----------------------------------------------------------------------------------
SMITH = RowRef("contact", "c-smith")
TWO_SMS = "Votre commande est arrivee. " * 7         # 195 GSM-7 characters: 2 SMS


def unit_send(*rows: QuotaRow, text="Votre commande 4711 est expédiée.", sent=(), config=ON, workflow_id=None):
    from connector.repositories.recipients import RecipientRecord

    activities = FakeSmsActivities(SmsActivity("sms-1", 'W/"1"', SmsStatus.SEND_REQUESTED, "SMS", text=text,
                                               recipient=SMITH, workflow_id=workflow_id))
    provider = FakeSmsProvider()
    sending = fake_sending(config, users={CLAIRE: UserFormat("fr_FR"), JOHN: UserFormat("en_US")},
                           recipients=(RecipientRecord("contact", "c-smith", "David Smith", "06 49 81 90 06", {}),))
    service = UnitSmsService(provider, activities, sending, lambda: NOW, FakeQuotas(*rows, sent=list(sent)))
    return service.send("sms-1", CLAIRE), activities.get("sms-1"), provider


def test_unit_send_blocked_ends_failed_with_the_reason_in_french_and_nothing_reaches_the_provider():
    row = QuotaRow(CLAIRE, QuotaMode.SPECIFIC, Limits(per_send_sms=1), Enforcement.BLOCK)
    result, row_after, provider = unit_send(row, text=TWO_SMS)
    assert result.outcome == "failed" and row_after.status == SmsStatus.FAILED
    assert row_after.error == ("Envoi refusé, contingentement dépassé : "
                               "2 SMS dans cet envoi pour 1 autorisés par envoi.")
    assert provider.requests == []


def test_unit_send_exactly_at_the_monthly_limit_goes():
    row = QuotaRow(CLAIRE, QuotaMode.SPECIFIC, Limits(per_month_sms=3), Enforcement.BLOCK)
    result, row_after, provider = unit_send(row, text=TWO_SMS, sent=month_of(CLAIRE, [1]))
    assert result.outcome == "sent" and row_after.error is None and len(provider.requests) == 1
    result, _, provider = unit_send(row, text=TWO_SMS, sent=month_of(CLAIRE, [2]))
    assert result.outcome == "failed" and provider.requests == []


def test_unit_send_warned_goes_and_keeps_the_warning_on_the_activity():
    row = QuotaRow(CLAIRE, QuotaMode.SPECIFIC, Limits(per_send_sms=1), Enforcement.WARN)
    result, row_after, provider = unit_send(row, text=TWO_SMS)
    assert result.outcome == "sent" and row_after.status == SmsStatus.SENT and len(provider.requests) == 1
    assert row_after.error == result.detail == ("Attention, contingentement dépassé : "
                                                "2 SMS dans cet envoi pour 1 autorisés par envoi.")


def test_unit_send_forbidden_user_is_refused():
    result, row_after, provider = unit_send(QuotaRow(CLAIRE, QuotaMode.FORBIDDEN))
    assert result.outcome == "failed" and "pas autorisé" in (row_after.error or "") and provider.requests == []


def test_a_workflow_sms_always_goes_even_for_a_forbidden_owner():
    result, row_after, provider = unit_send(QuotaRow(CLAIRE, QuotaMode.FORBIDDEN), workflow_id="wf-1")
    assert result.outcome == "sent" and len(provider.requests) == 1 and row_after.error is None


def test_unit_send_reaching_the_threshold_with_quotas_off_carries_the_warning():
    result, row_after, _ = unit_send(text=TWO_SMS, config=Configuration(warn_threshold=2))
    assert result.outcome == "sent"
    assert row_after.error == "Cet envoi compte 2 SMS : le seuil d'avertissement (2 SMS) est atteint."
    result, row_after, _ = unit_send(text=TWO_SMS, config=Configuration(warn_threshold=3))
    assert row_after.error is None


# -- the consumption view -----------------------------------------------------------------------------
def test_consumption_lists_users_with_a_row_or_sms_this_month_with_what_is_left():
    quotas = FakeQuotas(QuotaRow(None, QuotaMode.SPECIFIC, MONTHLY, Enforcement.BLOCK),
                        QuotaRow(JOHN, QuotaMode.UNLIMITED),
                        sent=month_of(CLAIRE, [2, 3]) + month_of(JOHN, [1]) + [(CLAIRE, datetime(2026, 9, 1,
                                                                                              tzinfo=UTC), 5)])
    view = consumption(quotas, FakeUsers({}, names={CLAIRE: "Claire Martin"}), NOW, enabled=True)
    assert view["month"] == "2026-11" and view["time_zone"] == "Europe/Paris"
    claire, john = view["users"]
    assert claire == {"id": CLAIRE, "name": "Claire Martin", "mode": "specific", "quota": "default",
                      "enforcement": "block", "limits": {"per_send_sms": None, "per_send_recipients": None,
                                                         "per_month_sms": 10, "per_month_recipients": 5},
                      "used": {"sms": 5, "recipients": 2}, "remaining": {"sms": 5, "recipients": 3}}
    assert john["mode"] == "unlimited" and john["used"] == {"sms": 1, "recipients": 1}
    assert john["remaining"] == {"sms": None, "recipients": None}


# -- the preview -----------------------------------------------------------------------------------------
def test_the_preview_warns_when_the_threshold_is_reached_and_quotas_are_off():
    from connector.preview import PreviewRequest, PreviewService

    def warnings(config: Configuration) -> list[str]:
        sending = fake_sending(config, users={CLAIRE: UserFormat("fr_FR")})
        return PreviewService(sending).preview(PreviewRequest(text=TWO_SMS, userid=CLAIRE))["warnings"]

    reached = "Cet envoi compte 2 SMS : le seuil d'avertissement (2 SMS) est atteint."
    assert reached in warnings(Configuration(warn_threshold=2))
    assert reached.replace("(2 SMS)", "(3 SMS)") not in warnings(Configuration(warn_threshold=3))
    assert not any("seuil" in w for w in warnings(Configuration(warn_threshold=3)))
    assert not any("seuil" in w for w in warnings(Configuration(warn_threshold=2, quotas_enabled=True)))
