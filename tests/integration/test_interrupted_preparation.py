"""On the emulator: the resume timer's query finds a campaign left In construction by its `modifiedon`,
and puts it back so that it can be prepared again."""
from datetime import datetime, timedelta, timezone

from connector.bootstrap import campaign_service, get_services
from connector.campaigns.model import CampaignAction
from connector.campaigns.resume import reopen_interrupted_preparations
from emulators import dataverse_seed as seed


def test_a_campaign_left_in_construction_is_reopened_by_the_timer_and_prepared_again(stack):
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {
        "smsc_text": "Promo STOP au 30101", "smsc_smsstatus": 2, "smsc_providerticket": "smsc-dead-1"})
    services = get_services()
    now = datetime.now(timezone.utc)

    soon = campaign_service(services.crm, services.sms, clock=lambda: now + timedelta(minutes=5))
    assert reopen_interrupted_preparations(soon).reopened == []             # may still be running
    later = campaign_service(services.crm, services.sms, clock=lambda: now + timedelta(minutes=20))
    assert reopen_interrupted_preparations(later).reopened == [seed.CAMPAIGN_ORDERS_ID]

    row = stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)
    assert row["smsc_smsstatus"] == 1 and row["smsc_providerticket"] is None
    assert row["smsc_lastresult"].startswith("La préparation a été interrompue")
    assert campaign_service(services.crm, services.sms).run(seed.CAMPAIGN_ORDERS_ID, CampaignAction.PREPARE).ok
    assert stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)["smsc_smsstatus"] == 3
