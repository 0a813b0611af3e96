"""The French STOP rule: marketing SMS to French numbers must tell how to opt out.

The mention is "STOP au NNNNN" (NNNNN the short number that records the opt-out);
the Octopush guide's simulation refuses a marketing SMS to +33 without it.
"""

from __future__ import annotations

import re

MARKETING = 1  # smsc_smstype: 1 Marketing, 2 Transactional
FRENCH_PREFIX = "+33"
DEFAULT_STOP_TEXT = "STOP au 30101"

# \s also matches the non-breaking spaces word processors put before numbers.
_STOP_MENTION = re.compile(r"\bSTOP\s+au\s+\d{5}\b", re.IGNORECASE)


def has_stop_mention(text: str) -> bool:
    """True when `text` carries a "STOP au NNNNN" mention (any case, any spacing)."""
    return bool(_STOP_MENTION.search(text or ""))


def stop_required(sms_type: int, e164: str) -> bool:
    """True when the SMS must carry the mention: marketing SMS to a French number."""
    return sms_type == MARKETING and (e164 or "").startswith(FRENCH_PREFIX)


def append_stop(text: str, stop_text: str = DEFAULT_STOP_TEXT) -> str:
    """`text` with `stop_text` on a new last line, unless a mention is already there."""
    if has_stop_mention(text) or stop_text.strip().casefold() in text.casefold():
        return text
    body = text.rstrip()
    return f"{body}\n{stop_text}" if body else stop_text
