"""The opt-out rule: an SMS is refused for a number on the opt-out list when the configuration says so."""
from __future__ import annotations

from connector.configuration import Configuration
from connector.repositories.optouts import OptOuts


def refuses(number: str | None, config: Configuration, optouts: OptOuts) -> bool:
    """True when this number must not receive the SMS (opted out and opt-outs are excluded)."""
    return bool(number and config.exclude_optouts and optouts.is_opted_out(number))

