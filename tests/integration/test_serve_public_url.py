"""`smsc serve --emulators` on any port: the provider's emulator calls back the address actually served
(`--port 0` included), whichever the provider — smsmode through each message's callback URLs
(SMSC_PUBLIC_URL), Octopush through the account's URLs, ACS through its Event Grid subscription — so a
unit SMS sent through the served webhook ends Delivered. And a port that cannot be served is said in one
line before anything starts."""
import os
import re
import socket
import subprocess
import sys
import time

import pytest
import requests

from emulators import dataverse_seed as seed
from emulators.webhook_bodies import option, remote_execution_context, webhook_headers

API = "/api/data/v9.2/"
AUTH = {"Authorization": "Bearer emulator-token"}


def serve(tmp_path, provider: str, *arguments: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from smsc.cli import main; raise SystemExit(main())", "serve",
                             *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": os.getcwd(), "SMS_PROVIDER": provider})


def started(process: subprocess.Popen) -> tuple[str, dict[str, str], list[str]]:
    """The served address, the settings printed and every line, read until the curl examples."""
    lines = []
    assert process.stdout is not None
    for line in process.stdout:         # bounded: a few dozen lines, then it serves
        lines.append(line.rstrip("\n"))
        if "/api/health" in line:
            break
    served = re.search(r"routes on (http://127\.0\.0\.1:\d+)/api/", "\n".join(lines))
    assert served, lines
    return served.group(1), dict(re.findall(r"^  (\w+)=(.*)$", "\n".join(lines), re.M)), lines


def provider_url(settings: dict[str, str], provider: str) -> str:
    if provider == "smsmode":
        return settings["SMSMODE_BASE_URL"]
    if provider == "acs":
        return settings["ACS_CONNECTION_STRING"].removeprefix("endpoint=").split("/;")[0]
    return settings["OCTOPUSH_BASE_URL"].removesuffix("/v1/public")


@pytest.mark.parametrize("provider", ["smsmode", "octopush", "acs"])
def test_on_any_port_the_provider_calls_back_the_address_served(tmp_path, provider):
    process = serve(tmp_path, provider, "--emulators", "--port", "0", "--no-timers")
    try:
        app, settings, lines = started(process)
        assert not app.endswith(":7071")
        if provider == "smsmode":
            assert settings["SMSC_PUBLIC_URL"] == app
        callbacks = next(line for line in lines if line.startswith("Callbacks: "))
        assert app in callbacks and settings["SMSC_WEBHOOK_KEY"] not in callbacks       # told, key masked
        emulator, crm = provider_url(settings, provider), settings["DATAVERSE_URL"] + API
        assert requests.post(f"{emulator}/_emulator/outcomes", json={"hold": True}, timeout=10).ok
        created = requests.post(f"{crm}smsc_textmessages", headers=AUTH, timeout=10, json={
            "subject": "SMS", "description": "Bonjour", "smsc_status": 2,
            "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({seed.DAVID_SMITH_ID})"})
        sms = created.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
        event = remote_execution_context("Create", "smsc_textmessage", sms, user_id=seed.CLAIRE_MARTIN_ID,
                                         attributes={"smsc_status": option(2)})
        sent = requests.post(f"{app}/api/dataverse/events", json=event, timeout=30,
                             headers=webhook_headers("Create", "smsc_textmessage", settings["SMSC_WEBHOOK_KEY"]))
        assert sent.json()["handled"] == "unit-sms:sent"
        attempts = requests.post(f"{emulator}/_emulator/callbacks/flush", timeout=30).json()
        assert attempts and all(a["status"] == 200 and a["url"].startswith(f"{app}/api/providers/{provider}/")
                                for a in attempts), attempts
        deadline = time.monotonic() + 10         # the report is applied by the queue step, just after
        while (status := requests.get(f"{crm}smsc_textmessages({sms})", headers=AUTH, timeout=10).json()[
                "smsc_status"]) != 6 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status == 6                       # Delivered
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_port_in_use_is_said_in_one_line_before_the_emulators_start(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = serve(tmp_path, "octopush", "--emulators", "--port", str(port))
        out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.splitlines() == [f"smsc: --port {port}: 127.0.0.1:{port} is in use by another program; choose another "
                                "port (--port 0: any free one)"]
    assert out == ""                            # nothing started


@pytest.mark.parametrize("command", ["serve", "console"])
def test_a_port_out_of_range_is_refused(command, capsys):
    from smsc.cli import build_parser

    with pytest.raises(SystemExit) as done:     # parsed only: without the check it would serve
        build_parser().parse_args([command, "--port", "99999"])
    assert done.value.code == 2 and "argument --port: 99999 is not a port (0 to 65535)" in capsys.readouterr().err
