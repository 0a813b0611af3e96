"""Alphanumeric sender IDs (the name shown instead of a number on the handset)."""

from __future__ import annotations

import re

MIN_LENGTH, MAX_LENGTH = 3, 11  # Octopush's limits (GSM allows at most 11 characters)

_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")
_LETTER = re.compile(r"[A-Za-z]")


class InvalidSender(ValueError):
    """A sender ID the provider would refuse; the message says which and why."""


def validate_sender(sender: str) -> str:
    """Return `sender` without surrounding blanks if it is a valid sender ID.

    3 to 11 ASCII letters and digits, at least one letter: an all-digit sender would be
    taken by networks for a phone number, and accents or spaces are refused by Octopush.
    """
    value = (sender or "").strip()
    if not value:
        raise InvalidSender("Sender is empty: give 3 to 11 letters or digits")
    invalid = sorted(set(_NOT_ALPHANUMERIC.findall(value)))
    if invalid:
        shown = ", ".join(repr(char) for char in invalid)
        raise InvalidSender(f"Sender {value!r} may only contain letters A-Z and digits, not {shown}")
    if not MIN_LENGTH <= len(value) <= MAX_LENGTH:
        raise InvalidSender(
            f"Sender {value!r} has {len(value)} characters: {MIN_LENGTH} to {MAX_LENGTH} allowed"
        )
    if not _LETTER.search(value):
        raise InvalidSender(f"Sender {value!r} must contain at least one letter")
    return value
