"""`smsc demo`: the connector's story on the local emulators, through the real webhook handler.

On the chosen provider's emulator (`--provider octopush|smsmode|acs`, `ProviderView`): a unit SMS sent
from a record; more cases; scheduled SMS held by the connector, one cancelled from the
record and one released by the timer's core at its minute (the minute injected: nothing waits); the
product guide's campaign; a campaign validated in parts, its progress on the campaign; a deferred
campaign cancelled before its start; and the loop back from the provider. What a provider cannot do
(its capabilities) is told as such, never failed.

`call` is the way the Functions host calls a route (functions.local_host.invoke), injected by the
CLI so this module stays free of Azure Functions. Every step checks that it went as told; `run`
answers the steps that did not (the CLI exits non-zero on any). Run twice on the same `--db`, it
tells the same story: its campaign is a new one each run.
"""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from emulators import dataverse_seed as seed
from emulators.stack import LocalStack
from emulators.webhook_bodies import option, remote_execution_context, webhook_headers

SHOWN = ("subject", "description", "smsc_status", "smsc_phonenumber", "smsc_smstype", "smsc_sender",
         "smsc_encoding", "smsc_segments", "smsc_cost", "smsc_providermessageid", "smsc_error",
         "scheduledend", "actualend")
# The CRM's choice labels (DESIGN §4), shown beside the stored codes as a form shows them.
LABELS = {
    "smsc_status": {1: "Draft", 2: "Send requested", 3: "Sending", 4: "Scheduled", 5: "Sent", 6: "Delivered",
                    7: "Undeliverable", 8: "Failed", 9: "Cancelled", 10: "Received"},
    "smsc_smstype": {1: "Marketing", 2: "Transactional"},
    "smsc_encoding": {1: "GSM-7", 2: "UCS-2"},
    "smsc_direction": {1: "Outgoing", 2: "Incoming"},
    "smsc_reason": {1: "STOP", 2: "Undeliverable", 3: "Manual"},
}
STATUS = LABELS["smsc_status"]


def label(column: str, value) -> str:
    """A column's value as a user reads it: the choice's label with its code, never a Python repr."""
    if value is None:
        return ""
    if column in LABELS:
        return f"{LABELS[column].get(value, '?')} ({value})"
    return str(value)


def _wire(moment: datetime) -> str:
    """A date and time as the Web API writes it (UTC, seconds)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Clock:
    """The demo's time for what would otherwise be waited for (a deferred start)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class ProviderView:
    """What the demo reads of the provider's emulator, the same whichever it is: what it received (ids,
    numbers, requests) and how the served app is told to it. The only place the demo names providers."""

    def __init__(self, stack: LocalStack):
        self.stack, self.name = stack, stack.provider
        self.emulator = stack.sms

    @property
    def url(self) -> str:
        return {"octopush": f"{self.stack.octopush_url}/v1/public", "smsmode": f"{self.stack.smsmode_url}/sms/v1",
                "acs": f"{self.stack.acs_url}/sms"}[self.name]

    def sends(self) -> list[dict]:
        """One row per send it took: (its id, the numbers, the text, the sender)."""
        if self.name == "octopush":
            return [{"id": s["ticket"], "numbers": list(s["numbers"]), "text": s["body"].get("text", ""),
                     "sender": s["body"].get("sender") or ""} for s in self.emulator.sends]
        if self.name == "smsmode":
            return [{"id": s["messageId"], "numbers": ["+" + s["number"]], "text": s["text"],
                     "sender": s["body"].get("from") or ""} for s in self.emulator.sends]
        return [{"id": s["messageId"], "numbers": [s["to"]], "text": s["message"], "sender": s["from"]}
                for s in self.emulator.sends]

    def answerable(self) -> bool:
        """The last send lets its recipient answer (Octopush: with_replies; smsmode: a reply URL; ACS: its
        own number as sender)."""
        last = self.emulator.sends[-1]
        if self.name == "octopush":
            return last["body"].get("with_replies") is True
        if self.name == "smsmode":
            return bool(last["body"].get("callbackUrlMo"))
        return last["from"].startswith("+")

    def numbers(self, since: int = 0) -> list[str]:
        return [n for s in self.sends()[since:] for n in s["numbers"]]

    def send_requests(self) -> int:
        path = {"octopush": "sms-campaign/send", "smsmode": "/sms/v1/messages", "acs": "/sms"}[self.name]
        return len([r for r in self.emulator.requests if r.method == "POST" and r.path.endswith(path)])


def fields(answer: dict) -> str:
    """A JSON answer as `name=value` pairs (no Python dict repr)."""
    return " ".join(f"{name}={value}" for name, value in answer.items())


class Demo:
    def __init__(self, stack: LocalStack, call, console: Console | None = None, output: Path | None = None):
        self.stack, self.call = stack, call
        # Wide enough for full paths and ids: the CRM requests table is what a developer reads.
        self.console = console or Console(highlight=False, width=max(Console().width, 200), soft_wrap=True)
        self.key = stack.webhook_key
        self.provider = ProviderView(stack)
        self.output = output or Path("smsc-demo-output")
        self.failures: list[str] = []
        self.replies_shown: set[str] = {r["activityid"] for r in stack.dataverse.rows("smsc_textmessages")
                                        if r.get("smsc_direction") == 2}     # a kept database's earlier runs

    def expect(self, condition: bool, step: str) -> None:
        """A step that did not go as told is said at once and makes the demo fail."""
        if not condition:
            self.failures.append(step)
            self.console.print(f"[bold red]NOT AS EXPECTED:[/] {step}")

    def run(self) -> list[str]:
        c = self.console
        from connector.bootstrap import get_services

        self.sms = get_services().sms
        self.label, self.capabilities = self.sms.label, self.sms.capabilities
        c.rule(f"[bold]smsc demo: a unit SMS from a CRM record, on the local emulators ({self.label})")
        c.print(f"Dataverse Web API emulator: {self.stack.dataverse_url}/api/data/v9.2/\n"
                f"{self.label} emulator: {self.provider.url}\n")
        preview = self.preview()
        activity_id = self.create_sms(("contact", seed.DAVID_SMITH_ID), template=seed.TEMPLATE_ORDER_ID)
        self.show_activity("The SMS activity as the user saved it (Send requested)", activity_id)
        first = self.deliver(activity_id, "Dataverse calls the webhook")
        again = self.deliver(activity_id, "Dataverse delivers the same event again")
        self.expect(first.get("handled") == "unit-sms:sent", "the first webhook call sends the SMS")
        self.expect(again.get("handled") == "unit-sms:nothing-to-do", "the same event again sends nothing")
        sent = self.show_activity("The SMS activity after the send", activity_id)
        self.expect(sent.get("smsc_status") == 5 and sent.get("description") == preview.get("text"),
                    "the SMS is Sent with the text the preview showed")
        self.show_provider()
        self.expect(self.provider.numbers() == ["+33649819006"], f"{self.label} received exactly one send")
        self.show_crm_requests()
        self.more_cases()
        self.schedules()
        self.campaign()
        self.campaign_in_parts()
        self.deferred_campaign_cancelled()
        self.loop_back()
        credit = self.call("GET", "credit", headers=self.headers()).json()
        if self.capabilities.balance:
            c.print(f"\n{self.label} credit left: {credit.get('amount')} {credit.get('unit')}")
            self.expect(credit.get("amount") is not None, "GET /api/credit shows the credit left")
        else:
            c.print(f"\n{self.label} has no balance to show: GET /api/credit -> {credit.get('reason')}")
            self.expect(credit.get("balance", "") is None, "GET /api/credit says there is no balance to show")
        c.rule("[bold green]done" if not self.failures else f"[bold red]{len(self.failures)} step(s) not as expected")
        return self.failures

    def headers(self) -> dict:
        return {"x-smsc-webhook-key": self.key}

    def preview(self) -> dict:
        """What the SMS form shows before sending: the same template and record as the send below."""
        body = {"templateid": seed.TEMPLATE_ORDER_ID, "userid": seed.CLAIRE_MARTIN_ID,
                "regarding": {"entity": "contact", "id": seed.DAVID_SMITH_ID}}
        answer = self.call("POST", "textmessages/preview", body=body, headers=self.headers()).json()
        table = Table(title="POST /api/textmessages/preview: template 'Confirmation de commande' on David Smith",
                      show_header=False, title_justify="left")
        for name in ("text", "encoding", "segments", "characters", "remaining", "cost"):
            table.add_row(name, "" if answer.get(name) is None else str(answer[name]))
        table.add_row("warnings", "; ".join(answer.get("warnings") or []) or "none")
        self.console.print(table)
        self.expect(bool(answer.get("text")), "the preview shows the text really sent")
        return answer

    def create_sms(self, to: tuple[str, str], *, text: str = "", template: str | None = None, **columns) -> str:
        """What the form does: an SMS activity regarding the record, To = the record, Send requested."""
        table, record_id = to
        body = {"subject": "SMS", "description": text, "smsc_status": 2, **columns,
                f"regardingobjectid_{table}_smsc_textmessage@odata.bind": f"/{table}s({record_id})",
                "smsc_textmessage_activity_parties": [
                    {"participationtypemask": 2, f"partyid_{table}@odata.bind": f"/{table}s({record_id})"}]}
        if template:
            body["smsc_TemplateId@odata.bind"] = f"/smsc_smstemplates({template})"
        return self.stack.dataverse.insert("smsc_textmessages", body)

    def record_named(self, row_id: str | None) -> str:
        for entity_set, name in (("contacts", "fullname"), ("accounts", "name"), ("leads", "fullname")):
            found = self.stack.dataverse.rows(entity_set, f"{entity_set[:-1]}id eq {row_id}") if row_id else []
            if found:
                return f"the {entity_set[:-1]} {found[0][name]}"
        return "no record"

    def deliver(self, activity_id: str, title: str) -> dict:
        event = remote_execution_context("Create", "smsc_textmessage", activity_id, user_id=seed.CLAIRE_MARTIN_ID,
                                         attributes={"smsc_status": option(2)})
        headers = webhook_headers("Create", "smsc_textmessage", self.key)
        answer = self.call("POST", "dataverse/events", body=event, headers=headers)
        self.console.print(f"[bold]{title}[/]: POST /api/dataverse/events -> {answer.status} {fields(answer.json())}")
        return answer.json()

    def show_activity(self, title: str, activity_id: str) -> dict:
        row = self.stack.dataverse.get("smsc_textmessages", activity_id)
        table = Table(title=title, show_header=False, title_justify="left")
        for column in SHOWN:
            table.add_row(column, label(column, row.get(column)))
        self.console.print(table)
        return row

    def show_provider(self) -> None:
        sends = self.provider.sends()
        table = Table(title=f"What {self.label} received ({len(sends)} send)", title_justify="left")
        for name in ("id", "numbers", "text", "sender"):
            table.add_column(name, overflow="fold")
        for s in sends:
            table.add_row(s["id"], " ".join(s["numbers"]), s["text"], s["sender"])
        self.console.print(table)

    def show_crm_requests(self) -> None:
        table = Table(title="What Dataverse received from the connector", title_justify="left")
        for name in ("method", "path", "If-Match", "CallerObjectId"):
            table.add_column(name, overflow="fold", no_wrap=False)
        for r in self.stack.dataverse.requests:
            table.add_row(r.method, r.path.removeprefix("/api/data/v9.2/"), r.headers.get("if-match", ""),
                          r.headers.get("callerobjectid", ""))
        self.console.print(table)

    def campaign(self) -> None:
        """The product guide's campaign example, run as `smsc campaign ...` runs it."""
        from connector.bootstrap import campaign_service, get_services
        from connector.campaigns.model import CampaignAction

        services = get_services()
        service = campaign_service(services.crm, services.sms)
        dv = self.stack.dataverse
        # A new campaign each run, on the guide's list: the same story on a database kept from a run before.
        campaign_id = dv.insert("campaigns", {
            "name": f"Confirmation commandes ({datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S})",
            "smsc_recipienttype": 2, "smsc_text": seed.ORDER_CAMPAIGN_TEXT, "smsc_smstype": 1, "smsc_smsstatus": 1})
        dv.associate("campaigns", campaign_id, "campaignlist_association", "lists", seed.LIST_MARKETING_CONTACTS_ID)
        self.console.rule("[bold]A campaign: the product guide's example (3 contacts, no STOP mention)")
        result = service.run(campaign_id, CampaignAction.SIMULATE, seed.JOHN_BAKER_ID)
        self.console.print(f"simulate -> {result.summary}")
        self.expect(result.summary == "3 recipients. 3 errors.", "the simulation finds the 3 missing STOP mentions")
        report = self._report(campaign_id, ".csv")
        self.console.print(Panel(report, title="resume.csv (note on the campaign)"))
        dv.update("campaigns", campaign_id, {"smsc_text": seed.ORDER_CAMPAIGN_TEXT + " STOP au 30101"})
        self.refused_campaign(service, campaign_id)
        sends_before, requests_before = len(self.provider.sends()), self.provider.send_requests()
        for action in (CampaignAction.SIMULATE, CampaignAction.PREPARE, CampaignAction.VALIDATE):
            result = service.run(campaign_id, action, seed.JOHN_BAKER_ID)
            if action == CampaignAction.VALIDATE and result.ok:     # its parts, from the in-process queue
                from smsc.campaign_parts import release_local_parts
                result = release_local_parts(services, campaign_id) or result
            self.console.print(f"{action.name.lower()} (with the mention) -> {result.summary}")
            self.expect(result.ok, f"{action.name.lower()} with the mention succeeds")
        activities = dv.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")
        numbers, requests = self.provider.numbers(sends_before), self.provider.send_requests() - requests_before
        # Three different texts: one request where the provider merges them itself, else one per text.
        merges = self.capabilities.placeholders and self.capabilities.recipients_per_request >= 3
        wanted = 1 if merges else 3
        self.console.print(f"{len(activities)} SMS activities on the recipients; {self.label} got {requests} "
                           f"request(s) for {len(numbers)} numbers: « {self.provider.sends()[-1]['text']} »")
        self.expect(len(activities) == 3 and sorted(numbers) == sorted(set(numbers)) and len(numbers) == 3
                    and requests == wanted, f"3 SMS activities, {wanted} request(s) for 3 numbers")
        self.save_reports(campaign_id)

    def refused_campaign(self, service, campaign_id: str) -> None:
        """Where the provider cannot carry the campaign as it is (ACS: marketing SMS to France from an
        alphanumeric sender), the simulation refuses each recipient with the reason, and the campaign
        goes as transactional instead."""
        from connector.bootstrap import get_services
        from connector.campaigns.model import CampaignAction
        from connector.crm.configuration import DataverseConfiguration
        from connector.sms.port import SmsType
        from connector.user_texts import say

        sender = DataverseConfiguration(get_services().crm).get().campaign.default_sender or None
        refusal = self.capabilities.refusal(SmsType.MARKETING, "+33649819006", sender)
        if refusal is None:
            return
        reason = say("fr", refusal.key, provider=self.label, **refusal.values)     # a report detail: French
        self.console.print(f"{self.label} cannot send this marketing campaign to France from « {sender} »:")
        result = service.run(campaign_id, CampaignAction.SIMULATE, seed.JOHN_BAKER_ID)
        report = self._report(campaign_id, ".csv")
        self.console.print(f"simulate -> {result.summary}")
        self.console.print(Panel(report, title="resume.csv: refused before anything is sent"))
        self.expect(result.summary == "3 recipients. 3 errors." and report.count(reason) == 3,
                    "the simulation refuses each recipient, saying why")
        self.stack.dataverse.update("campaigns", campaign_id, {"smsc_smstype": 2})
        self.console.print("The campaign is not commercial: it goes as transactional.")

    def transactional_where_refused(self, campaign_id: str) -> None:
        """A marketing campaign of French numbers the provider cannot carry goes as transactional (told)."""
        from connector.bootstrap import get_services
        from connector.crm.configuration import DataverseConfiguration
        from connector.sms.port import SmsType

        sender = DataverseConfiguration(get_services().crm).get().campaign.default_sender or None
        if self.capabilities.refusal(SmsType.MARKETING, "+33610000000", sender) is not None:
            self.stack.dataverse.update("campaigns", campaign_id, {"smsc_smstype": 2})
            self.console.print(f"{self.label} cannot send marketing SMS to France from « {sender} »: "
                               "this campaign goes as transactional.")

    def loop_back(self) -> None:
        """What comes back from the provider: delivery reports, a reply, a STOP — posted by the provider's
        emulator over HTTP to the function app's provider routes, served here on loopback."""
        from connector.crm.configuration import forget_configuration
        from smsc.serve import BackgroundServer, FunctionHost, connect_provider

        c, dv, sms = self.console, self.stack.dataverse, self.provider.emulator
        c.rule("[bold]The loop back: delivery reports, a reply and a STOP from the provider")
        with BackgroundServer(FunctionHost(self.call)) as app:
            c.print(f"The app at {app.url}, {connect_provider(self.stack, app.url)}")
            # Replies need a sender a phone can answer: the admin leaves the sender name empty.
            config = dv.rows("smsc_configurations")[0]
            dv.update("smsc_configurations", config["smsc_configurationid"], {"smsc_unitdefaultsender": None})
            forget_configuration()
            sms.set_outcomes(hold=True, failed_numbers=["+33600000002"])
            delivered = self.create_sms(("contact", seed.DAVID_SMITH_ID), text="Votre rendez-vous : demain 10h.")
            failed = self.create_sms(("contact", seed.JOHN_DOE_ID), text="Votre rendez-vous : demain 11h.")
            parker = self.create_sms(("contact", seed.PETER_PARKER_ID), text="Votre rendez-vous : demain 12h.")
            for activity_id in (delivered, failed, parker):
                self.deliver(activity_id, "Dataverse calls the webhook")
            self.expect(self.provider.answerable(), "without a sender name the SMS can be answered")
            attempts = sms.flush_callbacks()
            sms.inbound("+33649819006", "Merci, à demain !")     # David Smith answers
            sms.inbound("+33600000001", "STOP")                  # Peter Parker opts out
            attempts += sms.flush_callbacks()
            table = Table(title=f"What {self.label} posted to the app", title_justify="left")
            for name in ("callback", "answer"):
                table.add_column(name)
            for a in attempts:
                table.add_row(a["kind"], str(a["status"]))
            c.print(table)
            self.expect(attempts and all(a["status"] == 200 for a in attempts), "the app accepts every callback")
            rows = {a: dv.get("smsc_textmessages", a) for a in (delivered, failed)}
            for title, activity_id in (("David Smith", delivered), ("John Doe", failed)):
                row = rows[activity_id]
                c.print(f"SMS to {title}: {label('smsc_status', row['smsc_status'])} {row.get('smsc_error') or ''}")
            self.expect(rows[delivered]["smsc_status"] == 6, "the delivery report makes David Smith's SMS Delivered")
            self.expect(rows[failed]["smsc_status"] == 7 and bool(rows[failed].get("smsc_error")),
                        "a failed report makes John Doe's SMS Undeliverable with the reason")
            replies = [r for r in dv.rows("smsc_textmessages") if r.get("smsc_direction") == 2
                       and r["activityid"] not in self.replies_shown]
            for reply in replies:
                self.replies_shown.add(reply["activityid"])
                c.print(f"Reply {label('smsc_status', reply['smsc_status'])} from {reply['smsc_phonenumber']}: "
                        f"« {reply['description']} » (on {self.record_named(reply.get('_regardingobjectid_value'))})")
            # Sent within the same second, the account's SMS (to its primary contact, David Smith) and
            # his own are equally recent: the reply may follow either conversation.
            self.expect(any(r.get("_regardingobjectid_value") in (seed.DAVID_SMITH_ID, seed.CONTOSO_ID)
                            for r in replies),
                        "David Smith's reply is an incoming SMS on the record his last SMS was about")
            optouts = [o for o in dv.rows("smsc_optouts") if o["smsc_phonenumber"] == "+33600000001"]
            c.print("Opt-outs of +33600000001: " + ", ".join(
                f"{label('smsc_reason', o['smsc_reason'])} active={o['smsc_active']}" for o in optouts))
            self.expect([(o["smsc_reason"], o["smsc_active"]) for o in optouts] == [(1, True)],
                        "Peter Parker's STOP puts his number on the opt-out list")
            refused = self.create_sms(("contact", seed.PETER_PARKER_ID), text="Une dernière offre ?")
            answer = self.deliver(refused, "An SMS to Peter Parker after his STOP")
            self.expect(answer.get("outcome") == "failed", "the next SMS to a STOP number is refused")
            sms.inbound("+33600000001", "START")
            sms.flush_callbacks()
        [optout] = [o for o in dv.rows("smsc_optouts") if o["smsc_phonenumber"] == "+33600000001"]
        c.print(f"Peter Parker answers START: his opt-out is now active={optout['smsc_active']}")
        self.expect(optout["smsc_active"] is False, "START from the same number lifts the STOP")

    # -- schedules held by the connector ---------------------------------------------------------------
    def schedules(self) -> None:
        """A due date in the future: the connector holds the SMS (the provider gets nothing) until the release
        timer takes it at its minute; until then « Annuler l'envoi » on the record stops it for good."""
        from connector.bootstrap import get_services, unit_sms_service
        from connector.unit_release import release_due_sms

        c, dv, provider = self.console, self.stack.dataverse, self.provider
        c.rule("[bold]Scheduled SMS: held by the connector until their time, cancellable until then")
        if not self.capabilities.scheduling:
            c.print(f"{self.label} cannot schedule: the connector holds the SMS itself, so the story is the same.")
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        in_an_hour, in_half_an_hour = now + timedelta(hours=1), now + timedelta(minutes=30)
        sends_before = len(provider.sends())

        cancelled = self.create_sms(("contact", seed.DAVID_SMITH_ID), text="Rappel : rendez-vous demain à 10h.",
                                    scheduledend=_wire(in_an_hour))
        answer = self.deliver(cancelled, f"The user sends an SMS due at {in_an_hour:%H:%M} UTC")
        row = dv.get("smsc_textmessages", cancelled)
        self.show_schedule("Held", row)
        self.expect(answer.get("handled") == "unit-sms:scheduled" and row["smsc_status"] == 4
                    and not row.get("smsc_providermessageid") and len(provider.sends()) == sends_before,
                    f"an SMS due later is held Scheduled, with nothing sent to {self.label}")
        # « Annuler l'envoi »: the form saves the status Cancelled; Dataverse's step posts the Update with
        # the status before in its pre-image.
        dv.update("smsc_textmessages", cancelled, {"smsc_status": 9})
        event = remote_execution_context("Update", "smsc_textmessage", cancelled, user_id=seed.CLAIRE_MARTIN_ID,
                                         attributes={"smsc_status": option(9)}, pre_image={"smsc_status": option(4)})
        answer = self.call("POST", "dataverse/events", body=event,
                           headers=webhook_headers("Update", "smsc_textmessage", self.key)).json()
        self.console.print(f"[bold]The user cancels it from the record[/] (« Annuler l'envoi »): "
                           f"POST /api/dataverse/events -> {fields(answer)}")
        row = dv.get("smsc_textmessages", cancelled)
        self.show_schedule("Cancelled", row)
        self.expect(answer.get("handled") == "unit-sms:cancelled" and row["smsc_status"] == 9
                    and len(provider.sends()) == sends_before, "the cancelled SMS is Cancelled, still nothing sent")

        released = self.create_sms(("contact", seed.JOHN_DOE_ID), text="Votre colis arrive cet après-midi.",
                                   scheduledend=_wire(in_half_an_hour))
        self.deliver(released, f"The user sends a second SMS due at {in_half_an_hour:%H:%M} UTC")
        services = get_services()
        service = unit_sms_service(services.crm, services.sms)
        # The timer function release_scheduled_sms runs release_due_sms every minute; its minute is given.
        for minute in (in_half_an_hour - timedelta(minutes=1), in_half_an_hour, in_an_hour + timedelta(minutes=1)):
            results = release_due_sms(service, minute)
            ours = {r.activity_id: r.outcome for r in results if r.activity_id in (cancelled, released)}
            others = len(results) - len(ours)
            c.print(f"The release timer at {minute:%H:%M} UTC (its core, the minute given): "
                    + (", ".join(f"{'2nd SMS' if a == released else 'cancelled SMS'} {o}" for a, o in ours.items())
                       or "nothing of these to release")
                    + (f" (and {others} held SMS of an earlier run)" if others else ""))
            if minute == in_half_an_hour:
                self.expect(ours == {released: "sent"}, "the second SMS is released and sent at its minute")
            else:
                self.expect(ours == {}, f"nothing of these leaves at {minute:%H:%M}")
        row = dv.get("smsc_textmessages", released)
        self.show_schedule("Released", row)
        mine = [s for s in provider.sends()[sends_before:] if s["id"] == row.get("smsc_providermessageid")]
        self.expect(row["smsc_status"] == 5 and len(mine) == 1 and len(provider.sends()) == sends_before + 1,
                    f"the second SMS is Sent: one request to {self.label}, at its time")
        self.expect(dv.get("smsc_textmessages", cancelled)["smsc_status"] == 9,
                    "the cancelled SMS stays Cancelled past its time, never sent")

    def show_schedule(self, title: str, row: dict) -> None:
        status = label("smsc_status", row["smsc_status"])
        self.console.print(f"  {title}: {row.get('description')} -> status {status}, "
                           f"due {row.get('scheduledend') or ''}, ticket {row.get('smsc_providermessageid') or 'none'}")

    # -- campaigns in parts ----------------------------------------------------------------------------
    def campaign_in_parts(self) -> None:
        """Validate puts one message per staged part on the parts queue (in-process here, an Azure Storage
        queue in Azure); each part worker releases its part; the campaign shows the progress."""
        from connector.bootstrap import campaign_service, get_services, reset
        from connector.campaigns.model import CampaignAction
        from smsc.campaign_parts import release_local_parts

        c, dv, provider = self.console, self.stack.dataverse, self.provider
        limit = dv.max_upload
        c.rule("[bold]A campaign of 40 contacts validated in parts")
        # Prepare stages the recipients in notes no larger than the organisation's attachment limit: at
        # 8 KB instead of the usual 5 MB, 40 recipients make several parts.
        dv.max_upload = 8192
        reset()                                 # the connector reads the limit once
        try:
            campaign_id = seed.seed_bulk_campaign(dv, 40)
            self.transactional_where_refused(campaign_id)
            services = get_services()
            service = campaign_service(services.crm, services.sms)
            requests_before, sends_before = provider.send_requests(), len(provider.sends())
            prepared = service.run(campaign_id, CampaignAction.PREPARE, seed.JOHN_BAKER_ID)
            c.print(f"prepare -> {prepared.summary}")
            queued = service.run(campaign_id, CampaignAction.VALIDATE, seed.JOHN_BAKER_ID)
            c.print(f"validate -> {queued.summary}")
            total, done, failed = self._parts(campaign_id)
            c.print(f"  on the campaign: parts total {total}, done {done}, failed {failed}")
            self.expect(queued.ok and (total or 0) > 1 and done == 0, "validate queues the campaign in several parts")
            progress = []

            def on_part(outcome: str) -> None:
                progress.append(self._parts(campaign_id))
                c.print(f"  part worker: {outcome} -> the campaign shows parts done {progress[-1][1]} of {total}")

            result = release_local_parts(services, campaign_id, on_part=on_part)
            c.print(f"the campaign -> {result.summary if result else ''}")
            activities = dv.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")
            numbers = provider.numbers(sends_before)
            c.print(f"{len(activities)} SMS activities; {self.label} got {provider.send_requests() - requests_before} "
                    f"campaign request(s) for {len(numbers)} numbers ({len(set(numbers))} different)")
            self.expect([p[1] for p in progress] == list(range(1, (total or 0) + 1)) and result is not None
                        and result.ok and self._parts(campaign_id) == (total, total, 0),
                        "each part released shows on the campaign, all parts done")
            self.expect(len(activities) == 40 and len(numbers) == len(set(numbers)) == 40
                        and all(a.get("smsc_providermessageid") for a in activities),
                        "40 SMS activities, each with its ticket; each of the 40 numbers sent once")
        finally:
            dv.max_upload = limit
            reset()

    def deferred_campaign_cancelled(self) -> None:
        """A campaign whose start is an hour away: validate puts its parts on the queue to be delivered at
        the start, the user cancels a minute before, and when the queue hands the parts over at the start
        (the time given, not waited for) nothing goes to the provider."""
        from connector.bootstrap import campaign_service, get_services
        from connector.campaigns.model import CampaignAction
        from connector.campaigns.parts import drain_parts
        from connector.campaigns.worker import MAX_ATTEMPTS
        from connector.queues.local import LocalQueue
        from connector.repositories.work_queue import CAMPAIGN_PARTS

        c, dv = self.console, self.stack.dataverse
        clock = _Clock(datetime.now(timezone.utc).replace(microsecond=0))
        start = clock.now.replace(second=0) + timedelta(hours=1)
        c.rule(f"[bold]A deferred campaign (start {start:%H:%M} UTC) cancelled before its start")
        campaign_id = seed.seed_bulk_campaign(dv, 20)
        self.transactional_where_refused(campaign_id)
        dv.update("campaigns", campaign_id, {"actualstart": _wire(start)})
        queue = LocalQueue(CAMPAIGN_PARTS, clock)       # the in-process queue, on the demo's clock
        services = get_services()

        def service_for(user_id=None):
            return campaign_service(services.crm, services.sms, user_id=user_id, parts_queue=queue, clock=clock)

        requests_before = self.provider.send_requests()
        for action in (CampaignAction.PREPARE, CampaignAction.VALIDATE):
            result = service_for().run(campaign_id, action, seed.JOHN_BAKER_ID)
            c.print(f"{action.name.lower()} -> {result.summary}")
        self.expect(result.ok and len(queue) >= 1 and queue.take_due() == [],
                    "validate puts the parts on the queue, to be delivered at the start")
        clock.now = start - timedelta(minutes=1)
        cancelled = service_for().run(campaign_id, CampaignAction.CANCEL, seed.JOHN_BAKER_ID)
        c.print(f"cancel at {clock.now:%H:%M} UTC -> {cancelled.summary} (status {cancelled.status.name.lower()})")
        clock.now = start + timedelta(seconds=1)
        outcomes = drain_parts(queue.take_due, service_for, max_attempts=MAX_ATTEMPTS)
        for outcome in outcomes:
            c.print(f"  at {clock.now:%H:%M} UTC the queue hands the part over: {outcome}")
        activities = dv.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")
        sent = self.provider.send_requests() - requests_before
        c.print(f"{self.label} received {sent} request(s) for it; {len(activities)} SMS activities")
        self.expect(cancelled.ok and outcomes and all("no longer being sent" in o for o in outcomes),
                    "the parts of the cancelled campaign are not released at its start")
        self.expect(sent == 0 and activities == [], "the cancelled deferred campaign sends nothing")

    def _parts(self, campaign_id: str) -> tuple:
        row = self.stack.dataverse.get("campaigns", campaign_id)
        return row.get("smsc_partstotal"), row.get("smsc_partsdone"), row.get("smsc_partsfailed")

    def save_reports(self, campaign_id: str) -> None:
        """The campaign's report notes as files the user can open."""
        self.output.mkdir(parents=True, exist_ok=True)
        written = []
        for extension in (".csv", ".xml"):
            path = self.output / f"resume{extension}"
            path.write_text(self._report(campaign_id, extension) + "\n", encoding="utf-8")
            written.append(str(path.resolve()))
        self.console.print("Reports written: " + ", ".join(written))

    def _report(self, campaign_id: str, extension: str) -> str:
        notes = [n for n in self.stack.dataverse.rows("annotations", filter=f"_objectid_value eq {campaign_id}")
                 if (n.get("filename") or "").endswith(extension)]
        return base64.b64decode(notes[-1]["documentbody"]).decode("utf-8-sig").strip()

    def more_cases(self) -> None:
        tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT09:00:00Z")
        cases = [
            ("Account Contoso SA (its primary contact)", ("account", seed.CONTOSO_ID), {"text": "Bonjour Contoso"}),
            ("Due tomorrow 09:00 UTC", ("contact", seed.JOHN_DOE_ID), {"text": "Rappel", "scheduledend": tomorrow}),
            ("Contact with mobile '12345'", ("contact", seed.MARC_PETIT_ID), {"text": "Bonjour"}),
            ("Marketing SMS without STOP", ("contact", seed.PETER_PARKER_ID),
             {"text": "Promo -20%", "smsc_smstype": 1}),
            ("Opted-out contact", ("contact", seed.SOPHIE_LAURENT_ID), {"text": "Bonjour"}),
        ]
        table = Table(title="More unit SMS", title_justify="left")
        for name in ("case", "outcome", "status", "number", "error"):
            table.add_column(name)
        for title, to, columns in cases:
            activity_id = self.create_sms(to, **columns)
            event = remote_execution_context("Create", "smsc_textmessage", activity_id,
                                             user_id=seed.CLAIRE_MARTIN_ID, attributes={"smsc_status": option(2)})
            answer = self.call("POST", "dataverse/events", body=event,
                               headers=webhook_headers("Create", "smsc_textmessage", self.key)).json()
            row = self.stack.dataverse.get("smsc_textmessages", activity_id)
            outcome = answer.get("outcome") or answer.get("handled") or ""
            table.add_row(title, outcome, STATUS.get(row["smsc_status"], "?"), row.get("smsc_phonenumber") or "",
                          row.get("smsc_error") or "")
        self.console.print(table)
