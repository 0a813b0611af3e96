"""Choice values of the smsc_ columns the adapters turn into the models' own types."""
from __future__ import annotations

from typing import Any

CHEAPER_YES, CHEAPER_NO = 1, 2      # smsc_cheapertext on an SMS or a campaign (solution.tables.CHEAPER_TEXT)


def cheaper_choice(value: Any) -> bool | None:
    """A send's cheaper-text choice: Yes, No, or None (empty, or a value we do not know) for the
    configuration's."""
    return {CHEAPER_YES: True, CHEAPER_NO: False}.get(value) if isinstance(value, int) else None
