"""A campaign's quota: simulate and prepare report it, validate enforces it on the whole campaign as
prepared (SMS = segments × recipients); the warning threshold when quotas are off."""
from dataclasses import replace

from connector.campaigns.model import CampaignAction as A
from connector.campaigns.model import CampaignStatus as S
from connector.configuration import Configuration
from connector.quotas import Enforcement, Limits, QuotaMode, QuotaRow
from tests.fakes.campaign_world import ENGLISH, FRENCH, NOW, world
from tests.fakes.quotas import FakeQuotas

ON = Configuration(quotas_enabled=True)


def run(w, action, quotas, user=ENGLISH):
    return w.service(quotas=quotas).run("camp-1", action, user)


def per_send(limit: int, enforcement=Enforcement.BLOCK, user=ENGLISH) -> FakeQuotas:
    return FakeQuotas(QuotaRow(user, QuotaMode.SPECIFIC, Limits(per_send_sms=limit), enforcement))


def test_three_recipients_exactly_at_a_per_send_limit_of_three_sms_go():
    w = world(config=ON)
    quotas = per_send(3)
    assert run(w, A.PREPARE, quotas).summary == "3 recipients. 0 errors."
    result = run(w, A.VALIDATE, quotas)
    w.release_parts()                                          # the queued parts (validate fans them out)
    assert result.ok and w.campaign.status == S.SENT and len(w.provider.numbers) == 3


def test_a_campaign_over_a_block_quota_is_reported_at_simulate_and_prepare_and_refused_at_validate():
    w = world(config=ON)
    quotas = per_send(2)
    assert run(w, A.SIMULATE, quotas).summary == (
        "3 recipients. 0 errors. The send will be refused, quota exceeded: 3 SMS in this send, 2 allowed per send.")
    assert run(w, A.PREPARE, quotas).ok and w.campaign.status == S.READY
    result = run(w, A.VALIDATE, quotas)
    assert not result.ok and result.status == S.READY and w.campaign.status == S.READY
    assert result.summary == w.campaign.last_result == (
        "Send refused, quota exceeded: 3 SMS in this send, 2 allowed per send.")
    assert w.provider.sends == [] and w.activities.rows == {}


def test_a_campaign_over_a_warn_quota_goes_and_says_so():
    w = world(config=ON)
    quotas = per_send(2, Enforcement.WARN, FRENCH)
    run(w, A.PREPARE, quotas, FRENCH)
    result = run(w, A.VALIDATE, quotas, FRENCH)
    w.release_parts()
    assert result.ok and w.campaign.status == S.SENT and len(w.provider.numbers) == 3
    assert result.summary.endswith("Attention, contingentement dépassé : 3 SMS dans cet envoi pour 2 autorisés "
                                   "par envoi.")


def test_the_months_consumption_counts_at_validate():
    w = world(config=ON)
    quotas = FakeQuotas(QuotaRow(None, QuotaMode.SPECIFIC, Limits(per_month_recipients=10), Enforcement.BLOCK),
                        sent=[(ENGLISH, NOW, 1)] * 7)
    run(w, A.PREPARE, quotas)
    assert run(w, A.VALIDATE, quotas).ok                      # 7 + 3 = 10: at the limit
    w2 = world(config=ON)
    quotas.sent.append((ENGLISH, NOW, 1))
    run(w2, A.PREPARE, quotas)
    assert "11 recipients this month" in run(w2, A.VALIDATE, quotas).summary and w2.provider.sends == []


def test_a_forbidden_user_cannot_validate_a_campaign():
    w = world(config=ON)
    quotas = FakeQuotas(QuotaRow(ENGLISH, QuotaMode.FORBIDDEN))
    run(w, A.PREPARE, FakeQuotas())
    result = run(w, A.VALIDATE, quotas)
    assert not result.ok and "not allowed" in result.summary and w.provider.sends == []


def test_a_resumed_validate_is_not_checked_again():
    w = world(config=ON)
    assert run(w, A.PREPARE, FakeQuotas()).status == S.READY
    w.campaigns.rows["camp-1"] = replace(w.campaign, status=S.SENDING)     # interrupted after the move
    result = run(w, A.VALIDATE, per_send(1))
    w.release_parts()
    assert result.ok and len(w.provider.numbers) == 3


def test_with_quotas_off_the_threshold_warns_at_simulate():
    w = world(config=Configuration(warn_threshold=3))
    assert run(w, A.SIMULATE, None).summary == (
        "3 recipients. 0 errors. This send counts 3 SMS: the warning threshold (3 SMS) is reached.")
    w = world(config=Configuration(warn_threshold=4))
    assert run(w, A.SIMULATE, None).summary == "3 recipients. 0 errors."
