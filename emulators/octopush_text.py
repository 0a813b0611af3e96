"""How the Octopush emulator counts SMS parts and prices a send, on its own.

Written from the GSM alphabet (3GPP TS 23.038, the "GSM 7 bit default alphabet" and its extension
table) and from Octopush's answer fields (`number_of_sms_needed`, `total_cost`: reference/octopush.md),
independently of connector.text.encoding, so that a test comparing what the connector predicts with
what the emulator charges compares two separate readings of the rules, not one with itself.

- A text goes as GSM 7-bit when every character is in the default alphabet or its extension table,
  else the whole text goes as UCS-2.
- GSM 7-bit: 160 septets in one SMS; an extension character is ESC + its code, two septets.
  Longer texts are split in parts of 153 septets (7 octets of each part carry the concatenation header).
- UCS-2: 70 UTF-16 units in one SMS, parts of 67; a character beyond U+FFFF is two units.
- A two-septet escape or a surrogate pair is never cut between two parts: it starts the next part.
- Cost: parts of every recipient's own (personalised) text, times the price of one SMS.
"""
from __future__ import annotations

from collections.abc import Iterable

ESC = 0x1B
# The default alphabet by code, 0x00 to 0x7F (row after row of 16). Code 0x1B is the escape to the
# extension table, not a character: its place holds a NUL that no text can match.
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"                                   # 0x00
    "Δ_ΦΓΛΩΠΨΣΘΞ\x00ÆæßÉ"                                  # 0x10 (Greek capitals, ESC at 0x1B)
    " !\"#¤%&'()*+,-./"                                    # 0x20
    "0123456789:;<=>?"                                     # 0x30
    "¡ABCDEFGHIJKLMNO"                                     # 0x40
    "PQRSTUVWXYZÄÖÑÜ§"                                     # 0x50
    "¿abcdefghijklmno"                                     # 0x60
    "pqrstuvwxyzäöñüà"                                     # 0x70
)
# The extension table: code after ESC -> character.
EXTENSION = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]",
             0x40: "|", 0x65: "€"}

SEPTETS = {char: 1 for code, char in enumerate(DEFAULT_ALPHABET) if code != ESC}
SEPTETS.update({char: 2 for char in EXTENSION.values()})

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm(text: str) -> bool:
    return all(char in SEPTETS for char in text)


def _units(text: str, gsm: bool) -> list[int]:
    """What each character takes: septets (GSM 7-bit) or UTF-16 units (UCS-2)."""
    if gsm:
        return [SEPTETS[char] for char in text]
    return [len(char.encode("utf-16-le")) // 2 for char in text]


def sms_needed(text: str) -> int:
    """Parts of one recipient's text (0 for an empty text)."""
    if not text:
        return 0
    gsm = is_gsm(text)
    units = _units(text, gsm)
    single, part = (GSM_SINGLE, GSM_PART) if gsm else (UCS2_SINGLE, UCS2_PART)
    if sum(units) <= single:
        return 1
    parts, room = 1, part
    for size in units:
        if size > room:                  # does not fit whole: it opens the next part
            parts, room = parts + 1, part
        room -= size
    return parts


def total_sms_needed(texts: Iterable[str]) -> int:
    """`number_of_sms_needed` of a send: the parts of every recipient's text."""
    return sum(sms_needed(text) for text in texts)


def total_cost(parts: int, price_per_sms: float) -> float:
    """`total_cost` in euros: one price per part sent, to 4 decimals as Octopush answers it."""
    return round(parts * price_per_sms, 4)
