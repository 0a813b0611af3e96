"""`smsc optouts`: an admin lifts an Undeliverable opt-out through the connector, never a STOP one."""
from smsc.cli import main


def optout(stack, number: str) -> dict:
    [row] = [r for r in stack.dataverse.rows("smsc_optouts") if r["smsc_phonenumber"] == number]
    return row


def test_an_admin_lifts_an_undeliverable_opt_out_but_not_a_stop(stack, capsys):
    stack.dataverse.insert("smsc_optouts", {"smsc_phonenumber": "+33633333333", "smsc_reason": 2, "smsc_active": True})
    stack.dataverse.insert("smsc_optouts", {"smsc_phonenumber": "+33622222222", "smsc_reason": 1, "smsc_active": True})

    assert main(["optouts", "show", "06 33 33 33 33"]) == 0
    assert capsys.readouterr().out == "+33633333333: undeliverable, active\n"
    assert main(["optouts", "lift", "0633333333"]) == 0
    assert capsys.readouterr().out == "+33633333333: opt-out lifted\n" and optout(stack, "+33633333333")["smsc_active"] is False

    assert main(["optouts", "lift", "+33622222222", "--lang", "fr"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smsc: Le +33622222222 a répondu STOP") and err.count("\n") == 1
    assert optout(stack, "+33622222222")["smsc_active"] is True


def test_a_bad_number_is_one_line_and_nothing_is_written(stack, capsys):
    before = len([r for r in stack.dataverse.requests if r.method != "GET"])
    assert main(["optouts", "lift", "12"]) == 2
    assert capsys.readouterr().err.startswith("smsc: ") and \
        len([r for r in stack.dataverse.requests if r.method != "GET"]) == before
