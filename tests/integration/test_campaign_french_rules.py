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
