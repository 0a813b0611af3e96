"""A workflow's send_sms against in-memory repositories: one activity per key, then the unit send."""
from connector.activity import SmsStatus
from connector.configuration import Configuration
from connector.crm.webhook import EntityRef
from connector.idempotency import workflow_key
from connector.repositories.recipients import RecipientRecord
from connector.repositories.sms_activities import RowRef
from connector.repositories.templates import SmsTemplate
from connector.unit_sms import UnitSmsService
from tests.fakes.sending import fake_sending
from tests.fakes.sms_activities import FakeSmsActivities
from tests.fakes.sms_provider import FakeSmsProvider
from tests.fakes.workflows import fake_workflow_repositories
from workflows.actions import SmsActions, WorkflowRun, workflow_sms
from workflows.plan import PlannedSms

RUN = WorkflowRun("wf-1", "Contact created", "contact", "c-1", {"firstname": "David"}, "create",
                  text_format={"locale": "en_US"})
HELLO = PlannedSms("self", "Hello {{ firstname }}", "transactional", "SHOP", "steps[0]")


def actions(provider: FakeSmsProvider | None = None, **sending):
    activities = FakeSmsActivities()
    repositories = fake_sending(Configuration(), recipients=(
        RecipientRecord("contact", "c-1", "David Smith", "0649819006"),), **sending)
    provider = provider or FakeSmsProvider()
    unit = UnitSmsService(provider, activities, repositories)
    bundle = fake_workflow_repositories(activities=activities, sending=repositories)
    return SmsActions(bundle, provider, unit=unit), activities, provider


def test_the_sms_is_created_with_its_key_then_sent_once():
    sms_actions, activities, provider = actions()
    outcome = sms_actions.send(RUN, HELLO)
    assert outcome.outcome == "sent" and provider.requests[0].text == "Hello David"
    [created] = activities.created
    assert (created.idempotency_key, created.regarding, created.to, created.sender) == (
        "wf:wf-1:c-1:create:steps[0]", RowRef("contact", "c-1"), RowRef("contact", "c-1"), "SHOP")
    again = sms_actions.send(RUN, HELLO)
    assert again.outcome == "already-handled" and len(provider.requests) == 1


def test_a_redelivery_finishes_an_activity_an_earlier_delivery_left_send_requested():
    sms_actions, activities, provider = actions()
    key = workflow_key("wf-1", "c-1", "create", "steps[0]")
    activities.create_workflow_sms(workflow_sms(RUN, HELLO, key, "Hello David", EntityRef("contact", "c-1")))
    outcome = sms_actions.send(RUN, HELLO)             # the create finds the key taken
    assert outcome.outcome == "sent" and len(activities.created) == 1 and len(provider.requests) == 1


def test_a_named_template_must_be_published():
    sms_actions, activities, provider = actions(templates=(
        SmsTemplate("t-1", "Welcome", "Welcome [firstname]", "contact", False),))
    named = PlannedSms("self", None, "transactional", None, "steps[0]", template="Welcome")
    outcome = sms_actions.send(RUN, named)
    assert outcome.outcome == "failed" and outcome.detail == "No published SMS template is named 'Welcome'."
    [row] = activities.rows.values()
    assert (row.status, row.error, row.idempotency_key) == (SmsStatus.FAILED, outcome.detail,
                                                           "wf:wf-1:c-1:create:steps[0]")
    assert provider.requests == []


def test_a_refusal_by_the_unit_send_keeps_the_workflow_key():
    sms_actions, activities, _ = actions(optouts={"+33649819006"})
    outcome = sms_actions.send(RUN, HELLO)
    assert outcome.outcome == "failed" and "opted out" in outcome.detail
    [row] = activities.rows.values()
    assert row.idempotency_key == "wf:wf-1:c-1:create:steps[0]"
    assert sms_actions.send(RUN, HELLO).outcome == "already-handled"
