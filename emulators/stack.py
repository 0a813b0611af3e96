"""The emulators on loopback, and the connector's settings pointed at them (DESIGN §8): Dataverse,
Octopush, and smsmode when it is the provider (`provider`, else SMS_PROVIDER in the environment:
`SMS_PROVIDER=smsmode smsc serve --emulators`).

Used by `smsc demo`, the integration tests and the benchmarks.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from emulators.dataverse import DataverseEmulator
from emulators.octopush import OctopushEmulator
from emulators.octopush_prices import PRICES
from emulators.server import EmulatorServer
from emulators.acs import AcsEmulator
from emulators.smsmode import SmsmodeEmulator

DATAVERSE_TOKEN = "emulator-token"
OCTOPUSH_LOGIN = "demo@example.org"
OCTOPUSH_KEY = "emulator-octopush-key"
SMSMODE_KEY = "emulator-smsmode-key"
ACS_KEY = "ZW11bGF0b3ItYWNzLWFjY2Vzcy1rZXk="       # base64 of "emulator-acs-access-key"
ACS_SENDER = "+18005550100"
EMULATED_PROVIDERS = ("octopush", "smsmode", "acs")
# Where the app listens by default (`smsc serve`): the callback URLs smsmode takes with each message,
# unless the caller says where it serves the app (`public_url`) or SMSC_PUBLIC_URL does.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:7071"


@dataclass
class LocalStack:
    dataverse: DataverseEmulator
    octopush: OctopushEmulator
    dataverse_url: str
    octopush_url: str
    webhook_key: str
    # The key the CRM pages hold (SMSC_FORM_KEY): the form and admin routes take it, the webhook route never.
    form_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    provider: str = "octopush"                  # SMS_PROVIDER
    smsmode: SmsmodeEmulator | None = None
    smsmode_url: str | None = None
    public_url: str = DEFAULT_PUBLIC_URL        # SMSC_PUBLIC_URL
    acs: AcsEmulator | None = None
    acs_url: str | None = None

    @property
    def sms(self):
        """The emulator of the provider in use."""
        return {"smsmode": self.smsmode, "acs": self.acs}.get(self.provider) or self.octopush

    @property
    def environment(self) -> dict[str, str]:
        environment = {
            "DATAVERSE_URL": self.dataverse_url, "DATAVERSE_ACCESS_TOKEN": DATAVERSE_TOKEN,
            "SMS_PROVIDER": self.provider, "OCTOPUSH_API_LOGIN": OCTOPUSH_LOGIN,
            "OCTOPUSH_API_KEY": OCTOPUSH_KEY, "OCTOPUSH_BASE_URL": f"{self.octopush_url}/v1/public",
            "SMSC_WEBHOOK_KEY": self.webhook_key, "SMSC_FORM_KEY": self.form_key, "SMSC_HTTP_TIMEOUT": "10",
        }
        if self.smsmode_url:
            environment |= {"SMSMODE_API_KEY": SMSMODE_KEY, "SMSMODE_BASE_URL": self.smsmode_url,
                            "SMSC_PUBLIC_URL": self.public_url}
        if self.acs_url:
            environment |= {"ACS_CONNECTION_STRING": f"endpoint={self.acs_url}/;accesskey={ACS_KEY}",
                            "ACS_SENDER": ACS_SENDER}
        return environment


@contextmanager
def local_stack(db_path: str | Path | None = None, *, apply_environment: bool = True,
                on_environment_change=lambda: None, bare: bool = False, dataverse_port: int = 0,
                octopush_port: int = 0, webhook_key: str | None = None, provider: str | None = None,
                public_url: str | None = None):
    """Starts both emulators; while inside, the connector's settings point at them. `bare`: Dataverse
    as a fresh organisation (standard tables only, no demo data), for the solution installer. Ports 0:
    any free port; fixed ports and a given `webhook_key` keep the settings the same across restarts.

    `on_environment_change` lets the caller forget what it built from the old settings (the
    emulators know nothing of the connector). `provider`: octopush, smsmode or acs (default:
    SMS_PROVIDER, else octopush); the smsmode or ACS emulator runs only when it is the provider.
    `public_url`: where the caller serves the function app (SMSC_PUBLIC_URL; else the environment's, else
    DEFAULT_PUBLIC_URL)."""
    provider = provider or os.environ.get("SMS_PROVIDER") or "octopush"
    if provider not in EMULATED_PROVIDERS:
        raise ValueError(f"no emulator for SMS_PROVIDER={provider} (emulated: {', '.join(EMULATED_PROVIDERS)})")
    public_url = public_url or os.environ.get("SMSC_PUBLIC_URL") or DEFAULT_PUBLIC_URL
    with tempfile.TemporaryDirectory(prefix="smsc-") as scratch, ExitStack() as extra:
        dataverse = DataverseEmulator(str(db_path or Path(scratch) / "dataverse.sqlite3"), token=DATAVERSE_TOKEN,
                                      bare=bare)
        octopush = OctopushEmulator(api_login=OCTOPUSH_LOGIN, api_key=OCTOPUSH_KEY, prices=PRICES)   # per country
        with EmulatorServer(dataverse, port=dataverse_port) as crm_server, \
                EmulatorServer(octopush, port=octopush_port) as sms_server:
            stack = LocalStack(dataverse, octopush, crm_server.url, sms_server.url,
                               webhook_key or secrets.token_urlsafe(24), provider=provider, public_url=public_url)
            if provider == "smsmode":
                stack.smsmode = SmsmodeEmulator(api_key=SMSMODE_KEY)
                stack.smsmode_url = extra.enter_context(EmulatorServer(stack.smsmode)).url
                extra.callback(stack.smsmode.close)
            if provider == "acs":
                stack.acs = AcsEmulator(ACS_KEY, number=ACS_SENDER)
                stack.acs_url = extra.enter_context(EmulatorServer(stack.acs)).url
                extra.callback(stack.acs.close)
            saved = {name: os.environ.get(name) for name in stack.environment}
            if apply_environment:
                os.environ.update(stack.environment)
                on_environment_change()
            try:
                yield stack
            finally:
                octopush.close()        # its callback worker posts nothing more
                if apply_environment:
                    for name, value in saved.items():
                        if value is None:
                            os.environ.pop(name, None)
                        else:
                            os.environ[name] = value
                    on_environment_change()
