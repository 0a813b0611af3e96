"""What a newcomer meets first (issue 12): the emulators' switches, ports, key and printed settings."""
import os
import socket
import subprocess
import sys

import pytest
import requests as http

from emulators.octopush import OctopushEmulator
from emulators.server import EmulatorServer


@pytest.fixture
def server():
    with EmulatorServer(OctopushEmulator()) as running:
        yield running


@pytest.mark.parametrize("body, content_type, problem", [
    (b'{"status": 429}', "text/plain", "Content-Type: application/json"),
    (b"{status: 429", "application/json", "not valid JSON"),
    (b"[429]", "application/json", "JSON object"),
    (b'{"status": "abc"}', "application/json", "bad values for ['status']"),
    (b'{"status": 42}', "application/json", "bad values for ['status']"),
    (b'{"status": 503, "times": 0}', "application/json", "bad values for ['times']"),
    (b'{"status": 503, "delay": -1}', "application/json", "bad values for ['delay']"),
    (b'{"status": 503, "method": "FETCH"}', "application/json", "bad values for ['method']"),
    (b'{"colour": "red"}', "application/json", "unknown fields ['colour']"),
    (b"{}", "application/json", "needs a status, a delay or both"),
])
def test_a_bad_fault_is_a_400_naming_the_problem_and_adds_nothing(server, body, content_type, problem):
    answer = http.post(f"{server.url}/_emulator/faults", data=body, headers={"Content-Type": content_type})
    assert answer.status_code == 400 and problem in answer.json()["error"]
    assert http.get(f"{server.url}/v1/public/wallet/check-balance",
                    headers={"api-login": "demo@example.org", "api-key": "x"}).status_code != 0
    assert server.app.faults.rules == []


def test_a_good_fault_still_applies(server):
    made = http.post(f"{server.url}/_emulator/faults", json={"status": 503, "times": 1, "method": "GET"})
    assert made.status_code == 201
    assert http.get(f"{server.url}/v1/public/wallet/check-balance").status_code == 503


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_smsc_emulators_on_given_ports_with_a_stable_key_prints_export_lines(tmp_path):
    dataverse_port, octopush_port = free_ports(2)
    key = "my-stable-webhook-key-0123"
    process = subprocess.Popen(
        [sys.executable, "-c", "from smsc.cli import main; main()", "emulators", "--port-dataverse",
         str(dataverse_port), "--port-octopush", str(octopush_port), "--webhook-key", key,
         "--db", str(tmp_path / "org.sqlite3")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        lines = []
        for line in process.stdout:         # bounded: the settings are a dozen lines, then it waits
            lines.append(line.rstrip("\n"))
            if line.startswith("export SMSC_HTTP_TIMEOUT"):
                break
        exports = dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))
        assert exports["DATAVERSE_URL"] == f"http://127.0.0.1:{dataverse_port}"
        assert exports["OCTOPUSH_BASE_URL"] == f"http://127.0.0.1:{octopush_port}/v1/public"
        assert exports["SMSC_WEBHOOK_KEY"] == key
        # What a shell does with the lines: the values come back unchanged.
        shell = subprocess.run(["bash", "-c", "\n".join(lines) + "\necho \"$OCTOPUSH_API_LOGIN|$SMSC_WEBHOOK_KEY\""],
                               capture_output=True, text=True, check=True)
        assert shell.stdout.strip() == f"demo@example.org|{key}"
        assert http.get(f"http://127.0.0.1:{dataverse_port}/api/data/v9.2/WhoAmI",
                        headers={"Authorization": "Bearer emulator-token"}).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_short_webhook_key_is_refused_in_one_line(capsys):
    from smsc.cli import main

    assert main(["emulators", "--webhook-key", "short"]) == 2
    assert capsys.readouterr().err.strip() == "smsc: --webhook-key must be at least 16 characters (as SMSC_WEBHOOK_KEY)"


def test_workflow_commands_that_send_nothing_need_only_the_dataverse_settings(stack, monkeypatch, capsys):
    from connector import bootstrap
    from smsc.cli import main

    for name in ("OCTOPUSH_API_LOGIN", "OCTOPUSH_API_KEY", "SMSC_WEBHOOK_KEY", "SMSC_FORM_KEY"):
        monkeypatch.delenv(name)
    bootstrap.reset()
    assert main(["workflows", "steps"]) == 0
    assert "smsc:" not in capsys.readouterr().err
    assert main(["campaign", "simulate", "ca000000-0000-4000-8000-000000000001"]) == 2     # this one sends
    assert "OCTOPUSH_API_LOGIN" in capsys.readouterr().err


@pytest.mark.parametrize("size", ["0", "5001", "many"])
def test_run_scheduled_refuses_a_page_size_dataverse_would_not_take(size, capsys):
    from smsc.cli import main

    with pytest.raises(SystemExit) as done:
        main(["workflows", "run-scheduled", "--page-size", size])
    assert done.value.code == 2 and "--page-size" in capsys.readouterr().err


@pytest.mark.parametrize("user, problem", [
    ("bob", "--user must be a CRM user's id (systemuserid, a GUID), not 'bob'"),
    ("0e6a0000-0000-4000-8000-0000000000ff", "--user: no CRM user has the id 0e6a0000-0000-4000-8000-0000000000ff"),
])
def test_the_campaign_command_checks_user_before_running(stack, capsys, user, problem):
    from smsc.cli import main

    writes = len([r for r in stack.dataverse.requests if r.method != "GET"])
    assert main(["campaign", "simulate", "ca000000-0000-4000-8000-000000000001", "--user", user]) == 2
    assert capsys.readouterr().err.strip() == f"smsc: {problem}"
    assert len([r for r in stack.dataverse.requests if r.method != "GET"]) == writes


def test_the_campaign_command_speaks_one_language_the_users_or_lang(stack, capsys):
    from emulators import dataverse_seed as seed
    from smsc.cli import main

    orders = seed.CAMPAIGN_ORDERS_ID
    assert main(["campaign", "simulate", orders, "--lang", "fr"]) == 0
    assert capsys.readouterr().out.strip() == "simulation : 3 destinataires. 3 erreurs. (statut : non transmise)"
    assert main(["campaign", "simulate", orders, "--lang", "en"]) == 0
    assert capsys.readouterr().out.strip() == "simulate: 3 recipients. 3 errors. (status: not transmitted)"
    assert main(["campaign", "simulate", orders, "--user", seed.CLAIRE_MARTIN_ID]) == 0     # a French user
    assert capsys.readouterr().out.strip() == "simulation : 3 destinataires. 3 erreurs. (statut : non transmise)"
