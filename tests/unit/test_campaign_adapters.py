"""The Dataverse side of the campaign repositories, with a stub client (no HTTP): rows to models,
and Dataverse's "no such column" answers to a refusal naming the merge field."""
import pytest

from connector.crm.campaign_recipients import DataverseCampaignRecipients
from connector.crm.campaigns import DataverseCampaigns, campaign_from_row
from connector.crm.port import CrmError
from connector.repositories.campaign_recipients import UnknownColumn
from connector.repositories.campaigns import CampaignAction, CampaignStatus
from connector.text.templates import compile_template
from tests.fakes.campaign_world import a_campaign


def test_a_campaign_row_becomes_the_model():
    campaign = campaign_from_row({"campaignid": "c1", "@odata.etag": 'W/"7"', "smsc_recipienttype": 4,
                                  "smsc_smsstatus": 3, "smsc_action": 2, "actualstart": "2026-11-24T08:00:00Z",
                                  "smsc_providerticket": "smsc-c1"})
    assert (campaign.recipient_table, campaign.status, campaign.action) == ("lead", CampaignStatus.READY,
                                                                            CampaignAction.PREPARE)
    assert campaign.etag == 'W/"7"' and campaign.start.isoformat() == "2026-11-24T08:00:00+00:00"
    blank = campaign_from_row({"campaignid": "c2", "smsc_action": 99})
    assert (blank.recipient_table, blank.status, blank.action, blank.name) == (None, CampaignStatus.NOT_TRANSMITTED,
                                                                               None, "")


class StubCrm:
    def __init__(self, error: CrmError | None = None):
        self.error, self.updates = error, []

    def related(self, entity_set, record_id, navigation, **kw):
        if navigation == "campaignlist_association":
            return iter([{"listid": "l1", "listname": "L", "type": False, "createdfromcode": 2}])
        raise self.error

    def retrieve(self, entity_set, record_id, select=None, expand=None):
        raise self.error

    def update(self, entity_set, record_id, body, *, etag="*"):
        self.updates.append((entity_set, record_id, body, etag))


@pytest.mark.parametrize("code, message, column", [
    ("0x80060888", "Could not find a property named 'nosuch' on type 'Microsoft.Dynamics.CRM.contact'.", "nosuch"),
    ("0x80060888", "Could not find a property named '_nosuch_value' on type 'Microsoft.Dynamics.CRM.contact'.",
     "nosuch"),
    ("0x80041103", "'contact' entity doesn't contain attribute with Name = 'nosuch' and NameMapping = 'Logical'.",
     "nosuch"),
])
def test_an_unknown_column_is_named(code, message, column):
    recipients = DataverseCampaignRecipients(StubCrm(CrmError(400, code, message)))
    fields = compile_template("Bonjour {{ nosuch }}").fields
    with pytest.raises(UnknownColumn) as refused:
        list(recipients.candidates(a_campaign(), fields))
    assert (refused.value.table, refused.value.column) == ("contact", column)


def test_other_crm_errors_pass_through():
    recipients = DataverseCampaignRecipients(StubCrm(CrmError(400, "", "Injected fault 400")))
    with pytest.raises(CrmError):
        list(recipients.candidates(a_campaign(), compile_template("{{ firstname }}").fields))
    with pytest.raises(CrmError):
        list(recipients.candidates(a_campaign(), None))


def test_a_move_is_conditional_on_the_etag_and_finish_clears_the_action():
    crm = StubCrm()
    campaigns = DataverseCampaigns(crm)
    campaigns.move(a_campaign(etag='W/"5"'), CampaignStatus.IN_CONSTRUCTION, ticket="smsc-1")
    campaigns.finish("camp-1", "x" * 3000, status=CampaignStatus.READY, cost=0.5)
    (_, _, moved, etag), (_, _, finished, any_etag) = crm.updates
    assert moved == {"smsc_smsstatus": 2, "smsc_providerticket": "smsc-1"} and etag == 'W/"5"'
    assert finished == {"smsc_smsstatus": 3, "othercost": 0.5, "smsc_lastresult": "x" * 2000, "smsc_action": None}
    assert any_etag == "*"
