"""French rules in a campaign run on the emulators: consent, the configured STOP mention, overseas numbers."""
import base64

from connector.bootstrap import campaign_service, get_services
from connector.campaigns.model import CampaignAction
from emulators import dataverse_seed as seed


def run(action: str, campaign_id: str = seed.CAMPAIGN_ORDERS_ID):
    services = get_services()
    return campaign_service(services.crm, services.sms).run(campaign_id, CampaignAction[action.upper()],
                                                            seed.JOHN_BAKER_ID)


def report_rows(stack, campaign_id: str = seed.CAMPAIGN_ORDERS_ID) -> list[str]:
    notes = [n for n in stack.dataverse.rows("annotations", filter=f"_objectid_value eq {campaign_id}")
             if (n.get("filename") or "").endswith(".csv")]
    return base64.b64decode(notes[-1]["documentbody"]).decode("utf-8-sig").split("\r\n")[1:-1]


def test_a_recipient_who_refused_marketing_is_excluded_and_reported(stack):
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_consentcolumn": "donotphone"})
    stack.dataverse.update("contacts", seed.JOHN_DOE_ID, {"donotphone": True})
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo STOP au 30101"})
    assert run("simulate").summary == "3 recipients. 1 errors."
    refused = [row for row in report_rows(stack) if row.startswith("ECHEC")]
    assert refused == ["ECHEC;Le destinataire n'a pas accepté les SMS marketing (colonne donotphone).;"
                       "+33600000002;Promo STOP au 30101"]


def test_a_consent_column_the_table_does_not_have_is_named(stack):
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_consentcolumn": "new_smsoptin"})
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo STOP au 30101"})
    result = run("simulate")
    assert not result.ok and result.summary == ("The SMS configuration's consent column (new_smsoptin) does not exist "
                                                "in the contact table.")


def test_another_short_number_than_the_configured_one_fails_simulation(stack):
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo STOP au 36180"})
    assert run("simulate").summary == "3 recipients. 3 errors."
    assert all(row.startswith("ECHEC;La mention 'STOP au 30101' doit être présente.") for row in report_rows(stack))


def test_a_reunion_number_typed_nationally_is_sent_to_its_own_country_code(stack):
    stack.dataverse.update("contacts", seed.JOHN_DOE_ID, {"mobilephone": "0692 12 34 56"})
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo"})
    run("simulate")
    rows = report_rows(stack)
    assert "ECHEC;La mention 'STOP au 30101' doit être présente.;+262692123456;Promo" in rows


def test_a_prepared_campaign_is_tested_on_internal_numbers_and_does_not_change(stack, capsys):
    from smsc.cli import main

    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {
        "smsc_text": "Bonjour Mr [lastname], -10% ce week-end. STOP au 30101"})
    assert main(["campaign", "test", seed.CAMPAIGN_ORDERS_ID, "--numbers", "0611223344", "--lang", "en"]) == 2
    assert "Prepare the campaign before testing it" in capsys.readouterr().err
    assert run("prepare").ok
    activities_before = len(stack.dataverse.rows("smsc_textmessages"))

    assert main(["campaign", "test", seed.CAMPAIGN_ORDERS_ID, "--numbers", "06 11 22 33 44,0622334455",
                 "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "test: Test sent to 2 number(s); the campaign did not change. (status: ready to send)" in out
    tests = stack.octopush.sends[-2:]
    assert [s["numbers"] for s in tests] == [["+33611223344"], ["+33622334455"]]
    assert all(s["body"]["request_id"].startswith("test-") for s in tests)
    assert tests[0]["body"]["text"].startswith("Bonjour Mr ") and tests[0]["body"]["text"].endswith("STOP au 30101")
    assert len(stack.dataverse.rows("smsc_textmessages")) == activities_before          # no recipient activity
    assert stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)["smsc_smsstatus"] == 3   # still ready
    notes = [n for n in stack.dataverse.rows("annotations", filter=f"_objectid_value eq {seed.CAMPAIGN_ORDERS_ID}")
             if n.get("filename") == "test.csv"]
    assert len(notes) == 1 and "+33611223344" in base64.b64decode(notes[0]["documentbody"]).decode("utf-8-sig")


def test_without_numbers_the_test_goes_to_the_configurations(stack, capsys):
    from connector.crm.configuration import forget_configuration
    from smsc.cli import main

    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_testnumbers": "0699887766"})
    forget_configuration()
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo STOP au 30101"})
    assert run("prepare").ok
    assert main(["campaign", "test", seed.CAMPAIGN_ORDERS_ID]) == 0
    assert stack.octopush.sends[-1]["numbers"] == ["+33699887766"]
    forget_configuration()
