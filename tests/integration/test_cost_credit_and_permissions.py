"""Issue 11 on the emulators: cost per destination country, the credit, the low-credit alert, the
sender of the user or their team, and the CRM refusing a user whose roles do not allow the write."""
import pytest
import requests

from connector.bootstrap import campaign_service, get_services, low_credit_check
from connector.campaigns.model import CampaignAction
from emulators import dataverse_seed as seed
from smsc.campaign_parts import release_local_parts
from functions.local_host import invoke

SMITH = ("contact", seed.DAVID_SMITH_ID)
STOP_TEXT = "Bonjour Mr [lastname], votre commande a bien été enregistrée. STOP au 30101"


def call(stack, method, route, body=None, params=None):
    return invoke(method, route, body=body, headers={"x-smsc-webhook-key": stack.webhook_key}, params=params)


def preview(stack, number: str, text: str = "Votre rendez-vous est confirmé.") -> dict:
    response = call(stack, "POST", "textmessages/preview", {"text": text, "phonenumber": number})
    assert response.status == 200
    return response.json()


def test_a_french_and_a_belgian_number_cost_their_countrys_price(stack):
    french, belgian = preview(stack, "+33612345678"), preview(stack, "+32470123456")
    assert (french["country"], french["cost"], french["currency"]) == ("FR", 0.045, "EUR")
    assert (belgian["country"], belgian["cost"]) == ("BE", 0.079)
    assert belgian["price"] == {"amount": 0.079, "currency": "EUR", "source": "provider"}
    # The credit left, in money and in SMS to that country (the emulator's 100 € wallet).
    assert french["credit"] == {"amount": 100.0, "currency": "EUR", "sms": 2222, "country": "FR",
                                "product": "sms_premium"}
    assert belgian["credit"]["sms"] == 1265
    two_parts = preview(stack, "+32470123456", "x" * 200)
    assert (two_parts["segments"], two_parts["cost"]) == (2, 0.158)
    wallet = [r.query for r in stack.octopush.requests if r.path.endswith("check-balance")]
    assert {"country_code": "BE", "product_name": "sms_premium"} in wallet


def test_a_number_typed_nationally_is_priced_in_the_default_country(stack):
    assert preview(stack, "06 12 34 56 78")["country"] == "FR"


def test_credit_gives_the_amount_and_the_sms_left_per_country(stack):
    response = call(stack, "GET", "credit", params={"country": "BE"})
    assert response.status == 200
    answer = response.json()
    assert (answer["provider"], answer["amount"], answer["currency"], answer["sms"]) == ("octopush", 100.0, "EUR",
                                                                                          2222)
    assert answer["countries"]["BE"] == {"sms": 1265, "price": 0.079, "price_source": "provider"}
    assert answer["low_credit"] is False
    assert call(stack, "GET", "credit", params={"country": "Belgium"}).status == 400


def test_a_campaign_to_french_and_belgian_numbers_sums_their_prices(stack):
    stack.dataverse.update("contacts", seed.JOHN_DOE_ID, {"mobilephone": "+32470000002"})
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": STOP_TEXT})
    services = get_services()
    prepared = campaign_service(services.crm, services.sms).run(seed.CAMPAIGN_ORDERS_ID, CampaignAction.PREPARE,
                                                                seed.JOHN_BAKER_ID)
    assert prepared.ok and prepared.tally.valid == 3
    assert stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)["othercost"] == pytest.approx(2 * 0.045 + 0.079)
    sent = campaign_service(services.crm, services.sms).run(seed.CAMPAIGN_ORDERS_ID, CampaignAction.VALIDATE,
                                                            seed.JOHN_BAKER_ID)
    assert sent.ok
    release_local_parts(services, seed.CAMPAIGN_ORDERS_ID)
    # What Octopush charged: the same sum.
    assert sum(s["cost"] for s in stack.octopush.sends) == pytest.approx(2 * 0.045 + 0.079)


def test_below_the_low_credit_threshold_the_preview_warns_and_the_admins_are_told_once(stack):
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_lowcreditthreshold": 3000})
    warnings = preview(stack, "+33612345678")["warnings"]
    assert any(w.startswith("Low SMS credit: 2222 SMS left (FR)") for w in warnings)
    assert call(stack, "GET", "credit").json()["low_credit"] is True

    services = get_services()
    first = low_credit_check(services.crm, services.sms)
    assert first.outcome == "raised" and first.told == (seed.JOHN_BAKER_ID,)      # the System Administrator
    [notification] = stack.dataverse.rows("appnotifications")
    assert notification["title"] == "Low SMS credit" and "2222 SMS" in notification["body"]
    assert notification["_ownerid_value"] == seed.JOHN_BAKER_ID and notification["icontype"] == 100000003
    [note] = [n for n in stack.dataverse.rows("annotations", filter=f"_objectid_value eq {seed.CONFIGURATION_ID}")]
    assert "Crédit SMS bas" in note["notetext"]

    assert low_credit_check(services.crm, services.sms).outcome == "standing"
    assert len(stack.dataverse.rows("appnotifications")) == 1                     # once per crossing

    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_lowcreditthreshold": 10})
    bootstrap_reset_configuration()
    assert low_credit_check(services.crm, services.sms).outcome == "cleared"
    assert stack.dataverse.rows("annotations", filter=f"_objectid_value eq {seed.CONFIGURATION_ID}") == []


def bootstrap_reset_configuration():
    from connector.crm.configuration import forget_configuration

    forget_configuration()


def test_a_unit_sms_goes_with_the_users_sender_else_their_teams(crm, stack):
    stack.dataverse.update("systemusers", seed.CLAIRE_MARTIN_ID, {"smsc_defaultsender": "CLAIRE"})
    crm.webhook(crm.new_sms(SMITH, text="Votre colis arrive demain."))
    team = stack.dataverse.insert("teams", {"name": "Agence Lyon", "smsc_defaultsender": "LYON"})
    stack.dataverse.associate("teams", team, "teammembership_association", "systemusers", seed.JOHN_BAKER_ID)
    crm.webhook(crm.new_sms(SMITH, text="Votre colis arrive demain."), user=seed.JOHN_BAKER_ID)
    assert [s["body"]["sender"] for s in stack.octopush.sends] == ["CLAIRE", "LYON"]


def test_without_the_sender_choice_the_configurations_sender_goes(crm, stack):
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_unitallowsenderchoice": False})
    stack.dataverse.update("systemusers", seed.CLAIRE_MARTIN_ID, {"smsc_defaultsender": "CLAIRE"})
    crm.webhook(crm.new_sms(SMITH, text="Votre colis arrive demain."))
    assert [s["body"]["sender"] for s in stack.octopush.sends] == ["SMSC"]


def test_a_user_whose_role_writes_no_sms_is_refused_by_the_crm_and_told_in_french(crm, stack):
    activity_id = crm.new_sms(SMITH, text="Votre colis arrive demain.")
    response = crm.webhook(activity_id, user=seed.PAUL_LECTEUR_ID)

    assert response.json()["outcome"] == "failed"
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 8
    assert activity["smsc_error"].startswith("Dataverse a refusé l'enregistrement du SMS")
    assert "prvWriteActivity" in activity["smsc_error"]
    assert stack.octopush.sends == []
    patches = [r for r in stack.dataverse.requests if r.method == "PATCH"]
    # The take as Paul (refused by his role), then the failure written by the app itself.
    assert patches[0].headers.get("callerobjectid") == seed.PAUL_LECTEUR_AAD
    assert "callerobjectid" not in patches[-1].headers and patches[-1].json()["smsc_status"] == 8


def test_a_user_whose_role_does_not_write_campaigns_is_told_on_the_campaign(stack):
    services = get_services()
    result = campaign_service(services.crm, services.sms, user_id=seed.PAUL_LECTEUR_ID).run(
        seed.CAMPAIGN_ORDERS_ID, CampaignAction.SIMULATE, seed.PAUL_LECTEUR_ID)
    assert not result.ok and "prvWriteCampaign" in result.summary
    row = stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)
    assert row["smsc_lastresult"] == result.summary and result.summary.startswith("Dataverse a refusé")


def test_the_octopush_emulator_answers_credits_per_country_as_octopush_does(stack):


    headers = {"api-login": stack.octopush.api_login, "api-key": stack.octopush.api_key}
    answer = requests.get(f"{stack.octopush_url}/v1/public/wallet/check-credits",
                          params=[("country_codes[]", "FR"), ("country_codes[]", "BE")], headers=headers,
                          timeout=5).json()
    assert answer["FR"]["premium_sms"] == 2222 and answer["BE"]["premium_sms"] == 1265
    assert set(answer["BE"]) == {"premium_sms", "low_cost_sms", "vocal_sms", "hlr"}


def test_the_dataverse_emulator_refuses_an_impersonated_user_without_the_role(stack, make_api):
    api = make_api(stack.dataverse_url + "/api/data/v9.2/")
    body = {"subject": "SMS", "description": "x", "smsc_status": 1}
    refused = api.post("smsc_textmessages", json=body, headers={"CallerObjectId": seed.PAUL_LECTEUR_AAD})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "0x80040220"
    assert error["message"].startswith(f"Principal user (Id={seed.PAUL_LECTEUR_ID}, type=8, roleCount=1")
    assert "is missing prvCreateActivity privilege" in error["message"]
    allowed = api.post("smsc_textmessages", json=body, headers={"CallerObjectId": seed.CLAIRE_MARTIN_AAD})
    assert allowed.status_code == 204
