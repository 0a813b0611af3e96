"""The opt-out rules (DESIGN §7, seed 000 « liste noire »): who is on the list, who puts a number on
it, and who may take it off.

- A send is refused for a number on the list when the configuration excludes opt-outs (`refuses`).
- STOP (an inbound keyword or the provider's opt-out callback) puts the number on the list with
  reason STOP (`stop`); START from that same number takes a STOP off, and only a STOP (`start`):
  an Undeliverable or Manual opt-out stays.
- An admin may lift an Undeliverable or Manual opt-out, never a STOP one (`lift_by_admin`): « seule
  la personne ayant envoyé STOP pourra réactiver l'envoi de SMS en envoyant START ».

Every rule reads the list now (the `OptOuts` port has no cache): a STOP holds from the very next send.
"""
from __future__ import annotations

from connector.configuration import Configuration
from connector.errors import SmscError
from connector.repositories.optouts import OptOutReason, OptOuts
from connector.user_texts import say


class StopOptOutKept(SmscError):
    """An admin asked to lift a STOP opt-out: only START from the number lifts it."""
    error_code, answer_status = "stop_opt_out", 409


def refuses(number: str | None, config: Configuration, optouts: OptOuts) -> bool:
    """True when this number must not receive the SMS (opted out and opt-outs are excluded)."""
    return bool(number and config.exclude_optouts and optouts.is_opted_out(number))


def stop(number: str, optouts: OptOuts) -> None:
    """The number said STOP: its one row, active, reason STOP (written again when it already is:
    the write is an upsert on the number, so a repeated STOP changes nothing)."""
    optouts.opt_out(number, OptOutReason.STOP)


def start(number: str, optouts: OptOuts) -> bool:
    """The number said START: lifts its STOP opt-out; True when one was lifted."""
    row = optouts.find(number)
    if row is None or not row.active or row.reason != OptOutReason.STOP:
        return False
    optouts.lift(number)
    return True


def lift_by_admin(number: str, optouts: OptOuts, lang: str = "fr") -> bool:
    """An admin lifts the number's opt-out (Undeliverable or Manual); True when one was lifted,
    False when it had none active. Raises StopOptOutKept, in the admin's language, for a STOP one."""
    row = optouts.find(number)
    if row is None or not row.active:
        return False
    if row.reason == OptOutReason.STOP:
        raise StopOptOutKept(say(lang, "optout_stop_kept", number=number))
    optouts.lift(number)
    return True
