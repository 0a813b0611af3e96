"""« Envoyer un test » on the campaign panel: the button sets smsc_action = 6, the webhook queues it,
the worker sends the staged texts to the configured test numbers, as the user who clicked."""
import base64

import azure.functions as func

from connector.bootstrap import campaign_service, get_services
from connector.campaigns.model import CampaignAction
from connector.crm.configuration import forget_configuration
from emulators import dataverse_seed as seed
from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
from functions.local_host import invoke, queue_function

ORDERS = seed.CAMPAIGN_ORDERS_ID


def click_test(stack, user: str = seed.JOHN_BAKER_ID) -> dict:
    """The panel's button (smsc_action = 6, saved), the webhook, then the queue's worker."""
    stack.dataverse.update("campaigns", ORDERS, {"smsc_action": 6})
    body = remote_execution_context("Update", "campaign", ORDERS, user_id=user,
                                    attributes={"smsc_action": option(6)})
    answer = invoke("POST", "dataverse/events", body=body, headers=webhook_headers("Update", "campaign", stack.webhook_key))
    assert answer.status == 202 and answer.json()["handled"] == "campaign:test"
    message = answer.outputs["campaign_queue"]
    assert "+33" not in message                                   # no numbers on the queue
    queue_function("smsc-campaign-actions")(func.QueueMessage(body=message.encode()))
    return stack.dataverse.get("campaigns", ORDERS)


def prepared(stack, numbers: str | None = "0699887766; 06 11 22 33 44") -> None:
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_testnumbers": numbers})
    forget_configuration()
    stack.dataverse.update("campaigns", ORDERS, {"smsc_text": "Bonjour Mr [lastname], -10 % ce week-end. STOP au 30101"})
    services = get_services()
    assert campaign_service(services.crm, services.sms).run(ORDERS, CampaignAction.PREPARE, seed.JOHN_BAKER_ID).ok


def test_the_test_button_sends_the_staged_texts_to_the_configured_numbers_and_changes_nothing(stack):
    prepared(stack)
    activities, sends = len(stack.dataverse.rows("smsc_textmessages")), len(stack.octopush.sends)

    row = click_test(stack, seed.CLAIRE_MARTIN_ID)                 # a French user

    tests = stack.octopush.sends[sends:]
    assert [s["numbers"] for s in tests] == [["+33699887766"], ["+33611223344"]]
    assert all(s["body"]["text"].startswith("Bonjour Mr ") and s["body"]["text"].endswith("STOP au 30101")
               for s in tests)
    assert row["smsc_smsstatus"] == 3 and row["smsc_action"] is None          # still Ready to send
    assert row["smsc_lastresult"] == ("Test envoyé aux 2 numéro(s) de test (+33699887766, +33611223344) ; "
                                      "la campagne n'a pas changé.")
    assert len(stack.dataverse.rows("smsc_textmessages")) == activities       # no recipient activity
    [note] = [n for n in stack.dataverse.rows("annotations", filter=f"_objectid_value eq {ORDERS}")
              if n.get("filename") == "test.csv"]
    assert note["subject"].startswith("Test de la campagne (")
    assert "+33611223344" in base64.b64decode(note["documentbody"]).decode("utf-8-sig")
    forget_configuration()


def test_without_configured_numbers_the_campaign_says_so_and_nothing_goes(stack):
    prepared(stack, None)
    sends = len(stack.octopush.sends)
    row = click_test(stack)
    assert len(stack.octopush.sends) == sends
    assert row["smsc_lastresult"] == "No test number: fill in « Campaign test numbers » in the SMS configuration."
    assert row["smsc_action"] is None and row["smsc_smsstatus"] == 3
    forget_configuration()


def test_a_bad_configured_number_is_named_and_nothing_goes(stack):
    prepared(stack, "0699887766, 12")
    sends = len(stack.octopush.sends)
    row = click_test(stack)
    assert len(stack.octopush.sends) == sends
    assert row["smsc_lastresult"].startswith("Test number refused: ") and "12" in row["smsc_lastresult"]
    forget_configuration()


def test_a_campaign_not_prepared_is_not_tested(stack):
    sends = len(stack.octopush.sends)
    row = click_test(stack)
    assert len(stack.octopush.sends) == sends
    assert row["smsc_lastresult"] == "Prepare the campaign before testing it (it is not transmitted)."
    assert row["smsc_smsstatus"] == 1
