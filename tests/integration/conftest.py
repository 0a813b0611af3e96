import pytest
import requests

from emulators import dataverse_seed as seed
from connector import bootstrap
from emulators.stack import local_stack
from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
from functions.local_host import invoke


@pytest.fixture
def stack():
    with local_stack(on_environment_change=bootstrap.reset) as running:
        yield running


class Crm:
    """What a CRM user does on a form, through the Web API of the emulator."""

    def __init__(self, stack):
        self.stack = stack

    def new_sms(self, to: tuple[str, str] | None, *, text: str = "", template: str | None = None,
                status: int = 2, **columns) -> str:
        body = {"subject": "SMS", "description": text, "smsc_status": status, **columns}
        if template:
            body["smsc_TemplateId@odata.bind"] = f"/smsc_smstemplates({template})"
        if to:
            table, record_id = to
            body[f"regardingobjectid_{table}_smsc_textmessage@odata.bind"] = f"/{table}s({record_id})"
            body["smsc_textmessage_activity_parties"] = [
                {"participationtypemask": 2, f"partyid_{table}@odata.bind": f"/{table}s({record_id})"}]
        return self.stack.dataverse.insert("smsc_textmessages", body)

    def activity(self, activity_id: str) -> dict:
        return self.stack.dataverse.get("smsc_textmessages", activity_id)

    def webhook(self, activity_id: str, *, message: str = "Create", status: int = 2,
                user: str = seed.CLAIRE_MARTIN_ID, key: str | None = "default"):
        body = remote_execution_context(message, "smsc_textmessage", activity_id, user_id=user,
                                        attributes={"smsc_status": option(status)})
        return self.post_event(body, key=key)

    def post_event(self, body, *, key: str | None = "default", headers: dict | None = None):
        key = self.stack.webhook_key if key == "default" else key
        all_headers = {**webhook_headers("Create", "smsc_textmessage", key), **(headers or {})}
        return invoke("POST", "dataverse/events", body=body, headers=all_headers)

    def writes(self) -> list:
        return [r for r in self.stack.dataverse.requests if r.method in ("POST", "PATCH", "DELETE")]


@pytest.fixture
def crm(stack):
    return Crm(stack)


@pytest.fixture
def make_api():
    return web_api


def web_api(base_url: str, token: str = "emulator-token"):
    """Plain HTTP to an emulator's Web API: `api.get("contacts(...)")`, `api.post(...)`, `api.follow(url)`."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json",
                            "OData-MaxVersion": "4.0", "OData-Version": "4.0"})

    class Api:
        url = base_url

        def __getattr__(self, method):
            return lambda path, **kw: session.request(method.upper(), base_url + path, **kw)

        def follow(self, url, **kw):
            return session.get(url, **kw)

    return Api()
