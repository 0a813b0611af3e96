"""« Texte économique » chosen per send, on the emulators: on an SMS (the unit send) and on a campaign
(simulate, prepare); left empty, the configuration decides."""
import base64
import csv
import io

from connector.bootstrap import campaign_service, get_services
from connector.campaigns.model import CampaignAction
from connector.crm.configuration import forget_configuration
from emulators import dataverse_seed as seed

SMITH = ("contact", seed.DAVID_SMITH_ID)
TYPOGRAPHY = "« Votre commande est prête » ’ à bientôt"        # what a word processor puts in
CHEAPER = "\" Votre commande est prete \" ' à bientot"             # GSM-7 (à is in GSM-7; ô is not)
YES, NO = 1, 2


def configure(stack, cheaper: bool) -> None:
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_cheapertext": cheaper})
    forget_configuration()


def test_chosen_on_the_sms_the_text_goes_gsm7_and_the_activity_says_so(crm, stack):
    configure(stack, False)
    activity_id = crm.new_sms(SMITH, text=TYPOGRAPHY, smsc_cheapertext=YES)
    assert crm.webhook(activity_id).json()["outcome"] == "sent"
    [send] = stack.octopush.sends
    assert send["body"]["text"] == CHEAPER
    activity = crm.activity(activity_id)
    assert activity["description"] == CHEAPER                    # the user sees the text really sent
    assert (activity["smsc_encoding"], activity["smsc_segments"]) == (1, 1)      # GSM-7


def test_not_chosen_on_the_sms_the_text_stays_ucs2(crm, stack):
    configure(stack, False)
    activity_id = crm.new_sms(SMITH, text=TYPOGRAPHY)
    crm.webhook(activity_id)
    assert stack.octopush.sends[-1]["body"]["text"] == TYPOGRAPHY
    assert crm.activity(activity_id)["smsc_encoding"] == 2                        # UCS-2


def test_refused_on_the_sms_it_wins_over_the_configuration(crm, stack):
    configure(stack, True)
    kept = crm.new_sms(SMITH, text=TYPOGRAPHY, smsc_cheapertext=NO)
    crm.webhook(kept)
    assert stack.octopush.sends[-1]["body"]["text"] == TYPOGRAPHY
    assert crm.activity(kept)["smsc_encoding"] == 2
    default = crm.new_sms(SMITH, text=TYPOGRAPHY)                 # left empty: the configuration's (on)
    crm.webhook(default)
    assert stack.octopush.sends[-1]["body"]["text"] == CHEAPER
    forget_configuration()


def staged_texts(stack) -> list[str]:
    notes = [n for n in stack.dataverse.rows("annotations", filter=f"_objectid_value eq {seed.CAMPAIGN_ORDERS_ID}")
             if n.get("filename") == "resume.csv"]
    rows = list(csv.reader(io.StringIO(base64.b64decode(notes[-1]["documentbody"]).decode("utf-8-sig")), delimiter=";"))
    return [row[-1] for row in rows[1:]]


def run(action: CampaignAction):
    services = get_services()
    return campaign_service(services.crm, services.sms).run(seed.CAMPAIGN_ORDERS_ID, action, seed.JOHN_BAKER_ID)


def test_chosen_on_the_campaign_its_simulation_and_preparation_use_it(stack):
    configure(stack, False)
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID,
                           {"smsc_text": "« Promo » d’été STOP au 30101", "smsc_cheapertext": YES})
    assert run(CampaignAction.SIMULATE).ok
    assert set(staged_texts(stack)) == {"\" Promo \" d'été STOP au 30101"}      # the report shows the text sent
    assert run(CampaignAction.PREPARE).ok
    staged = [n for n in stack.dataverse.rows("annotations", filter=f"_objectid_value eq {seed.CAMPAIGN_ORDERS_ID}")
              if n.get("filename") == "resume.xml"]
    xml = base64.b64decode(staged[-1]["documentbody"]).decode("utf-8")
    assert "\" Promo \" d'été STOP au 30101" in xml.replace("&quot;", '"').replace("&#x27;", "'").replace("&apos;", "'")
    assert "«" not in xml and "’" not in xml


def test_refused_on_the_campaign_the_configuration_is_not_used(stack):
    configure(stack, True)
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID,
                           {"smsc_text": "« Promo » d’été STOP au 30101", "smsc_cheapertext": NO})
    assert run(CampaignAction.SIMULATE).ok
    assert set(staged_texts(stack)) == {"« Promo » d’été STOP au 30101"}
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_cheapertext": None})
    assert run(CampaignAction.SIMULATE).ok
    assert set(staged_texts(stack)) == {"\" Promo \" d'été STOP au 30101"}
    forget_configuration()
