"""Cheaper text (seed 000: « ç, ê et ô » are not handled; seed 004: « € » is replaced by « E » when
the SMS would be too long): characters outside GSM 03.38 force the whole SMS into UCS-2, 70
characters per SMS instead of 160. With the option on, they are replaced by their closest GSM-7 form
when that makes the text GSM-7 or saves segments; « € » (2 septets) becomes « E » only when that
saves a segment. The caller shows the change to the user: never silently.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from connector.text.encoding import GSM_BASIC, GSM_EXTENSION, analyze

# Typography word processors put in (apostrophes, quotes, dashes, spaces) and signs without an
# accent to strip. Accented letters need no entry: they lose their accent (ê → e, ç → c) unless
# GSM-7 has them (é, è, à, ù…), which are kept.
CLOSEST = {
    "’": "'", "‘": "'", "‚": ",", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
    "‹": "'", "›": "'", "…": "...", "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "•": "-",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u200b": "", "\u00ad": "",
    "°": "o", "º": "o", "ª": "a", "œ": "oe", "Œ": "OE", "×": "x", "\t": " ",
}


@dataclass(frozen=True)
class CheaperText:
    text: str                               # what is sent
    replaced: tuple[tuple[str, str], ...]   # (character, replacement), in the order first met
    segments_saved: int                     # SMS saved per recipient (0: only the encoding changed)

    @property
    def changed(self) -> bool:
        return bool(self.replaced)


def _closest(char: str) -> str:
    if char in GSM_BASIC or char in GSM_EXTENSION:
        return char
    if char in CLOSEST:
        return CLOSEST[char]
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare if bare and all(c in GSM_BASIC for c in bare) else char


def cheaper(text: str) -> CheaperText:
    """`text` with its non-GSM characters replaced where that helps, else unchanged."""
    before = analyze(text)
    replaced: dict[str, str] = {}
    result = text
    if before.non_gsm:
        pieces = []
        for char in text:
            closest = _closest(char)
            if closest != char:
                replaced.setdefault(char, closest)
            pieces.append(closest)
        candidate = "".join(pieces)
        after = analyze(candidate)
        if after.segments < before.segments or (after.encoding != before.encoding
                                                and after.segments <= before.segments):
            result = candidate
        else:
            replaced.clear()
    if "€" in result and analyze(result).encoding == "GSM-7":
        candidate = result.replace("€", "E")
        if analyze(candidate).segments < analyze(result).segments:
            result, replaced["€"] = candidate, "E"
    return CheaperText(result, tuple(replaced.items()), before.segments - analyze(result).segments)
