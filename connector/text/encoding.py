"""SMS text encoding (GSM 03.38 7-bit or UCS-2) and segment counting.

A text is sent as GSM-7 when every character is in the GSM 03.38 basic table or its
extension table, else as UCS-2. One SMS carries 160 septets (GSM-7) or 70 UTF-16 code
units (UCS-2); a longer text is split into segments of 153 / 67, the rest of each PDU
being taken by the concatenation header.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 basic table, in code order, without 0x1B (the escape to the extension table,
# never a character of its own). Greek capitals are the Greek code points (U+0394...).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039eÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

# Extension table: each is sent as ESC + code, so it costs 2 septets.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_SEGMENT_UNITS = {GSM7: 160, UCS2: 70}
MULTIPART_SEGMENT_UNITS = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class TextStats:
    """What a text costs as an SMS; `units` are septets (GSM-7) or UTF-16 code units (UCS-2)."""

    encoding: str
    characters: int
    units: int
    segments: int
    per_segment: int
    remaining: int
    non_gsm: tuple[str, ...]


def is_gsm7(text: str) -> bool:
    """True when the whole text can be sent in the GSM 7-bit alphabet."""
    return all(char in GSM_BASIC or char in GSM_EXTENSION for char in text)


def non_gsm_characters(text: str) -> tuple[str, ...]:
    """The characters that force UCS-2, sorted and unique (for user warnings)."""
    return tuple(sorted({c for c in text if c not in GSM_BASIC and c not in GSM_EXTENSION}))


def unit_sizes(text: str, encoding: str) -> list[int]:
    """Cost of each character in units of `encoding`."""
    if encoding == GSM7:
        return [2 if char in GSM_EXTENSION else 1 for char in text]
    # Characters outside the BMP (most emoji) are a UTF-16 surrogate pair.
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def pack_segments(sizes: list[int], per_segment: int) -> tuple[int, int]:
    """(segment count, units used in the last segment), never splitting a character.

    An extension character (ESC + code) or a surrogate pair cut at a segment boundary
    would be garbled on the handset, so it moves whole to the next segment.
    """
    segments, used = 1, 0
    for size in sizes:
        if used + size > per_segment:
            segments, used = segments + 1, 0
        used += size
    return segments, used


def analyze(text: str) -> TextStats:
    """Encoding, length and segment count of `text` as it would be sent."""
    non_gsm = non_gsm_characters(text)
    encoding = UCS2 if non_gsm else GSM7
    sizes = unit_sizes(text, encoding)
    units = sum(sizes)
    single = SINGLE_SEGMENT_UNITS[encoding]
    if units <= single:
        segments = 1 if text else 0
        return TextStats(encoding, len(text), units, segments, single, single - units, non_gsm)
    per_segment = MULTIPART_SEGMENT_UNITS[encoding]
    segments, used = pack_segments(sizes, per_segment)
    return TextStats(
        encoding, len(text), units, segments, per_segment, per_segment - used, non_gsm
    )


_GSM_ALL = GSM_BASIC | GSM_EXTENSION


def segment_count(text: str) -> int:
    """`analyze(text).segments`, without its per-character lists for a text that fits one SMS (most
    campaign texts): a set test in C, and the extension characters counted."""
    if not text:
        return 0
    if _GSM_ALL.issuperset(text):
        units = len(text) + (0 if GSM_BASIC.issuperset(text) else sum(text.count(c) for c in GSM_EXTENSION))
        single = SINGLE_SEGMENT_UNITS[GSM7]
    else:
        units = len(text) + sum(ord(c) > 0xFFFF for c in text) if not text.isascii() else len(text)
        single = SINGLE_SEGMENT_UNITS[UCS2]
    return 1 if units <= single else analyze(text).segments
