"""`smsc demo`: the unit-SMS story on the local emulators, through the real webhook handler.

`call` is the way the Functions host calls a route (functions.local_host.invoke), injected by the
CLI so this module stays free of Azure Functions.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from emulators import dataverse_seed as seed
from emulators.stack import LocalStack
from emulators.webhook_bodies import option, remote_execution_context, webhook_headers

SHOWN = ("subject", "description", "smsc_status", "smsc_phonenumber", "smsc_smstype", "smsc_sender",
         "smsc_encoding", "smsc_segments", "smsc_cost", "smsc_providermessageid", "smsc_error",
         "scheduledend", "actualend")
STATUS = {1: "Draft", 2: "Send requested", 3: "Sending", 4: "Scheduled", 5: "Sent", 8: "Failed"}


class Demo:
    def __init__(self, stack: LocalStack, call, console: Console | None = None):
        self.stack, self.call = stack, call
        self.console = console or Console(highlight=False)
        self.key = stack.webhook_key

    def run(self) -> None:
        c = self.console
        c.rule("[bold]smsc demo: a unit SMS from a CRM record, on the local emulators")
        c.print(f"Dataverse Web API emulator: {self.stack.dataverse_url}/api/data/v9.2/\n"
                f"Octopush emulator:          {self.stack.octopush_url}/v1/public\n")
        self.preview()
        activity_id = self.create_sms(("contact", seed.DAVID_SMITH_ID), template=seed.TEMPLATE_ORDER_ID)
        self.show_activity("The SMS activity as the user saved it (Send requested)", activity_id)
        self.deliver(activity_id, "Dataverse calls the webhook")
        self.deliver(activity_id, "Dataverse delivers the same event again")
        self.show_activity("The SMS activity after the send", activity_id)
        self.show_provider()
        self.show_crm_requests()
        self.more_cases()
        self.campaign()
        c.print(f"\nOctopush credit left: {self.call('GET', 'credit', headers=self.headers()).json()}")
        c.rule("[bold green]done")

    def headers(self) -> dict:
        return {"x-smsc-webhook-key": self.key}

    def preview(self) -> None:
        body = {"templateid": seed.TEMPLATE_REMINDER_ID, "userid": seed.CLAIRE_MARTIN_ID,
                "regarding": {"entity": "contact", "id": seed.DAVID_SMITH_ID}}
        answer = self.call("POST", "textmessages/preview", body=body, headers=self.headers()).json()
        self.console.print(Panel(json.dumps(answer, ensure_ascii=False, indent=2),
                                 title="POST /api/textmessages/preview: template 'Rappel RDV' on David Smith"))

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

    def deliver(self, activity_id: str, title: str) -> dict:
        event = remote_execution_context("Create", "smsc_textmessage", activity_id, user_id=seed.CLAIRE_MARTIN_ID,
                                         attributes={"smsc_status": option(2)})
        headers = webhook_headers("Create", "smsc_textmessage", self.key)
        answer = self.call("POST", "dataverse/events", body=event, headers=headers)
        self.console.print(f"[bold]{title}[/]: POST /api/dataverse/events -> {answer.status} {answer.json()}")
        return answer.json()

    def show_activity(self, title: str, activity_id: str) -> None:
        row = self.stack.dataverse.get("smsc_textmessages", activity_id)
        table = Table(title=title, show_header=False, title_justify="left")
        for column in SHOWN:
            value = row.get(column)
            table.add_row(column, f"{value} ({STATUS.get(value, '?')})" if column == "smsc_status" else str(value))
        self.console.print(table)

    def show_provider(self) -> None:
        sends = [{"ticket": s["ticket"], "body": s["body"], "cost": s["cost"]} for s in self.stack.octopush.sends]
        self.console.print(Panel(json.dumps(sends, ensure_ascii=False, indent=2),
                                 title=f"What Octopush received ({len(sends)} send)"))

    def show_crm_requests(self) -> None:
        table = Table(title="What Dataverse received from the connector", title_justify="left")
        for name in ("method", "path", "If-Match", "CallerObjectId"):
            table.add_column(name)
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
        campaign_id, dv = seed.CAMPAIGN_ORDERS_ID, self.stack.dataverse
        self.console.rule("[bold]A campaign: the product guide's example (3 contacts, no STOP mention)")
        result = service.run(campaign_id, CampaignAction.SIMULATE, seed.JOHN_BAKER_ID)
        self.console.print(f"simulate -> {result.summary}")
        self.console.print(Panel(self._report(campaign_id, ".csv"), title="resume.csv (note on the campaign)"))
        dv.update("campaigns", campaign_id, {"smsc_text": dv.get("campaigns", campaign_id)["smsc_text"]
                                             + " STOP au 30101"})
        for action in (CampaignAction.SIMULATE, CampaignAction.PREPARE, CampaignAction.VALIDATE):
            result = service.run(campaign_id, action, seed.JOHN_BAKER_ID)
            self.console.print(f"{action.name.lower()} (with the mention) -> {result.summary}")
        activities = dv.rows("smsc_textmessages", filter=f"_smsc_campaignid_value eq {campaign_id}")
        last = self.stack.octopush.sends[-1]
        self.console.print(f"{len(activities)} SMS activities on the recipients; Octopush got one request "
                           f"for {len(last['numbers'])} numbers: {last['body']['text']!r}")

    def _report(self, campaign_id: str, extension: str) -> str:
        import base64
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
            table.add_row(title, answer.get("outcome", str(answer)), STATUS.get(row["smsc_status"], "?"),
                          row.get("smsc_phonenumber") or "", row.get("smsc_error") or "")
        self.console.print(table)
