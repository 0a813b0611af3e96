"""The template and recipient rules over their ports, the preview on fakes, and what the Dataverse
implementations of the SMS activity, template and recipient repositories ask Dataverse."""
from datetime import UTC, datetime

import pytest

from connector.crm.port import CrmError
from connector.crm.recipients import DataverseRecipients
from connector.crm.sms_activities import DataverseSmsActivities
from connector.crm.templates import DataverseTemplates
from connector.errors import NotFound
from connector.messages import named_template_source, template_source
from connector.preview import PreviewRequest, PreviewService, SmsRefusal
from connector.recipients import RecipientError, load_recipient
from connector.repositories.recipients import RecipientRecord
from connector.repositories.sms_activities import NewWorkflowSms, RowRef
from connector.repositories.templates import SmsTemplate
from connector.repositories.users import UserFormat
from connector.send_policy import SmsRejected
from connector.sms.port import SmsType
from connector.text.templates import compile_template
from tests.fakes.recipients import FakeRecipients
from tests.fakes.sending import fake_sending
from tests.fakes.templates import FakeTemplates

CONTACT_ID = "49b0be2e-d01c-ed11-b83e-000d3a572421"
TEMPLATES = FakeTemplates(
    SmsTemplate("t-1", "Commande", "Bonjour {{ firstname }}", "contact", True),
    SmsTemplate("t-2", "Ancien", "Bonjour Mr [lastname]", None, True),
    SmsTemplate("t-3", "Brouillon", "Bonjour", "contact", False),
    SmsTemplate("t-4", "Prospects", "Bonjour", "lead", True),
)


# -- template rules --------------------------------------------------------------------------------------
def test_a_published_template_for_the_table_or_any_table_gives_its_text():
    assert template_source(TEMPLATES, "t-1", "contact") == "Bonjour {{ firstname }}"
    assert template_source(TEMPLATES, "t-2", "lead") == "Bonjour Mr {{ lastname }}"        # legacy [field]


@pytest.mark.parametrize("template_id, key", [("t-3", "template_unpublished"), ("t-4", "template_other_table")])
def test_an_unpublished_or_other_table_template_is_refused(template_id, key):
    with pytest.raises(SmsRejected) as refused:
        template_source(TEMPLATES, template_id, "contact")
    assert refused.value.key == key


def test_templates_by_name_are_the_published_ones_only():
    assert named_template_source(TEMPLATES, "Commande", "contact") == "Bonjour {{ firstname }}"
    for name, key in (("Brouillon", "no_template_named"), ("Nope", "no_template_named"),
                      ("Prospects", "template_other_table")):
        with pytest.raises(SmsRejected) as refused:
            named_template_source(TEMPLATES, name, "contact")
        assert refused.value.key == key


def test_a_missing_template_is_not_found():
    with pytest.raises(NotFound, match="t-9"):
        template_source(TEMPLATES, "t-9", "contact")


# -- recipient rules --------------------------------------------------------------------------------------
def test_a_recipient_is_a_contact_lead_or_account_with_a_primary_contact():
    recipients = FakeRecipients(RecipientRecord("account", "a-1", "Acme", None, has_primary_contact=False))
    with pytest.raises(RecipientError, match="not to a incident"):
        load_recipient(recipients, "incident", "i-1")
    with pytest.raises(RecipientError, match="'Acme' has no primary contact"):
        load_recipient(recipients, "account", "a-1")
    with pytest.raises(NotFound, match="c-9"):
        load_recipient(recipients, "contact", "c-9")


# -- the preview ------------------------------------------------------------------------------------------
def test_the_preview_shows_the_merged_text_its_number_and_warnings_in_the_users_language():
    sending = fake_sending(users={"u-fr": UserFormat("fr_FR")}, templates=tuple(TEMPLATES.templates.values()),
                           recipients=(RecipientRecord("contact", CONTACT_ID, "David Smith", "0649819006",
                                                       {"firstname": "Dávid"}),))
    answer = PreviewService(sending).preview(PreviewRequest.model_validate(
        {"text": "Bonjour {{ firstname }}", "regarding": {"entity": "contact", "id": CONTACT_ID},
         "smstype": 1, "userid": "u-fr"}))
    assert answer["text"] == "Bonjour Dávid" and answer["phonenumber"] == "+33649819006"
    assert answer["encoding"] == "UCS-2"
    assert answer["warnings"][0] == ("Un SMS marketing vers un numéro français doit contenir la mention "
                                     "« STOP au 30101 ».")


def test_the_preview_warns_of_an_empty_text_and_refuses_one_too_long_as_the_send_does():
    preview = PreviewService(fake_sending()).preview
    assert preview(PreviewRequest(text="  "))["warnings"] == ["The SMS text is empty."]
    with pytest.raises(SmsRefusal) as refused:
        preview(PreviewRequest(text="x" * 300_000, userid="u-1"))       # an unknown user: French
    assert (refused.value.answer_status, refused.value.message) == (
        422, "Le texte du SMS compte 300000 caractères ; la limite est 1224.")


def test_the_preview_of_a_bare_text_needs_no_recipient():
    answer = PreviewService(fake_sending()).preview(PreviewRequest(text="Bonjour " * 30))
    assert (answer["segments"], answer["phonenumber"]) == (2, None)
    assert answer["warnings"] == ["The text will be sent as 2 SMS."]


# -- the Dataverse implementations --------------------------------------------------------------------------
class RecordingCrm:
    """Answers every call with the queued answers and records what was asked."""
    api_url = None

    def __init__(self, *answers):
        self.answers, self.calls = list(answers), []

    def _answer(self, call):
        self.calls.append(call)
        answer = self.answers.pop(0) if self.answers else None
        if isinstance(answer, Exception):
            raise answer
        return answer

    def retrieve(self, entity_set, record_id, select=None, expand=None):
        return self._answer(("retrieve", entity_set, record_id, tuple(select or ()), expand))

    def retrieve_multiple(self, entity_set, *, select=None, filter=None, orderby=None, expand=None, top=None):
        return iter(self._answer(("retrieve_multiple", entity_set, tuple(select or ()), filter, orderby, top)) or [])

    def update(self, entity_set, record_id, body, *, etag="*"):
        return self._answer(("update", entity_set, record_id, dict(body), etag))

    def create(self, entity_set, body):
        return self._answer(("create", entity_set, dict(body)))


ROW = {"@odata.etag": 'W/"5"', "activityid": "sms-1", "description": "Bonjour", "smsc_status": 2,
       "scheduledend": "2031-03-14T09:30:00Z", "smsc_idempotencykey": None,
       "_regardingobjectid_value": "l-1", "_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "lead",
       "smsc_textmessage_activity_parties": [
           {"participationtypemask": 1, "_partyid_value": "u-1",
            "_partyid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "systemuser"},
           {"participationtypemask": 2, "_partyid_value": "c-1",
            "_partyid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "contact"}]}


def test_an_activity_is_read_with_its_parties_and_its_to_party_is_the_recipient():
    crm = RecordingCrm(ROW)
    activity = DataverseSmsActivities(crm).get("sms-1")
    assert (activity.etag, activity.status, activity.text, activity.recipient) == (
        'W/"5"', 2, "Bonjour", RowRef("contact", "c-1"))
    assert activity.due == datetime(2031, 3, 14, 9, 30, tzinfo=UTC)
    assert crm.calls[0][4] == "smsc_textmessage_activity_parties($select=participationtypemask,_partyid_value," \
                              "addressused)"
    no_to = {**ROW, "smsc_textmessage_activity_parties": ROW["smsc_textmessage_activity_parties"][:1]}
    assert DataverseSmsActivities(RecordingCrm(no_to)).get("sms-1").recipient == RowRef("lead", "l-1")


def test_a_failure_is_conditional_and_clears_the_key_unless_kept():
    crm = RecordingCrm()
    activities = DataverseSmsActivities(crm)
    activities.fail("sms-1", 'W/"5"', "x" * 2100, keep_key=False)
    activities.fail("sms-1", None, "time-out", keep_key=True)
    assert crm.calls == [
        ("update", "smsc_textmessages", "sms-1", {"smsc_status": 8, "smsc_error": "x" * 2000,
                                                 "smsc_idempotencykey": None}, 'W/"5"'),
        ("update", "smsc_textmessages", "sms-1", {"smsc_status": 8, "smsc_error": "time-out"}, "*")]


def test_sent_writes_the_ticket_cost_and_sent_on():
    crm = RecordingCrm()
    DataverseSmsActivities(crm).mark_sent("sms-1", "sms_1", 0.05, datetime(2026, 11, 23, 10, 0, 1, 500, tzinfo=UTC))
    assert [call[3] for call in crm.calls] == [
        {"smsc_status": 5, "smsc_providermessageid": "sms_1", "smsc_cost": 0.05, "actualend": "2026-11-23T10:00:01Z"}]


def test_stuck_sends_are_unit_sms_in_sending_oldest_first():
    crm = RecordingCrm([{**ROW, "smsc_status": 3, "modifiedon": "2026-11-23T09:00:00Z"}])
    [stuck] = DataverseSmsActivities(crm).stuck_sending(datetime(2026, 11, 23, 9, 50, tzinfo=UTC), 10)
    assert stuck.modified_on == datetime(2026, 11, 23, 9, 0, tzinfo=UTC) and stuck.id == "sms-1"
    _, _, select, query, orderby, top = crm.calls[0]
    assert query == "smsc_status eq 3 and modifiedon lt 2026-11-23T09:50:00Z and _smsc_campaignid_value eq null"
    assert (orderby, top, select[-1]) == ("modifiedon asc", 10, "modifiedon")


def test_keys_and_tickets_are_quoted_in_filters():
    crm = RecordingCrm([], [{**ROW, "smsc_providermessageid": "sms_1", "smsc_phonenumber": "+33649819006"}])
    activities = DataverseSmsActivities(crm)
    assert activities.find_by_key("wf:o'brien") is None
    found = activities.find_by_ticket("sms_1", "+33649819006")
    assert (found.id, found.ticket) == ("sms-1", "sms_1")
    assert crm.calls[0][3] == "smsc_idempotencykey eq 'wf:o''brien'"
    assert crm.calls[1][3] == "smsc_providermessageid eq 'sms_1' and smsc_phonenumber eq '+33649819006'"


def test_a_workflow_sms_is_created_with_its_key_regarding_and_to_party():
    crm = RecordingCrm("sms-9")
    sms = NewWorkflowSms("W" * 250, "Bonjour", SmsType.MARKETING, "wf:1:o:create:s", "wf-1", sender="SHOP",
                         regarding=RowRef("salesorder", "o-1"), to=RowRef("contact", "c-1"))
    assert DataverseSmsActivities(crm).create_workflow_sms(sms) == "sms-9"
    body = crm.calls[0][2]
    assert body == {"subject": "W" * 200, "description": "Bonjour", "smsc_status": 2, "smsc_direction": 1,
                    "smsc_smstype": 1, "smsc_idempotencykey": "wf:1:o:create:s",
                    "smsc_WorkflowId@odata.bind": "/smsc_workflows(wf-1)", "smsc_sender": "SHOP",
                    "regardingobjectid_salesorder_smsc_textmessage@odata.bind": "/salesorders(o-1)",
                    "smsc_textmessage_activity_parties": [
                        {"participationtypemask": 2, "partyid_contact@odata.bind": "/contacts(c-1)"}]}
    failed = NewWorkflowSms("W", "", SmsType.TRANSACTIONAL, "k", "wf-1", error="no recipient")
    DataverseSmsActivities(crm).create_workflow_sms(failed)
    assert crm.calls[1][2] == {"subject": "W", "description": "", "smsc_status": 8, "smsc_direction": 1,
                               "smsc_smstype": 2, "smsc_idempotencykey": "k", "smsc_error": "no recipient",
                               "smsc_WorkflowId@odata.bind": "/smsc_workflows(wf-1)"}


def test_templates_are_read_by_id_or_published_by_name():
    crm = RecordingCrm({"smsc_name": "Commande", "smsc_text": "Bonjour", "smsc_templatestatus": 1,
                        "smsc_entity": "contact"}, [])
    templates = DataverseTemplates(crm)
    assert templates.get("t-1") == SmsTemplate("t-1", "Commande", "Bonjour", "contact", False)
    assert templates.published_named("L'offre") is None
    assert crm.calls[1][3] == "smsc_name eq 'L''offre' and smsc_templatestatus eq 2"


def test_an_account_recipient_is_its_primary_contacts_mobile():
    crm = RecordingCrm({"name": "Acme", "primarycontactid": {"mobilephone": "0649819006", "fullname": "D"}},
                       {"name": "Acme", "primarycontactid": None})
    recipients = DataverseRecipients(crm)
    found = recipients.load("account", "a-1")
    assert (found.name, found.mobile, found.has_primary_contact) == ("Acme", "0649819006", True)
    assert recipients.load("account", "a-1").has_primary_contact is False
    assert crm.calls[0][3:] == (("name",), "primarycontactid($select=mobilephone,fullname)")


def test_a_template_field_the_table_lacks_is_a_recipient_error_and_lookups_are_read():
    fields = compile_template("{{ nosuch }}").fields
    crm = RecordingCrm(CrmError(400, "0x0", "Could not find a property named 'nosuch'"))
    with pytest.raises(RecipientError, match="nosuch"):
        DataverseRecipients(crm).load("contact", "c-1", fields)
    fields = compile_template("{{ firstname }} {{ parentcustomerid.name }}").fields
    crm = RecordingCrm({"firstname": "David", "mobilephone": "06", "fullname": "David Smith",
                        "_parentcustomerid_value": "a-1",
                        "_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account"},
                       {"name": "Contoso"})
    found = DataverseRecipients(crm).load("contact", "c-1", fields)
    assert found.merge_values["firstname"] == "David" and found.merge_values["parentcustomerid"]["name"] == "Contoso"
    assert crm.calls[1][:4] == ("retrieve", "accounts", "a-1", ("name",))


def test_a_column_the_lookups_table_lacks_is_a_recipient_error_naming_it():
    fields = compile_template("{{ parentcustomerid.nosuch }}").fields
    crm = RecordingCrm({"fullname": "David Smith", "mobilephone": "06", "_parentcustomerid_value": "a-1",
                        "_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account"},
                       CrmError(400, "0x0", "Could not find a property named 'nosuch' on type 'account'"))
    with pytest.raises(RecipientError, match="the account table does not have: .*'nosuch'"):
        DataverseRecipients(crm).load("contact", "c-1", fields)
    crm = RecordingCrm({"fullname": "David Smith", "mobilephone": "06", "_parentcustomerid_value": "a-1",
                        "_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account"},
                       CrmError(503, "", "unavailable"))
    with pytest.raises(CrmError):             # the CRM failing is not the template's problem
        DataverseRecipients(crm).load("contact", "c-1", fields)
