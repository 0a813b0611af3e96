"""Campaign failures as a new user meets them (issue 8), on the emulators: each leaves the campaign
where the user can act again, with the reason on it, in their language, and one line from the CLI."""
import pytest

from connector import bootstrap
from connector.bootstrap import campaign_service, get_services
from connector.campaigns.model import CampaignAction
from connector.campaigns.worker import run_queued_action
from emulators import dataverse_seed as seed
from smsc.campaign_parts import release_local_parts
from smsc.cli import main

ORDERS = seed.CAMPAIGN_ORDERS_ID


def run(action: str, user: str | None = seed.JOHN_BAKER_ID):
    """The action; validate's parts released from the in-process queue, as the CLI does."""
    services = get_services()
    result = campaign_service(services.crm, services.sms).run(ORDERS, CampaignAction[action.upper()], user)
    if action == "validate" and result.ok:
        result = release_local_parts(services, ORDERS) or result
    return result


def row(stack) -> dict:
    return stack.dataverse.get("campaigns", ORDERS)


@pytest.fixture
def wrong_api_key(monkeypatch):
    monkeypatch.setenv("OCTOPUSH_API_KEY", "wrong")
    bootstrap.reset()
    yield
    monkeypatch.undo()
    bootstrap.reset()


def test_prepare_with_a_wrong_api_key_leaves_the_campaign_preparable_with_the_reason(stack, wrong_api_key):
    refused = run("prepare")

    assert not refused.ok and refused.status.name == "NOT_TRANSMITTED"
    assert "Octopush rejected the API key" in refused.summary
    campaign = row(stack)
    assert campaign["smsc_smsstatus"] == 1 and campaign["smsc_providerticket"] is None
    assert campaign["smsc_lastresult"] == refused.summary and campaign["smsc_action"] is None
    assert "Octopush a refusé la clé d'API" in run("prepare", seed.CLAIRE_MARTIN_ID).summary


def test_the_queue_does_not_leave_a_failed_prepare_stuck(stack, wrong_api_key):
    stack.dataverse.update("campaigns", ORDERS, {"smsc_action": int(CampaignAction.PREPARE)})
    services = get_services()
    message = {"campaignid": ORDERS, "action": int(CampaignAction.PREPARE), "userid": seed.JOHN_BAKER_ID}

    def service_for(user_id):
        return campaign_service(services.crm, services.sms, user_id=user_id)

    first = run_queued_action(service_for, message, attempt=1)
    assert not first.ok and "Octopush rejected the API key" in first.summary
    assert run_queued_action(service_for, message, attempt=2) == "prepare already handled"
    assert "cancel it first" not in row(stack)["smsc_lastresult"]


def test_after_the_key_is_fixed_the_same_campaign_prepares(stack, wrong_api_key, monkeypatch):
    assert not run("prepare").ok
    monkeypatch.setenv("OCTOPUSH_API_KEY", stack.environment["OCTOPUSH_API_KEY"])
    bootstrap.reset()
    prepared = run("prepare")
    assert prepared.ok and prepared.status.name == "READY" and row(stack)["smsc_smsstatus"] == 3


def test_the_cli_says_why_in_one_line_and_exits_non_zero(stack, wrong_api_key, capsys):
    code = main(["campaign", "prepare", ORDERS, "--user", seed.JOHN_BAKER_ID])

    out = capsys.readouterr().out.strip().splitlines()
    assert code != 0 and len(out) == 1
    assert "Octopush rejected the API key" in out[0] and out[0].endswith("(status: not transmitted)")


@pytest.mark.parametrize("action", ["simulate", "prepare"])
def test_an_unknown_merge_field_is_refused_by_name_on_the_campaign(stack, action):
    stack.dataverse.update("campaigns", ORDERS, {"smsc_text": "Bonjour {{ nosuch }} STOP au 30101"})

    english = run(action)
    assert not english.ok and english.status.name == "NOT_TRANSMITTED"
    assert english.summary == "The campaign's text uses a field the contact table does not have: nosuch."
    french = run(action, seed.CLAIRE_MARTIN_ID)
    assert french.summary == "Le texte de la campagne utilise un champ que la table contact n'a pas : nosuch."
    campaign = row(stack)
    assert campaign["smsc_lastresult"] == french.summary and campaign["smsc_smsstatus"] == 1
    assert "0x80060888" not in french.summary and stack.octopush.sends == []


def test_an_unknown_field_of_a_related_record_names_its_table(stack):
    stack.dataverse.update("campaigns", ORDERS, {"smsc_text": "Bonjour {{ parentcustomerid.nosuch }}"})
    refused = run("simulate")
    assert not refused.ok and refused.summary.endswith("the account table does not have: nosuch.")


def test_a_provider_failure_during_validate_reports_the_real_status(stack, capsys):
    stack.dataverse.update("campaigns", ORDERS, {"smsc_text": "Promo STOP au 30101"})
    assert run("prepare").ok
    stack.octopush.credit = 0.0

    refused = run("validate")
    assert not refused.ok and refused.status.name == "SENDING" and row(stack)["smsc_smsstatus"] == 4
    assert main(["campaign", "validate", ORDERS, "--lang", "en"]) != 0
    assert capsys.readouterr().out.strip().endswith("(status: sending)")


def test_validating_a_sent_campaign_says_it_was_sent(stack, capsys):
    stack.dataverse.update("campaigns", ORDERS, {"smsc_text": "Promo STOP au 30101"})
    run("prepare")
    assert run("validate").ok

    assert main(["campaign", "validate", ORDERS, "--user", seed.JOHN_BAKER_ID]) != 0
    out = capsys.readouterr().out.strip()
    assert "already sent" in out and "Prepare the campaign" not in out and out.endswith("(status: sent)")
