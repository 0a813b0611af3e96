"""The eight shipped hooks: valid drafts with the guide's texts, firing on their documented webhook
payloads, silent on near misses, and choosing the account or the contact as the guide does."""
from datetime import datetime, timedelta, timezone

import pytest

from connector.crm.webhook import RemoteExecutionContext
from emulators.webhook_bodies import money, option, reference, remote_execution_context, wcf_date
from connector.text.templates import compile_template
from workflows.conditions import RecordSnapshot
from workflows.definition import builtin_definitions
from workflows.events import hook_event, snapshot
from workflows.plan import PlannedSms, plan
from workflows.schema import StaticTableSchema
from workflows.triggers import HookEvent
from workflows.validation import validate

BUILTINS = builtin_definitions()
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
RECORD = "3b1a1d3e-2e51-ef11-a317-000d3a5a1f2c"
USER = "8e1a1d3e-2e51-ef11-a317-000d3a5a1f2c"
ACCOUNT = "4c1a1d3e-2e51-ef11-a317-000d3a5a1f2c"
CONTACT = "5d1a1d3e-2e51-ef11-a317-000d3a5a1f2c"
CUSTOMERS = {"account": reference("account", ACCOUNT, "Contoso"), "contact": reference("contact", CONTACT, "Ada")}
# The SMS for each customer type, as the guide's branches send it.
TO_ACCOUNT = ("customerid.primarycontactid", "steps[0].then[0]")
TO_CONTACT = ("customerid", "steps[0].elif[0].then[0]")


def test_the_eight_hooks_of_the_guide():
    assert {name: workflow.name for name, workflow in BUILTINS.items()} == {
        "case_created": "Envoi de SMS - Accusé de réception nouvel incident",
        "case_resolved": "Envoi de SMS - Incident résolu",
        "contact_created": "Envoi de SMS - Inscription d'un membre",
        "contact_inactive_90_days": "Envoi de SMS - Relance d'un contact inactif depuis 90 jours",
        "invoice_paid": "Envoi de SMS - Facture réglée",
        "order_cancelled": "Envoi de SMS - Commande annulée",
        "order_fulfilled": "Envoi de SMS - Commande validée",
        "quote_activated": "Envoi de SMS - Devis établi",
    }


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_each_is_an_inactive_draft_valid_against_the_crm_tables(name):
    assert BUILTINS[name].active is False
    assert validate(BUILTINS[name], StaticTableSchema()) == []


@pytest.mark.parametrize("name, table, codes", [
    ("order_fulfilled", "salesorder", (None, 3)), ("order_cancelled", "salesorder", (None, 2)),
    ("case_resolved", "incident", (None, 1)), ("quote_activated", "quote", (0, 1)),
    ("invoice_paid", "invoice", (None, 2)),
])
def test_status_hooks_use_the_dataverse_state_codes(name, table, codes):
    trigger = BUILTINS[name].trigger
    assert BUILTINS[name].entity == table and trigger.event == "status_change"
    assert (trigger.from_.statecode if trigger.from_ else None, trigger.to.statecode) == codes
    assert trigger.to.statuscode is None                       # any status reason of that state


FIELDS = {"ordernumber": "CMD-1042", "totalamount": 1234.5, "ticketnumber": "CAS-01234",
          "quotenumber": "DEV-77", "invoicenumber": "FAC-9"}


# The guide's texts with « n° » written « no »: the degree sign is not GSM-7 and would make every
# SMS Unicode (70 characters instead of 160).
@pytest.mark.parametrize("name, text", [
    ("order_fulfilled", "Votre commande no CMD-1042 d'un montant de 1 234,50 € a été validée"),
    ("order_cancelled", "Votre commande no CMD-1042 d'un montant de 1 234,50 € a été annulée"),
    ("case_created", "Le cas de support no CAS-01234 a été créé"),
    ("case_resolved", "L'incident no CAS-01234 a été résolu."),
    ("quote_activated", "Le devis no DEV-77 d'un montant de 1 234,50 € a été établi"),
    ("invoice_paid", "Votre facture no FAC-9 d'un montant de 1 234,50 € a été réglée"),
    ("contact_created", "Votre inscription est confirmée"),
    ("contact_inactive_90_days",
     "Nous constatons que vous ne nous avez pas rendu visite depuis longtemps. Vous nous manquez !!!"),
])
def test_texts_are_the_guides_with_merge_fields(name, text):
    planned = planned_texts(BUILTINS[name].steps)
    assert planned and all(compile_template(t).render(FIELDS) == text for t in planned)


def planned_texts(steps) -> list[str]:
    texts = []
    for step in steps:
        if hasattr(step, "send_sms"):
            texts.append(step.send_sms.text)
        else:
            texts += planned_texts(step.then) + [t for b in step.elif_ for t in planned_texts(b.then)]
            texts += planned_texts(step.else_)
    return texts


def webhook(message, table, *, target, pre=None, post=None) -> HookEvent:
    body = remote_execution_context(message, table, RECORD, user_id=USER, attributes=target,
                                    pre_image=pre, post_image=post)
    return hook_event(RemoteExecutionContext.model_validate(body))


def run(name: str, event: HookEvent) -> list[tuple[str, str]]:
    return [(sms.recipient_path, sms.step_path) for sms in plan(BUILTINS[name], event, snapshot(event, NOW))]


def state_change(table, old, new, customer="contact", extra=None) -> HookEvent:
    """An Update filtered on statecode/statuscode, with a pre image and a post image (as registered)."""
    pre = {"statecode": option(old[0]), "statuscode": option(old[1])}
    post = {"statecode": option(new[0]), "statuscode": option(new[1]), "customerid": CUSTOMERS[customer],
            "totalamount": money(99.9), **(extra or {})}
    return webhook("Update", table, target={"statecode": option(new[0]), "statuscode": option(new[1])},
                   pre={**pre, "customerid": CUSTOMERS[customer]}, post=post)


@pytest.mark.parametrize("name, table, old, new", [
    ("order_fulfilled", "salesorder", (1, 2), (3, 100001)),
    ("order_fulfilled", "salesorder", (4, 100003), (3, 100002)),
    ("order_cancelled", "salesorder", (0, 1), (2, 4)),
    ("case_resolved", "incident", (0, 1), (1, 5)),
    ("case_resolved", "incident", (0, 4), (1, 1000)),
    ("quote_activated", "quote", (0, 1), (1, 2)),
    ("invoice_paid", "invoice", (0, 1), (2, 100001)),
])
@pytest.mark.parametrize("customer, expected", [("account", TO_ACCOUNT), ("contact", TO_CONTACT)])
def test_status_hooks_fire_on_their_payload_for_the_right_customer(name, table, old, new, customer, expected):
    assert run(name, state_change(table, old, new, customer)) == [expected]


@pytest.mark.parametrize("name, table, old, new", [
    ("order_fulfilled", "salesorder", (3, 100001), (3, 100002)),     # already fulfilled: reason changes
    ("order_fulfilled", "salesorder", (1, 2), (2, 4)),               # cancelled, not fulfilled
    ("order_cancelled", "salesorder", (1, 2), (3, 100001)),
    ("case_resolved", "incident", (0, 1), (0, 2)),                   # updated, still active (On Hold)
    ("case_resolved", "incident", (0, 1), (2, 6)),                   # cancelled, not resolved
    ("quote_activated", "quote", (1, 2), (2, 4)),                    # won, not activated
    ("quote_activated", "quote", (2, 4), (1, 2)),                    # back to active, not from a draft
    ("invoice_paid", "invoice", (0, 1), (3, 100003)),                # cancelled, not paid
])
def test_status_hooks_stay_silent_on_near_misses(name, table, old, new):
    assert run(name, state_change(table, old, new)) == []


def test_an_order_update_without_status_change_is_silent():
    name_only = webhook("Update", "salesorder", target={"name": "Commande modifiée"},
                        pre={"statecode": option(3), "statuscode": option(100001)},
                        post={"statecode": option(3), "customerid": CUSTOMERS["contact"]})
    resent = state_change("salesorder", (3, 100001), (3, 100001))
    assert run("order_fulfilled", name_only) == [] and run("order_fulfilled", resent) == []


def test_a_legacy_set_state_fulfils_an_order():
    body = remote_execution_context("SetState", "salesorder", RECORD, user_id=USER,
                                    pre_image={"statecode": option(1), "customerid": CUSTOMERS["account"]})
    body["InputParameters"] = [{"key": "EntityMoniker", "value": reference("salesorder", RECORD)},
                               {"key": "State", "value": option(3)}, {"key": "Status", "value": option(100001)}]
    assert run("order_fulfilled", hook_event(RemoteExecutionContext.model_validate(body))) == [TO_ACCOUNT]


def test_a_customer_of_neither_type_gets_nothing():
    event = state_change("salesorder", (1, 2), (3, 100001), extra={"customerid": None})
    assert run("order_fulfilled", event) == []


@pytest.mark.parametrize("customer, expected", [("account", TO_ACCOUNT), ("contact", TO_CONTACT)])
def test_a_new_case_is_acknowledged(customer, expected):
    event = webhook("Create", "incident", target={"ticketnumber": "CAS-1", "customerid": CUSTOMERS[customer],
                                                  "statecode": option(0)})
    assert run("case_created", event) == [expected]
    assert run("case_created", webhook("Update", "incident", target={"title": "x"})) == []
    assert run("case_resolved", event) == []


def test_a_new_member_with_a_mobile_is_welcomed():
    created = webhook("Create", "contact", target={"firstname": "Ada", "mobilephone": "+33612345678"})
    assert run("contact_created", created) == [("self", "steps[0].then[0]")]
    assert run("contact_created", webhook("Create", "contact", target={"firstname": "Ada"})) == []
    assert run("contact_created", webhook("Update", "contact", target={"mobilephone": "+33612345678"})) == []
    assert run("order_fulfilled", created) == []                  # another table


def scheduled(created_days_ago: int, modified_days_ago: int, mobile="+33612345678") -> list[PlannedSms]:
    record = {"createdon": NOW - timedelta(days=created_days_ago),
              "modifiedon": NOW - timedelta(days=modified_days_ago), "mobilephone": mobile}
    event = HookEvent("Schedule", "contact", RECORD, post=record)
    return plan(BUILTINS["contact_inactive_90_days"], event, RecordSnapshot(None, record, NOW))


def test_the_inactive_contact_reminder():
    [sms] = scheduled(90, 90)
    assert (sms.recipient_path, sms.sms_type, sms.step_path) == ("self", "marketing", "steps[0]")
    assert scheduled(200, 200) != []
    assert scheduled(89, 89) == []                                 # not 90 days yet
    assert scheduled(120, 10) == []                                # modified since
    assert scheduled(120, 120, mobile=None) == []
    assert BUILTINS["contact_inactive_90_days"].trigger.period_days == 90


def test_webhook_dates_work_for_the_reminder_query():
    created = wcf_date(NOW - timedelta(days=91))
    event = webhook("Update", "contact", target={}, post={"createdon": created, "modifiedon": created,
                                                          "mobilephone": "+33612345678"})
    reminder = BUILTINS["contact_inactive_90_days"]
    snap = snapshot(event, NOW)
    assert plan(reminder, None, snap) == []                       # modifiedon of the Target moved on
    assert plan(reminder, None, RecordSnapshot(None, {**snap.after, "modifiedon": snap.after["createdon"]}, NOW))
