from connector import bootstrap
from smsc.cli import main


def test_missing_settings_give_one_clear_line_and_exit_2(monkeypatch, capsys):
    for name in ("DATAVERSE_URL", "OCTOPUSH_API_LOGIN", "OCTOPUSH_API_KEY", "SMSC_WEBHOOK_KEY"):
        monkeypatch.delenv(name, raising=False)
    bootstrap.reset()
    assert main(["campaign", "simulate", "0e6a0000-0000-4000-8000-000000000001"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smsc: Invalid settings: DATAVERSE_URL: Field required") and "Traceback" not in err
    bootstrap.reset()
