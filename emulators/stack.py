"""Both emulators on loopback, and the connector's settings pointed at them (DESIGN §8).

Used by `smsc demo`, the integration tests and the benchmarks.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from emulators.dataverse import DataverseEmulator
from emulators.octopush import OctopushEmulator
from emulators.octopush_prices import PRICES
from emulators.server import EmulatorServer

DATAVERSE_TOKEN = "emulator-token"
OCTOPUSH_LOGIN = "demo@example.org"
OCTOPUSH_KEY = "emulator-octopush-key"


@dataclass
class LocalStack:
    dataverse: DataverseEmulator
    octopush: OctopushEmulator
    dataverse_url: str
    octopush_url: str
    webhook_key: str
    # The key the CRM pages hold (SMSC_FORM_KEY): the form and admin routes take it, the webhook route never.
    form_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def environment(self) -> dict[str, str]:
        return {
            "DATAVERSE_URL": self.dataverse_url, "DATAVERSE_ACCESS_TOKEN": DATAVERSE_TOKEN,
            "SMS_PROVIDER": "octopush", "OCTOPUSH_API_LOGIN": OCTOPUSH_LOGIN,
            "OCTOPUSH_API_KEY": OCTOPUSH_KEY, "OCTOPUSH_BASE_URL": f"{self.octopush_url}/v1/public",
            "SMSC_WEBHOOK_KEY": self.webhook_key, "SMSC_FORM_KEY": self.form_key, "SMSC_HTTP_TIMEOUT": "10",
        }


@contextmanager
def local_stack(db_path: str | Path | None = None, *, apply_environment: bool = True,
                on_environment_change=lambda: None, bare: bool = False, dataverse_port: int = 0,
                octopush_port: int = 0, webhook_key: str | None = None):
    """Starts both emulators; while inside, the connector's settings point at them. `bare`: Dataverse
    as a fresh organisation (standard tables only, no demo data), for the solution installer. Ports 0:
    any free port; fixed ports and a given `webhook_key` keep the settings the same across restarts.

    `on_environment_change` lets the caller forget what it built from the old settings (the
    emulators know nothing of the connector)."""
    with tempfile.TemporaryDirectory(prefix="smsc-") as scratch:
        dataverse = DataverseEmulator(str(db_path or Path(scratch) / "dataverse.sqlite3"), token=DATAVERSE_TOKEN,
                                      bare=bare)
        octopush = OctopushEmulator(api_login=OCTOPUSH_LOGIN, api_key=OCTOPUSH_KEY, prices=PRICES)   # per country
        with EmulatorServer(dataverse, port=dataverse_port) as crm_server, \
                EmulatorServer(octopush, port=octopush_port) as sms_server:
            stack = LocalStack(dataverse, octopush, crm_server.url, sms_server.url,
                               webhook_key or secrets.token_urlsafe(24))
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
