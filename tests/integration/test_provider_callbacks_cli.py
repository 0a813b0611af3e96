"""`smsc provider callbacks` against the Octopush emulator: register, read back, dry run, bad URLs; the
webhook key and the function key never appear in what it prints."""
import pytest

from connector import bootstrap
from smsc.cli import main

FUNCTION_KEY = "fn-SECRET-key-0123456789"


@pytest.fixture
def run(stack, capsys, monkeypatch):
    monkeypatch.delenv("SMSC_FUNCTION_KEY", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        bootstrap.reset()
        code = main(["provider", "callbacks", *argv])
        out, err = capsys.readouterr()
        assert stack.webhook_key not in out + err and FUNCTION_KEY not in out + err
        return code, out, err

    return run


def test_register_then_show_with_the_keys_masked(stack, run):
    code, out, err = run("--url", "http://127.0.0.1:7071/", "--function-key", FUNCTION_KEY)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Registered at Octopush; it now posts back to:",
        "  delivery reports  http://127.0.0.1:7071/api/providers/octopush/delivery?key=***&code=***",
        "  inbound SMS       http://127.0.0.1:7071/api/providers/octopush/inbound?key=***&code=***",
        "  STOP opt-outs     http://127.0.0.1:7071/api/providers/octopush/inbound?key=***&code=***"]
    urls = stack.octopush.callbacks.urls
    assert urls["callback_url_for_deliveries"] == (f"http://127.0.0.1:7071/api/providers/octopush/delivery"
                                                   f"?key={stack.webhook_key}&code={FUNCTION_KEY}")
    assert urls["callback_url_for_inbounds"] == urls["callback_url_for_blacklisted_numbers"] == (
        f"http://127.0.0.1:7071/api/providers/octopush/inbound?key={stack.webhook_key}&code={FUNCTION_KEY}")
    [patch] = [r for r in stack.octopush.requests if r.method == "PATCH"]
    assert patch.path == "/v1/public/user/campaign-parameters/edit"
    code, out, _ = run()
    assert code == 0 and out.splitlines()[1:] == [
        "  delivery reports  http://127.0.0.1:7071/api/providers/octopush/delivery?key=***&code=***",
        "  inbound SMS       http://127.0.0.1:7071/api/providers/octopush/inbound?key=***&code=***",
        "  STOP opt-outs     http://127.0.0.1:7071/api/providers/octopush/inbound?key=***&code=***"]


def test_show_before_anything_is_registered(stack, run):
    code, out, _ = run()
    assert code == 0 and out.splitlines() == ["Octopush posts back to:", "  delivery reports  (none)",
                                              "  inbound SMS       (none)", "  STOP opt-outs     (none)"]


def test_the_function_key_can_come_in_the_url_or_the_environment(stack, run, monkeypatch):
    assert run("--url", f"http://localhost:7071?code={FUNCTION_KEY}")[0] == 0
    assert stack.octopush.callbacks.urls["callback_url_for_deliveries"].endswith(f"&code={FUNCTION_KEY}")
    monkeypatch.setenv("SMSC_FUNCTION_KEY", FUNCTION_KEY + "x")
    assert run("--url", "http://localhost:7071")[0] == 0
    assert stack.octopush.callbacks.urls["callback_url_for_deliveries"].endswith(f"&code={FUNCTION_KEY}x")


def test_dry_run_prints_the_plan_and_sends_nothing(stack, run):
    code, out, _ = run("--url", "https://smsc-app.azurewebsites.net", "--dry-run")
    assert code == 0
    assert out.splitlines()[:4] == [
        "Would register at Octopush (dry run, nothing sent):",
        "  delivery reports  https://smsc-app.azurewebsites.net/api/providers/octopush/delivery?key=***",
        "  inbound SMS       https://smsc-app.azurewebsites.net/api/providers/octopush/inbound?key=***",
        "  STOP opt-outs     https://smsc-app.azurewebsites.net/api/providers/octopush/inbound?key=***"]
    assert "--function-key" in out.splitlines()[4]
    assert stack.octopush.requests == []


@pytest.mark.parametrize("argv, named", [
    (("--url", "http://smsc-app.azurewebsites.net"), "must use https"),
    (("--url", "ftp://127.0.0.1"), "https address"),
    (("--url", "smsc-app.azurewebsites.net"), "https address"),
    (("--url", "https://smsc-app.azurewebsites.net/api/providers/octopush/delivery"), "without a path"),
    (("--url", f"https://smsc-app.azurewebsites.net/?code={FUNCTION_KEY}&key=abc"), "no query other than"),
    (("--dry-run",), "go with --url"),
    (("--function-key", FUNCTION_KEY), "go with --url"),
])
def test_a_bad_url_is_one_line_and_exit_2(stack, run, argv, named):
    code, out, err = run(*argv)
    assert code == 2 and out == "" and err.startswith("smsc: ") and err.count("\n") == 1 and named in err
    assert stack.octopush.requests == []


def test_a_provider_refusal_is_one_line_without_the_key(stack, run):
    # The emulator posts to loopback only: it refuses a public address, as a provider refusal would read.
    code, out, err = run("--url", "https://smsc-app.azurewebsites.net", "--function-key", FUNCTION_KEY)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "smsc-app.azurewebsites.net" in err and "HTTP 400" in err
    assert stack.octopush.callbacks.urls["callback_url_for_deliveries"] == ""
