"""The French STOP rule: marketing SMS to French numbers must tell how to opt out.

The mention is the organisation's configured text (DESIGN §4 `smsc_stoptext`, default "STOP au
30101", the short number Octopush requires: another short number does not count — Octopush refuses
it with code 121). It is found whatever its case and spacing; formats such as seed 003's
".STOP 36608" work when that is the configured text. French numbers are mainland France's and the
overseas departments' and collectivities' (connector.text.phone.FRENCH_CODES).
"""

from __future__ import annotations

import re
from functools import lru_cache

from connector.text.phone import is_french

MARKETING = 1  # smsc_smstype: 1 Marketing, 2 Transactional
DEFAULT_STOP_TEXT = "STOP au 30101"


@lru_cache(maxsize=16)
def _mention(stop_text: str) -> re.Pattern[str]:
    # Any run of spaces (\s also matches the non-breaking spaces word processors put before
    # numbers) stands for any other; no digit may follow, so "STOP au 301012" is not the mention.
    # A mention starting with a letter must not be the end of a word ("nonSTOP au 30101").
    words = [re.escape(word) for word in stop_text.split()]
    start = r"(?<!\w)" if stop_text[:1].isalnum() else ""
    return re.compile(start + r"\s+".join(words) + r"(?!\d)", re.IGNORECASE)


def has_stop_mention(text: str, stop_text: str = DEFAULT_STOP_TEXT) -> bool:
    """True when `text` carries the configured mention (any case, any spacing)."""
    return bool(stop_text.strip()) and bool(_mention(stop_text.strip()).search(text or ""))


def stop_required(sms_type: int, e164: str) -> bool:
    """True when the SMS must carry the mention: marketing SMS to a French number (overseas included)."""
    return sms_type == MARKETING and is_french(e164)


def append_stop(text: str, stop_text: str = DEFAULT_STOP_TEXT, *, new_line: bool = True) -> str:
    """`text` with `stop_text` after a line break (or a space), unless the mention is already there."""
    if has_stop_mention(text, stop_text):
        return text
    body = text.rstrip()
    return f"{body}{chr(10) if new_line else ' '}{stop_text}" if body else stop_text
