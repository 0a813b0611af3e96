"""`smsc demo` tells the whole story and its facts are true (it runs on the real handler)."""
import pytest

from smsc.cli import main


def test_demo_runs_and_shows_one_send_and_the_failures(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")      # no wrapping inside the table cells
    assert main(["demo", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Bonjour Mr Smith, votre commande a bien été enregistrée." in out
    assert "unit-sms:sent" in out and "unit-sms:nothing-to-do" in out
    assert "What Octopush received (1 send)" in out
    assert "liste d'opposition" in out and "STOP au 30101" in out and "Scheduled" in out
    assert "simulate -> 3 recipients. 3 errors." in out
    assert "ECHEC;La mention 'STOP au 30101' doit être présente.;+33600000001;Bonjour Mr Parker" in out
    assert "validate (with the mention) -> 3 SMS sent." in out and "3 SMS activities" in out
    # The loop back, posted by the Octopush emulator over HTTP to the app's provider routes.
    assert "SMS to David Smith: Delivered (6)" in out and "SMS to John Doe: Undeliverable (7)" in out
    # Sent within the same second (createdon has seconds), the account's SMS to its primary contact and
    # David Smith's own are equally recent: the reply follows either conversation (the demo says so).
    reply = "Reply Received (10) from +33649819006: « Merci, à demain ! » (on the "
    assert reply + "contact David Smith)" in out or reply + "account Contoso SA)" in out
    assert "Opt-outs of +33600000001: STOP (1) active=True" in out
    assert "his opt-out is now active=False" in out and "key=***" in out
    assert "NOT AS EXPECTED" not in out


def test_the_demo_holds_cancels_and_releases_scheduled_sms_and_sends_campaigns_in_parts(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")
    assert main(["demo", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    schedules = out[out.index("Scheduled SMS: held by the connector"):out.index("A campaign: the product guide")]
    assert "outcome=scheduled sendat=" in schedules and "handled=unit-sms:cancelled" in schedules
    assert "Held: Rappel : rendez-vous demain à 10h. -> status Scheduled (4)" in schedules
    assert "Cancelled: Rappel : rendez-vous demain à 10h. -> status Cancelled (9)" in schedules
    assert [line.split(": ", 1)[1] for line in schedules.splitlines() if line.startswith("The release timer at")] == [
        "nothing of these to release", "2nd SMS sent", "nothing of these to release"]
    assert "Released: Votre colis arrive cet après-midi. -> status Sent (5)" in schedules
    parts = out[out.index("A campaign of 40 contacts validated in parts"):out.index("A deferred campaign")]
    assert "validate -> 3 of 3 part(s) queued for sending" in parts and "parts total 3, done 0, failed 0" in parts
    assert [line.split("-> ")[1] for line in parts.splitlines() if "part worker:" in line] == [
        f"the campaign shows parts done {n} of 3" for n in (1, 2, 3)]
    assert "the campaign -> 40 SMS sent." in parts and "for 40 numbers (40 different)" in parts
    deferred = out[out.index("A deferred campaign"):out.index("The loop back")]
    assert "held until the deferred start" in deferred and "Campaign cancelled by John Baker" in deferred
    assert "the campaign is no longer being sent (not_transmitted)" in deferred
    assert "Octopush received 0 request(s) for it; 0 SMS activities" in deferred


def test_demo_twice_on_one_database_tells_the_same_story_and_writes_the_reports(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")
    db, output = str(tmp_path / "org.sqlite3"), tmp_path / "reports"
    for _ in range(2):
        assert main(["demo", "--db", db, "--output", str(output)]) == 0
        out = capsys.readouterr().out
        assert "simulate -> 3 recipients. 3 errors." in out and "NOT AS EXPECTED" not in out
        assert "Transactional (2)" in out and "GSM-7 (1)" in out and "{'" not in out
    assert (output / "resume.csv").read_text(encoding="utf-8").startswith("STATUT;DETAIL;NUMERO;SMS")
    assert "<" in (output / "resume.xml").read_text(encoding="utf-8")


def test_a_demo_step_that_does_not_go_as_told_exits_non_zero(tmp_path, capsys, monkeypatch):
    from emulators import dataverse_seed

    # The guide's campaign text already carrying the mention: the simulation no longer finds 3 errors.
    monkeypatch.setattr(dataverse_seed, "ORDER_CAMPAIGN_TEXT", dataverse_seed.ORDER_CAMPAIGN_TEXT + " STOP au 30101")
    assert main(["demo", "--output", str(tmp_path)]) == 1
    assert "NOT AS EXPECTED: the simulation finds the 3 missing STOP mentions" in capsys.readouterr().out


def test_a_scheduled_sms_the_timer_did_not_release_makes_the_demo_fail(tmp_path, capsys, monkeypatch):
    from connector import unit_release

    monkeypatch.setattr(unit_release, "release_due_sms", lambda service, now=None: [])     # a timer that lost them
    assert main(["demo", "--output", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "NOT AS EXPECTED: the second SMS is released and sent at its minute" in out


ACS_CANNOT = ["Azure Communication Services cannot schedule: the connector holds the SMS itself",
              "ECHEC;Azure Communication Services n'envoie pas de SMS marketing vers un numéro français"]


@pytest.mark.parametrize("provider, told", [
    ("smsmode", ["smsmode cannot schedule: the connector holds the SMS itself"]), ("acs", ACS_CANNOT)])
def test_the_demo_tells_its_story_on_the_other_providers_saying_what_they_cannot_do(provider, told, tmp_path, capsys,
                                                                                      monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")
    assert main(["demo", "--provider", provider, "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "NOT AS EXPECTED" not in out and "unit-sms:nothing-to-do" in out
    assert "SMS to David Smith: Delivered (6)" in out and "Opt-outs of +33600000001: STOP (1) active=True" in out
    # Sent within the same second (createdon has seconds), the account's SMS to its primary contact and
    # David Smith's own are equally recent: the reply follows either conversation (the demo says so).
    reply = "Reply Received (10) from +33649819006: « Merci, à demain ! » (on the "
    assert reply + "contact David Smith)" in out or reply + "account Contoso SA)" in out
    assert "has no balance to show: GET /api/credit -> " in out
    assert all(line in out for line in told)
