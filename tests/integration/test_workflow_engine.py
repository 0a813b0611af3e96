"""Hook workflows end to end: documented webhook payloads -> HookEngine -> Dataverse emulator + Octopush
emulator; the schedule workflows through run_scheduled; the dry-run. Built-ins are activated the way
an admin does it: an `smsc_workflow` row holding the shipped YAML with `smsc_active` true."""
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from connector.crm import configuration as crm_configuration
from connector.bootstrap import get_services, workflow_repositories
from emulators import dataverse_seed as seed
from emulators.webhook_bodies import money, option, reference, remote_execution_context, webhook_headers
from dispatch.events import parse_event
from workflows.definition import BUILTIN_DIR
from workflows.dryrun import dry_run
from workflows.engine import HookEngine, StepRegistration, required_steps, summarize
from workflows.scheduler import run_scheduled

CONTOSO = reference("account", seed.CONTOSO_ID, "Contoso SA")
SMITH = reference("contact", seed.DAVID_SMITH_ID, "David Smith")
SMITH_MOBILE, DOE_MOBILE, PARKER_MOBILE = "+33649819006", "+33600000002", "+33600000001"


class Hooks:
    """An admin activating workflows, and Dataverse posting the webhook events of record changes."""

    def __init__(self, stack):
        self.stack, self.services = stack, get_services()
        self.repositories = workflow_repositories(self.services.crm)

    def activate(self, name: str, *, yaml: str | None = None, entity: str | None = None) -> str:
        text = yaml if yaml is not None else (BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8")
        table = entity or next(line.split(":", 1)[1].strip() for line in text.splitlines()
                               if line.startswith("entity:"))
        return self.stack.dataverse.insert("smsc_workflows", {"smsc_name": name, "smsc_definition": text,
                                                              "smsc_entity": table, "smsc_active": True})

    def deliver(self, message: str, table: str, record_id: str, target: dict, *, pre: dict | None = None,
                depth: int = 1, operation_id: str | None = None, headers: dict | None = None):
        body = remote_execution_context(message, table, record_id, user_id=seed.CLAIRE_MARTIN_ID,
                                        attributes=target, pre_image=pre, depth=depth, operation_id=operation_id)
        all_headers = {**webhook_headers(message, table, self.stack.webhook_key), **(headers or {})}
        context = parse_event(json.dumps(body).encode(), all_headers)
        return HookEngine(self.repositories, self.services.sms).dispatch(context, all_headers)

    def sends(self) -> list[tuple[str, str]]:
        return [(s["numbers"][0], s["body"]["text"]) for s in self.stack.octopush.sends]

    def activities(self) -> list[dict]:
        return self.stack.dataverse.rows("smsc_textmessages")


@pytest.fixture
def hooks(stack):
    return Hooks(stack)


@pytest.fixture
def stop_appended(stack):
    """The built-in reminder is a marketing SMS without the STOP mention: the admin lets it be appended.
    The configuration is cached 60 s per URL and emulator ports get reused: forgotten before and after."""
    crm_configuration._cache.clear()
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_appendstop": True})
    yield
    crm_configuration._cache.clear()


def status(state: int, reason: int) -> dict:
    return {"statecode": option(state), "statuscode": option(reason)}


def order_image(state: int, reason: int, customer: dict, number="ORD-1001", amount=1250.5) -> dict:
    return {**status(state, reason), "customerid": customer, "ordernumber": number, "totalamount": money(amount)}


# name, message, table, record id, new columns (Target), pre image, number, text.
BUILTIN_EVENTS = [
    ("order_fulfilled", "Update", "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001), order_image(1, 2, CONTOSO),
     SMITH_MOBILE, "Votre commande no ORD-1001 d'un montant de 1 250,50 € a été validée"),
    ("order_cancelled", "Update", "salesorder", seed.ORDER_SMITH_ID, status(2, 4),
     order_image(1, 2, SMITH, "ORD-1002", 89.9), SMITH_MOBILE,
     "Votre commande no ORD-1002 d'un montant de 89,90 € a été annulée"),
    ("case_created", "Create", "incident", seed.CASE_SMITH_ID,
     {"ticketnumber": "CAS-01002-C3D4", "title": "Livraison incomplète", "customerid": SMITH, **status(0, 1)},
     None, SMITH_MOBILE, "Le cas de support no CAS-01002-C3D4 a été créé"),
    ("case_resolved", "Update", "incident", seed.CASE_CONTOSO_ID, status(1, 5),
     {**status(0, 1), "customerid": CONTOSO, "ticketnumber": "CAS-01001-A1B2"}, SMITH_MOBILE,
     "L'incident no CAS-01001-A1B2 a été résolu."),
    ("quote_activated", "Update", "quote", seed.QUOTE_SMITH_ID, status(1, 2),
     {**status(0, 1), "customerid": SMITH, "quotenumber": "QUO-01001", "totalamount": money(420)}, SMITH_MOBILE,
     "Le devis no QUO-01001 d'un montant de 420,00 € a été établi"),
    ("invoice_paid", "Update", "invoice", seed.INVOICE_CONTOSO_ID, status(2, 100001),
     {**status(0, 1), "customerid": CONTOSO, "invoicenumber": "INV-01001", "totalamount": money(1250.5)},
     SMITH_MOBILE, "Votre facture no INV-01001 d'un montant de 1 250,50 € a été réglée"),
    ("contact_created", "Create", "contact", seed.JOHN_DOE_ID,
     {"firstname": "John", "lastname": "Doe", "mobilephone": DOE_MOBILE}, None, DOE_MOBILE,
     "Votre inscription est confirmée"),
]


def apply_target(stack, table: str, record_id: str, target: dict) -> None:
    """The change the event reports, made in the emulator first (as Dataverse has when it calls)."""
    columns = {k: v["Value"] for k, v in target.items() if k in ("statecode", "statuscode")}
    if columns:
        stack.dataverse.update(f"{table}s", record_id, columns)


@pytest.mark.parametrize("name, message, table, record_id, target, pre, number, text", BUILTIN_EVENTS,
                         ids=[e[0] for e in BUILTIN_EVENTS])
def test_each_builtin_fires_on_its_documented_payload_and_sends_one_sms(hooks, stack, name, message, table,
                                                                        record_id, target, pre, number, text):
    workflow_id = hooks.activate(name)
    apply_target(stack, table, record_id, target)

    [outcome] = hooks.deliver(message, table, record_id, target, pre=pre)

    assert (outcome.outcome, outcome.workflow_id, outcome.record_id) == ("sent", workflow_id, record_id)
    assert hooks.sends() == [(number, text)]
    [activity] = hooks.activities()
    assert activity["activityid"] == outcome.activity_id and activity["smsc_status"] == 5
    assert (activity["_regardingobjectid_value"], activity["_smsc_workflowid_value"]) == (record_id, workflow_id)
    assert activity["description"] == text and activity["smsc_phonenumber"] == number
    assert activity["smsc_idempotencykey"].startswith(f"wf:{workflow_id}:{record_id}:")


def test_the_webhook_answer_lists_what_each_workflow_did(hooks, stack):
    workflow_id = hooks.activate("case_created")
    target = {"ticketnumber": "CAS-01002-C3D4", "customerid": SMITH, **status(0, 1)}
    handled, detail = summarize(hooks.deliver("Create", "incident", seed.CASE_SMITH_ID, target))
    [activity] = hooks.activities()
    assert (handled, detail) == ("workflows", {"workflows": [{
        "workflow_id": workflow_id, "workflow": "case_created", "outcome": "sent", "step": "steps[0].elif[0].then[0]",
        "activity_id": activity["activityid"], "record_id": seed.CASE_SMITH_ID}]})
    assert summarize(hooks.deliver("Update", "incident", seed.CASE_SMITH_ID, {"title": "x"})) == ("ignored", {})


def test_the_status_change_key_is_the_state_transition(hooks, stack):
    workflow_id = hooks.activate("order_fulfilled")
    apply_target(stack, "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001))
    hooks.deliver("Update", "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001), pre=order_image(1, 2, CONTOSO))
    key = hooks.activities()[0]["smsc_idempotencykey"]
    assert key == f"wf:{workflow_id}:{seed.ORDER_CONTOSO_ID}:1>3:steps[0].then[0]"


def test_the_account_or_contact_branch_picks_the_right_recipient(hooks, stack):
    hooks.activate("order_fulfilled")
    stack.dataverse.update("accounts", seed.CONTOSO_ID, {"primarycontactid@odata.bind": f"/contacts({seed.JOHN_DOE_ID})"})
    for order_id, customer in ((seed.ORDER_CONTOSO_ID, CONTOSO), (seed.ORDER_SMITH_ID, SMITH)):
        apply_target(stack, "salesorder", order_id, status(3, 100001))
        [outcome] = hooks.deliver("Update", "salesorder", order_id, status(3, 100001),
                                  pre=order_image(1, 2, customer))
        assert outcome.outcome == "sent"

    assert [number for number, _ in hooks.sends()] == [DOE_MOBILE, SMITH_MOBILE]
    parties = {a["_regardingobjectid_value"]: stack.dataverse.get(
        "smsc_textmessages", a["activityid"], expand="smsc_textmessage_activity_parties")
        ["smsc_textmessage_activity_parties"][0]["_partyid_value"] for a in hooks.activities()}
    assert parties == {seed.ORDER_CONTOSO_ID: seed.JOHN_DOE_ID, seed.ORDER_SMITH_ID: seed.DAVID_SMITH_ID}


@pytest.mark.parametrize("name, message, table, record_id, target, pre", [
    ("order_fulfilled", "Update", "salesorder", seed.ORDER_CONTOSO_ID, status(2, 4), order_image(1, 2, CONTOSO)),
    ("order_fulfilled", "Update", "salesorder", seed.ORDER_CONTOSO_ID, {"name": "Renamed"}, order_image(1, 2, CONTOSO)),
    ("order_fulfilled", "Update", "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001),
     order_image(3, 100002, CONTOSO)),                                  # already fulfilled: a status reason change
    ("order_cancelled", "Update", "salesorder", seed.ORDER_SMITH_ID, status(3, 100001), order_image(1, 2, SMITH)),
    ("case_created", "Update", "incident", seed.CASE_SMITH_ID, {"title": "Autre"}, None),
    ("case_resolved", "Update", "incident", seed.CASE_CONTOSO_ID, status(2, 6), {**status(0, 1), "customerid": CONTOSO}),
    ("quote_activated", "Update", "quote", seed.QUOTE_SMITH_ID, status(1, 2), {**status(1, 3), "customerid": SMITH}),
    ("quote_activated", "Update", "quote", seed.QUOTE_SMITH_ID, status(1, 2), None),    # from Draft: unknown
    ("invoice_paid", "Update", "invoice", seed.INVOICE_CONTOSO_ID, status(3, 100003), {**status(0, 1)}),
    ("contact_created", "Create", "contact", seed.JULIE_MOREAU_ID, {"firstname": "Julie", "lastname": "Moreau"},
     None),                                                             # no mobile: the guard fails
    ("contact_created", "Create", "salesorder", seed.ORDER_SMITH_ID, {"name": "x"}, None),   # another table
], ids=["cancelled-not-fulfilled", "other-columns", "status-reason-only", "fulfilled-not-cancelled",
        "case-update", "case-cancelled", "quote-already-active", "quote-no-pre-image", "invoice-cancelled",
        "contact-without-mobile", "other-table"])
def test_near_misses_send_nothing_and_write_nothing(hooks, stack, name, message, table, record_id, target, pre):
    hooks.activate(name)
    outcomes = hooks.deliver(message, table, record_id, target, pre=pre)
    assert all(o.outcome == "skipped" for o in outcomes)
    assert hooks.sends() == [] and hooks.activities() == []


def test_a_redelivered_event_sends_nothing_more(hooks, stack):
    hooks.activate("case_resolved")
    apply_target(stack, "incident", seed.CASE_SMITH_ID, status(1, 5))
    pre, operation = {**status(0, 1), "customerid": SMITH, "ticketnumber": "CAS-01002-C3D4"}, str(uuid.uuid4())
    first = hooks.deliver("Update", "incident", seed.CASE_SMITH_ID, status(1, 5), pre=pre, operation_id=operation)
    again = hooks.deliver("Update", "incident", seed.CASE_SMITH_ID, status(1, 5), pre=pre, operation_id=operation)
    # A change of state plus other columns makes Dataverse raise a second Update (another operation).
    second_step = hooks.deliver("Update", "incident", seed.CASE_SMITH_ID, {**status(1, 5), "title": "x"}, pre=pre)

    assert [o.outcome for o in first + again + second_step] == ["sent", "already-handled", "already-handled"]
    assert len(hooks.sends()) == 1 and len(hooks.activities()) == 1


def test_an_activity_left_send_requested_by_a_crashed_delivery_is_sent_by_the_redelivery(hooks, stack):
    workflow_id = hooks.activate("case_created")
    target = {"ticketnumber": "CAS-01002-C3D4", "customerid": SMITH, **status(0, 1)}
    stack.dataverse.insert("smsc_textmessages", {
        "subject": "case_created", "description": "Le cas de support no CAS-01002-C3D4 a été créé", "smsc_status": 2,
        "smsc_idempotencykey": f"wf:{workflow_id}:{seed.CASE_SMITH_ID}:create:steps[0].elif[0].then[0]",
        "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({seed.DAVID_SMITH_ID})"})
    [outcome] = hooks.deliver("Create", "incident", seed.CASE_SMITH_ID, target)
    assert outcome.outcome == "sent" and len(hooks.sends()) == 1 and len(hooks.activities()) == 1


def test_depth_over_two_is_ignored_without_reading_the_workflows(hooks, stack):
    hooks.activate("order_fulfilled")
    apply_target(stack, "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001))
    stack.dataverse.requests.clear()
    [outcome] = hooks.deliver("Update", "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001),
                              pre=order_image(1, 2, CONTOSO), depth=3)
    assert outcome.outcome == "ignored" and "Depth 3" in outcome.detail
    assert hooks.sends() == [] and stack.dataverse.requests == []


def test_an_account_without_primary_contact_leaves_a_failed_sms_on_the_order_once(hooks, stack):
    hooks.activate("order_fulfilled")
    fabrikam = reference("account", seed.FABRIKAM_ID, "Fabrikam SARL")
    apply_target(stack, "salesorder", seed.ORDER_FABRIKAM_ID, status(3, 100001))
    for _ in range(2):
        outcomes = hooks.deliver("Update", "salesorder", seed.ORDER_FABRIKAM_ID, status(3, 100001),
                                 pre=order_image(1, 2, fabrikam, "ORD-1003", 15))
    assert [o.outcome for o in outcomes] == ["already-handled"] and hooks.sends() == []
    [activity] = hooks.activities()
    assert activity["smsc_status"] == 8 and "Fabrikam SARL (account) n'a pas de primarycontactid" in activity["smsc_error"]
    assert activity["_regardingobjectid_value"] == seed.ORDER_FABRIKAM_ID


def test_a_refused_send_keeps_its_key_so_the_redelivery_adds_no_activity(hooks, stack):
    hooks.activate("contact_created")
    target = {"firstname": "Marc", "lastname": "Petit", "mobilephone": "12345"}
    first = hooks.deliver("Create", "contact", seed.MARC_PETIT_ID, target)
    again = hooks.deliver("Create", "contact", seed.MARC_PETIT_ID, target)
    assert [o.outcome for o in first + again] == ["failed", "already-handled"]
    [activity] = hooks.activities()
    assert activity["smsc_status"] == 8 and activity["smsc_idempotencykey"].endswith(":create:steps[0].then[0]")


def test_missing_columns_are_read_from_the_record_when_the_step_has_no_image(hooks, stack):
    hooks.activate("order_fulfilled")
    apply_target(stack, "salesorder", seed.ORDER_SMITH_ID, status(3, 100001))
    [outcome] = hooks.deliver("Update", "salesorder", seed.ORDER_SMITH_ID, status(3, 100001),
                              pre={**status(1, 2)})
    assert outcome.outcome == "sent"
    assert hooks.sends() == [(SMITH_MOBILE, "Votre commande no ORD-1002 d'un montant de 89,90 € a été validée")]


def test_an_invalid_active_definition_is_reported_and_the_others_still_run(hooks, stack):
    broken = hooks.activate("broken", yaml="name: Cassé\nentity: salesorder\ntrigger: {event: nope}\n",
                            entity="salesorder")
    hooks.activate("order_fulfilled")
    apply_target(stack, "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001))
    outcomes = hooks.deliver("Update", "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001),
                             pre=order_image(1, 2, CONTOSO))
    invalid = next(o for o in outcomes if o.workflow_id == broken)
    assert invalid.outcome == "invalid" and "trigger.event" in invalid.detail
    assert [o.outcome for o in outcomes if o.workflow_id != broken] == ["sent"] and len(hooks.sends()) == 1


def test_the_webhook_steps_the_active_workflows_need(hooks):
    for name in ("order_fulfilled", "order_cancelled", "case_created", "contact_inactive_90_days"):
        hooks.activate(name)
    assert required_steps(hooks.repositories) == [
        StepRegistration("incident", "Create", (), ()),
        StepRegistration("salesorder", "Update", ("statecode", "statuscode"),
                         ("customerid", "ordernumber", "statecode", "statuscode", "totalamount")),
    ]


def test_the_90_day_reminder_sends_once_per_contact_however_often_the_timer_runs(hooks, stack, stop_appended):
    hooks.activate("contact_inactive_90_days")
    now = datetime.now(timezone.utc)
    reports = [run_scheduled(hooks.repositories, hooks.services.sms, now + timedelta(hours=h)) for h in range(3)]

    assert [(r.matched, r.sent_before, [o.outcome for o in r.outcomes]) for [r] in reports] == [
        (1, 0, ["sent"]), (1, 1, []), (1, 1, [])]
    assert hooks.sends() == [(PARKER_MOBILE, "Nous constatons que vous ne nous avez pas rendu visite depuis "
                                             "longtemps. Vous nous manquez !!!\nSTOP au 30101")]
    [activity] = hooks.activities()
    assert activity["_regardingobjectid_value"] == seed.PETER_PARKER_ID and activity["smsc_smstype"] == 1
    queries = [r.query.get("$filter", "") for r in stack.dataverse.requests if r.path.endswith("/contacts")]
    assert queries and all("createdon le " in q and "mobilephone ne null" in q for q in queries)

    # A period later Peter is reminded again (and by then every seeded contact is 91 days old too).
    [later] = run_scheduled(hooks.repositories, hooks.services.sms, now + timedelta(days=91))
    assert [o.outcome for o in later.outcomes if o.record_id == seed.PETER_PARKER_ID] == ["sent"]
    assert [number for number, _ in hooks.sends()].count(PARKER_MOBILE) == 2


def test_two_timer_runs_in_the_same_period_send_once_even_without_the_recent_check(hooks, stack, stop_appended,
                                                                                   monkeypatch):
    hooks.activate("contact_inactive_90_days")
    monkeypatch.setattr("workflows.scheduler.recently_sent", lambda *args: set())
    now = datetime.now(timezone.utc)
    first, second = (run_scheduled(hooks.repositories, hooks.services.sms, now)[0] for _ in range(2))
    assert [o.outcome for o in first.outcomes + second.outcomes] == ["sent", "already-handled"]


def test_dry_run_shows_what_would_go_and_sends_and_writes_nothing(hooks, crm, stack):
    apply_target(stack, "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001))
    stack.dataverse.requests.clear()
    yaml = (BUILTIN_DIR / "order_fulfilled.yaml").read_text(encoding="utf-8")

    report = dry_run(hooks.repositories, yaml, "salesorder", seed.ORDER_CONTOSO_ID)

    assert report["valid"] and report["trigger"] == {"event": "status_change", "matched": True}
    assert report["conditions"] == [{"path": "steps[0].if", "matched": True}]
    [sms] = report["sms"]
    assert sms["recipient"]["id"] == seed.DAVID_SMITH_ID and sms["phone_number"] == SMITH_MOBILE
    assert sms["text"] == "Votre commande no ORD-1001 d'un montant de 1 250,50 € a été validée"
    assert stack.octopush.sends == [] and crm.writes() == []


def test_a_merge_field_the_table_lacks_is_read_with_the_whole_row_and_prints_empty(hooks, stack):
    hooks.activate("custom", entity="salesorder", yaml=(
        "name: Suivi\nentity: salesorder\ntrigger: {event: status_change, to: {statecode: 3}}\nsteps:\n"
        "  - send_sms: {recipient: customerid, text: 'Commande {{ ordernumber }} suivi {{ new_tracking }}.'}\n"))
    apply_target(stack, "salesorder", seed.ORDER_SMITH_ID, status(3, 100001))
    [outcome] = hooks.deliver("Update", "salesorder", seed.ORDER_SMITH_ID, status(3, 100001), pre=status(1, 2))
    assert outcome.outcome == "sent" and hooks.sends() == [(SMITH_MOBILE, "Commande ORD-1002 suivi .")]


def test_a_schedule_on_a_table_the_connector_does_not_know_fails_alone(hooks, stack, stop_appended):
    hooks.activate("custom", entity="new_membership", yaml=(
        "name: Adhésion\nentity: new_membership\ntrigger:\n  event: schedule\n  period_days: 30\n"
        "  query: {column: createdon, operator: older_than, value: 30}\n"
        "steps:\n  - send_sms: {recipient: new_contactid, text: Bonjour}\n"))
    hooks.activate("contact_inactive_90_days")
    reports = run_scheduled(hooks.repositories, hooks.services.sms, datetime.now(timezone.utc))
    assert {r.workflow: [o.outcome for o in r.outcomes] for r in reports} == {
        "custom": ["failed"], "contact_inactive_90_days": ["sent"]}
    custom = next(r for r in reports if r.workflow == "custom")
    assert "unknown table 'new_membership'" in custom.outcomes[0].detail


def test_a_builtin_fires_through_the_real_webhook_route_once(hooks, stack):
    from functions.local_host import invoke

    hooks.activate("order_fulfilled")
    apply_target(stack, "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001))
    body = remote_execution_context("Update", "salesorder", seed.ORDER_CONTOSO_ID, user_id=seed.CLAIRE_MARTIN_ID,
                                    attributes=status(3, 100001), pre_image=order_image(1, 2, CONTOSO))
    headers = webhook_headers("Update", "salesorder", stack.webhook_key)
    first = invoke("POST", "dataverse/events", body=body, headers=headers)
    again = invoke("POST", "dataverse/events", body=body, headers=headers)
    assert first.status == 200 and first.json()["handled"] == "workflows"
    assert again.status == 200
    assert hooks.sends() == [(SMITH_MOBILE, "Votre commande no ORD-1001 d'un montant de 1 250,50 € a été validée")]


def account_reads(stack) -> list[str]:
    """The `$select` of each read of an account, in order."""
    return [r.query.get("$select", "") for r in stack.dataverse.requests if r.path.endswith(f"accounts({seed.CONTOSO_ID})")]


def test_a_related_records_choice_merges_as_its_label_read_once_with_the_hop(hooks, stack):
    apply_target(stack, "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001))
    yaml = ("name: Suivi\nentity: salesorder\ntrigger: {event: status_change, to: {statecode: 3}}\nsteps:\n"
            "  - send_sms: {recipient: customerid.primarycontactid, text: "
            "'{{ customerid.name }} ({{ customerid.statecode }}, {{ customerid.telephone1 }})'}\n")
    stack.dataverse.requests.clear()
    [sms] = dry_run(hooks.repositories, yaml, "salesorder", seed.ORDER_CONTOSO_ID)["sms"]
    assert sms["recipient"]["id"] == seed.DAVID_SMITH_ID and sms["text"].startswith("Contoso SA (Active, +33140000000)")
    assert account_reads(stack) == ["_primarycontactid_value", "statecode,telephone1"]


def test_a_hop_that_is_no_lookup_and_a_related_column_the_table_lacks_are_told_apart(hooks, stack):
    hooks.activate("custom", entity="salesorder", yaml=(
        "name: Suivi\nentity: salesorder\ntrigger: {event: status_change, to: {statecode: 3}}\nsteps:\n"
        "  - send_sms: {recipient: customerid.telephone1, text: Bonjour}\n"
        "  - send_sms: {recipient: customerid.primarycontactid, text: 'Niveau {{ customerid.new_tier }}.'}\n"))
    apply_target(stack, "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001))
    stack.dataverse.requests.clear()
    no_lookup, sent = hooks.deliver("Update", "salesorder", seed.ORDER_CONTOSO_ID, status(3, 100001),
                                    pre=order_image(1, 2, CONTOSO))
    assert no_lookup.outcome == "failed" and no_lookup.detail == "La table account n'a pas de recherche « telephone1 »."
    assert sent.outcome == "sent" and hooks.sends() == [(SMITH_MOBILE, "Niveau .")]
    # One read per hop or related record: a refused column is not followed by a read of the whole row.
    assert account_reads(stack) == ["_telephone1_value", "_primarycontactid_value", "new_tier"]


def test_a_scheduled_sms_that_failed_is_sent_by_the_next_run_once_the_admin_fixed_the_configuration(hooks, stack,
                                                                                                   capsys):
    from smsc.cli import main

    crm_configuration._cache.clear()
    hooks.activate("contact_inactive_90_days")
    assert main(["workflows", "run-scheduled"]) == 1                 # the command says why it failed
    out = capsys.readouterr().out
    assert f"  failed for {seed.PETER_PARKER_ID}: " in out and "STOP au 30101" in out
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_appendstop": True})
    crm_configuration._cache.clear()
    [retried] = run_scheduled(hooks.repositories, hooks.services.sms, datetime.now(timezone.utc) + timedelta(hours=1))
    assert (retried.sent_before, [o.outcome for o in retried.outcomes]) == (0, ["sent"])
    [activity] = hooks.activities()                     # the same activity, asked again, now Sent
    assert activity["smsc_status"] == 5 and activity["smsc_error"] is None
    assert [number for number, _ in hooks.sends()] == [PARKER_MOBILE]
    crm_configuration._cache.clear()
