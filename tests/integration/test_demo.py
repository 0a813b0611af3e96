"""`smsc demo` tells the whole story and its facts are true (it runs on the real handler)."""
from smsc.cli import main


def test_demo_runs_and_shows_one_send_and_the_failures(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")      # no wrapping inside the table cells
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Bonjour Mr Smith, votre commande a bien été enregistrée." in out
    assert "unit-sms:sent" in out and "unit-sms:nothing-to-do" in out
    assert "What Octopush received (1 send)" in out
    assert "liste d'opposition" in out and "STOP au 30101" in out and "Scheduled" in out
    assert "simulate -> 3 recipients. 3 errors." in out
    assert "ECHEC;La mention 'STOP au 30101' doit être présente.;+33600000001;Bonjour Mr Parker" in out
    assert "validate (with the mention) -> 3 SMS sent." in out and "3 SMS activities" in out
