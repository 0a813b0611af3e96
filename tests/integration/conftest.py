from contextlib import contextmanager

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


# --- the stories on each provider (test_provider_stories.py) --------------------------------------
# What differs between the providers' emulators is set up here, once: how the served app is told to
# them, and where each keeps the numbers it sent to. The stories themselves name no provider: what a
# provider cannot do, they read in its capabilities.
def _register_callbacks(stack, url: str) -> None:
    from smsc.cli import main

    assert main(["provider", "callbacks", "--url", url]) == 0      # held by the account (CallbackRegistry)


def _subscribe(stack, url: str) -> None:
    assert stack.acs.subscribe(f"{url}/api/providers/acs/events?key={stack.webhook_key}")   # Event Grid


PROVIDER_SETUPS = {
    # provider: (how the app is told to it, the numbers its emulator received, E.164)
    "octopush": (_register_callbacks, lambda sms: [n for s in sms.sends for n in s["numbers"]]),
    "smsmode": (lambda stack, url: None, lambda sms: ["+" + s["number"] for s in sms.sends]),   # per message
    "acs": (_subscribe, lambda sms: [s["to"] for s in sms.sends]),
}


class ProviderStack:
    """A stack on one provider: its emulator (`sms`), the numbers it was sent, and `serve()` the app
    it posts back to."""

    def __init__(self, stack, provider: str, monkeypatch):
        self.stack, self.provider, self.monkeypatch = stack, provider, monkeypatch
        self.connect, self._numbers = PROVIDER_SETUPS[provider]

    @property
    def sms(self):
        return self.stack.sms

    def sent_numbers(self) -> list[str]:
        return self._numbers(self.stack.sms)

    @contextmanager
    def serve(self):
        """The function app on loopback, told to the provider (messages name SMSC_PUBLIC_URL)."""
        from smsc.serve import BackgroundServer, FunctionHost

        with BackgroundServer(FunctionHost()) as server:
            self.monkeypatch.setenv("SMSC_PUBLIC_URL", server.url)
            bootstrap.reset()
            self.connect(self.stack, server.url)
            yield server


@pytest.fixture(params=sorted(PROVIDER_SETUPS))
def on_provider(request, monkeypatch):
    with local_stack(on_environment_change=bootstrap.reset, provider=request.param) as running:
        yield ProviderStack(running, request.param, monkeypatch)
