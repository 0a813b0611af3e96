"""The Undeliverable opt-out (DESIGN §7, seed 000 « NPAI »): a number whose last N outgoing SMS all
ended Undeliverable (N = `Configuration.undeliverable_after`, 3 by default) goes on the opt-out list
with reason Undeliverable, which an admin may lift. An active opt-out is left as it is: a STOP is
never turned into an Undeliverable one (only START from the number lifts a STOP)."""
from __future__ import annotations

from collections.abc import Collection

from connector.activity import SmsStatus
from connector.repositories.delivery_targets import DeliveryTargets
from connector.repositories.optouts import OptOutReason, OptOuts


def opt_out_undeliverable(numbers: Collection[str], targets: DeliveryTargets, optouts: OptOuts,
                          after: int) -> list[str]:
    """Checks the numbers that just turned Undeliverable (one bounded query each); returns those opted out."""
    if after < 1:
        return []
    opted_out = []
    for number in sorted(set(numbers)):
        latest = targets.latest_statuses(number, after)
        if len(latest) < after or any(status != SmsStatus.UNDELIVERABLE for status in latest):
            continue
        existing = optouts.find(number)         # read only now: most numbers stop at the count
        if existing is None or not existing.active:
            optouts.opt_out(number, OptOutReason.UNDELIVERABLE)
            opted_out.append(number)
    return opted_out
