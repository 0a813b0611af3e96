"""Quotas on the emulators: the `smsc_quota` table through its `smsc_userid` lookup, the month's
consumption as one aggregate FetchXML, a Block quota refusing a unit SMS (nothing reaches Octopush),
a Warn quota letting it go with the warning, a campaign over its quota refused at validate, the
consumption route and `smsc quotas`."""
from connector.bootstrap import campaign_service, get_services
from connector.campaigns.model import CampaignAction
from emulators import dataverse_seed as seed
from functions.local_host import invoke
from smsc.cli import main

SMITH = ("contact", seed.DAVID_SMITH_ID)
TWO_SMS = "Votre commande est arrivee. " * 7          # 195 GSM-7 characters: 2 SMS


def claires_sms(crm, text: str) -> str:
    """An SMS Claire writes on her form: she owns it (the emulator's insert is the app's otherwise)."""
    return crm.new_sms(SMITH, text=text, **{"ownerid@odata.bind": f"/systemusers({seed.CLAIRE_MARTIN_ID})"})


def quotas_on(stack) -> None:
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_quotasenabled": True})


def quota(stack, user: str | None, *, mode: int = 2, enforcement: int = 2, **limits) -> str:
    body = {"smsc_name": f"Quota {user or 'default'}", "smsc_mode": mode, "smsc_enforcement": enforcement,
            **{"smsc_" + name.replace("_", ""): value for name, value in limits.items()}}
    if user:
        body["smsc_UserId@odata.bind"] = f"/systemusers({user})"
    return stack.dataverse.insert("smsc_quotas", body)


def aggregates(stack) -> list:
    return [r for r in stack.dataverse.requests if "smsc_segments" in r.query.get("fetchXml", "")]


def test_the_quota_lookup_and_the_month_aggregate_read_back_what_was_written(stack):
    from connector.bootstrap import quotas
    from connector.quotas import Enforcement, QuotaMode, Usage, month_window

    quota(stack, seed.CLAIRE_MARTIN_ID, per_month_sms=5)
    quota(stack, None, mode=2, enforcement=1, per_send_sms=3)
    repository = quotas(get_services().crm)
    own, default = repository.rows_for(seed.CLAIRE_MARTIN_ID)
    assert own is not None and own.user_id == seed.CLAIRE_MARTIN_ID and own.limits.per_month_sms == 5
    assert own.mode == QuotaMode.SPECIFIC and own.enforcement == Enforcement.BLOCK
    assert default is not None and default.user_id is None and default.enforcement == Enforcement.WARN
    assert repository.rows_for(seed.JOHN_BAKER_ID)[0] is None

    # The month's aggregate: Claire's SMS that went this month, in Paris time; not last month's, not a
    # failed one, not John's.
    from datetime import datetime, timezone

    from emulators.dataverse_seed_hooks import backdate

    def sent(owner: str, segments: int, status: int = 5) -> str:
        return stack.dataverse.insert("smsc_textmessages", {
            "subject": "SMS", "smsc_status": status, "smsc_segments": segments,
            "ownerid@odata.bind": f"/systemusers({owner})"})

    now = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    for segments in (1, 2, 3):
        backdate(stack.dataverse, "smsc_textmessages", sent(seed.CLAIRE_MARTIN_ID, segments), now)
    backdate(stack.dataverse, "smsc_textmessages", sent(seed.CLAIRE_MARTIN_ID, 5, status=8), now)
    backdate(stack.dataverse, "smsc_textmessages", sent(seed.JOHN_BAKER_ID, 7), now)
    # 31 October 23:30 UTC is 1 November in Paris: November's; 22:30 UTC is still October's.
    backdate(stack.dataverse, "smsc_textmessages", sent(seed.CLAIRE_MARTIN_ID, 10),
             datetime(2026, 10, 31, 23, 30, tzinfo=timezone.utc))
    backdate(stack.dataverse, "smsc_textmessages", sent(seed.CLAIRE_MARTIN_ID, 100),
             datetime(2026, 10, 31, 22, 30, tzinfo=timezone.utc))
    # A workflow's SMS count against the workflow's owner (John), whoever created the activity.
    workflow = stack.dataverse.insert("smsc_workflows", {"smsc_name": "Relance", "smsc_active": True,
                                                         "ownerid@odata.bind": f"/systemusers({seed.JOHN_BAKER_ID})"})
    for owner in (seed.APP_USER_ID, seed.CLAIRE_MARTIN_ID):
        sms_id = stack.dataverse.insert("smsc_textmessages", {
            "subject": "SMS", "smsc_status": 6, "smsc_segments": 4,
            "smsc_WorkflowId@odata.bind": f"/smsc_workflows({workflow})", "ownerid@odata.bind": f"/systemusers({owner})"})
        backdate(stack.dataverse, "smsc_textmessages", sms_id, now)
    november = month_window(now)
    before = len(aggregates(stack))
    assert repository.month_usage(seed.CLAIRE_MARTIN_ID, *november) == Usage(16, 4)
    assert repository.month_usage(seed.JOHN_BAKER_ID, *november) == Usage(15, 3)
    assert len(aggregates(stack)) - before == 2          # one aggregate per check
    assert repository.usage_by_user(*november) == {seed.CLAIRE_MARTIN_ID: Usage(16, 4),
                                                   seed.JOHN_BAKER_ID: Usage(15, 3)}


def test_a_block_quota_refuses_a_unit_sms_with_the_reason_and_nothing_reaches_octopush(crm, stack):
    quotas_on(stack)
    quota(stack, seed.CLAIRE_MARTIN_ID, per_send_sms=1)
    activity_id = claires_sms(crm, TWO_SMS)
    response = crm.webhook(activity_id)

    assert response.json()["outcome"] == "failed" and stack.octopush.sends == []
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 8
    assert activity["smsc_error"] == "Envoi refusé, contingentement dépassé : 2 SMS dans cet envoi pour 1 autorisés " \
                                     "par envoi."


def test_the_monthly_quota_counts_the_users_sent_sms_with_one_aggregate(crm, stack):
    quotas_on(stack)
    quota(stack, seed.CLAIRE_MARTIN_ID, per_month_sms=3)
    first = claires_sms(crm, TWO_SMS)
    assert crm.webhook(first).json()["outcome"] == "sent"         # 2 SMS: within 3
    before = len(aggregates(stack))
    second = crm.webhook(claires_sms(crm, TWO_SMS)).json()  # 2 + 2 = 4 > 3
    assert second["outcome"] == "failed" and "4 SMS ce mois-ci" in second["error"]
    assert len(aggregates(stack)) - before == 1 and len(stack.octopush.sends) == 1
    third = crm.webhook(claires_sms(crm, "Court.")).json()     # 2 + 1 = 3: exactly at the limit
    assert third["outcome"] == "sent"


def test_a_warn_quota_lets_the_sms_go_with_the_warning_on_the_activity(crm, stack):
    quotas_on(stack)
    quota(stack, None, enforcement=1, per_send_sms=1)        # the default row: Claire has none of her own
    activity_id = claires_sms(crm, TWO_SMS)
    assert crm.webhook(activity_id).json()["outcome"] == "sent" and len(stack.octopush.sends) == 1
    activity = crm.activity(activity_id)
    assert activity["smsc_status"] == 5
    assert activity["smsc_error"].startswith("Attention, contingentement dépassé : 2 SMS dans cet envoi")


def test_a_campaign_over_a_per_send_quota_is_refused_at_validate_and_says_so(stack):
    quotas_on(stack)
    quota(stack, seed.JOHN_BAKER_ID, per_send_recipients=2)
    stack.dataverse.update("campaigns", seed.CAMPAIGN_ORDERS_ID, {"smsc_text": "Promo STOP au 30101"})
    services = get_services()
    service = campaign_service(services.crm, services.sms, user_id=seed.JOHN_BAKER_ID)
    prepared = service.run(seed.CAMPAIGN_ORDERS_ID, CampaignAction.PREPARE, seed.JOHN_BAKER_ID)
    assert prepared.summary == ("3 recipients. 0 errors. The send will be refused, quota exceeded: 3 recipients "
                                "in this send, 2 allowed per send.")
    refused = service.run(seed.CAMPAIGN_ORDERS_ID, CampaignAction.VALIDATE, seed.JOHN_BAKER_ID)
    assert not refused.ok and stack.octopush.sends == []
    row = stack.dataverse.get("campaigns", seed.CAMPAIGN_ORDERS_ID)
    assert row["smsc_lastresult"] == "Send refused, quota exceeded: 3 recipients in this send, 2 allowed per send."
    assert row["smsc_smsstatus"] == 3        # still Ready to send


def test_the_consumption_route_and_the_cli_show_each_users_use(crm, stack, capsys):
    quotas_on(stack)
    quota(stack, None, per_month_sms=10, per_month_recipients=4)
    quota(stack, seed.JOHN_BAKER_ID, mode=4)
    crm.webhook(claires_sms(crm, TWO_SMS))
    crm.webhook(claires_sms(crm, "Court."))
    crm.webhook(claires_sms(crm, "Jamais envoyé."), key="nope-nope-nope-nope")     # refused: not counted

    headers = {"x-smsc-webhook-key": stack.webhook_key}
    response = invoke("GET", "quotas/consumption", headers=headers)
    assert response.status == 200
    view = response.json()
    assert view["quotas_enabled"] is True and view["time_zone"] == "Europe/Paris"
    by_id = {u["id"]: u for u in view["users"]}
    claire = by_id[seed.CLAIRE_MARTIN_ID]
    assert claire["name"] == "Claire Martin" and claire["mode"] == "specific" and claire["quota"] == "default"
    assert claire["used"] == {"sms": 3, "recipients": 2} and claire["remaining"] == {"sms": 7, "recipients": 2}
    assert by_id[seed.JOHN_BAKER_ID]["mode"] == "unlimited" and by_id[seed.JOHN_BAKER_ID]["used"]["sms"] == 0
    assert invoke("GET", "quotas/consumption", headers={"x-smsc-webhook-key": "nope-nope-nope-nope"}).status == 401

    assert main(["quotas"]) == 0
    out = capsys.readouterr().out
    assert "Claire Martin" in out and "3 / 2" in out and "7 / 2" in out and "unlimited" in out
    assert main(["quotas", "--json"]) == 0
    assert '"sms": 3' in capsys.readouterr().out
