"""The keyword rule (DESIGN §7 « Opt-out »): an inbound SMS *is* a keyword when its whole text equals
one, whatever the case and the accents, with surrounding spaces and trailing punctuation ignored
(« Stop », «  arrêt  », « STOP SMS ! »). A keyword inside a longer message (« stop les relances
svp ») is not one: the customer said something else, and a user reads it in the conversation.

The STOP and START lists come from the configuration (`Configuration.stop_keywords` / `start_keywords`);
the hook workflows' `inbound` triggers use the same comparison for their own keywords.
"""
from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable

from connector.configuration import Configuration


class OptOutKeyword(enum.Enum):
    STOP = "stop"
    START = "start"


def normalized(text: str) -> str:
    """`text` as keywords are compared: case-folded, accents removed, inner spaces collapsed,
    surrounding spaces and trailing punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = " ".join(plain.casefold().split())
    while words and (unicodedata.category(words[-1]).startswith("P") or words[-1].isspace()):
        words = words[:-1]
    return words.strip()


def is_keyword(text: str, keywords: Iterable[str]) -> bool:
    """Whether the whole of `text` is one of `keywords` (compared normalised)."""
    said = normalized(text)
    return bool(said) and any(said == normalized(keyword) for keyword in keywords)


def opt_out_keyword(text: str | None, config: Configuration) -> OptOutKeyword | None:
    """STOP or START when the message is one of the configured keywords; STOP wins a tie (a list
    edited by hand may name a word twice: the opt-out is the safe reading)."""
    if text is None:
        return None
    if is_keyword(text, config.stop_keywords):
        return OptOutKeyword.STOP
    if is_keyword(text, config.start_keywords):
        return OptOutKeyword.START
    return None
