"""Ready to activate: the built-ins with the shipped configuration, and their texts in one GSM-7 SMS."""
from connector.configuration import Configuration
from connector.text.encoding import is_gsm7
from smsc.cli import main
from workflows.definition import BUILTIN_DIR, load_definition
from workflows.definition import sms_steps
from workflows.readiness import not_ready


def builtin(name: str):
    return load_definition((BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def test_the_90_day_reminder_is_not_ready_until_the_mention_is_appended_or_written():
    reminder = builtin("contact_inactive_90_days")
    [problem] = not_ready(reminder, Configuration())
    assert problem.startswith("steps[0].send_sms: a marketing SMS to French numbers needs the mention « STOP au 30101 »")
    assert not_ready(reminder, Configuration(append_stop=True)) == []
    assert not_ready(builtin("order_fulfilled"), Configuration()) == []         # transactional


def test_validate_builtins_says_which_is_not_ready_and_why(capsys):
    assert main(["workflows", "validate", "--builtins", "--offline"]) == 0
    out = capsys.readouterr().out
    assert out.count("not ready to activate") == 1 and "contact_inactive_90_days.yaml: valid\n  not ready" in out


def test_the_builtin_texts_avoid_characters_that_force_unicode():
    texts = [action.text for path in sorted(BUILTIN_DIR.glob("*.yaml"))
             for _, action in sms_steps(load_definition(path.read_text(encoding="utf-8")).steps) if action.text]
    assert texts and [t for t in texts if not is_gsm7(t)] == []
