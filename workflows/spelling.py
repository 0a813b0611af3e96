"""« Did you mean … ? » for a misspelt key, event, operator or column of a workflow definition."""
from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: object, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for a near miss among `known`, else nothing."""
    close = difflib.get_close_matches(name, sorted(known), n=1) if isinstance(name, str) else []
    return f" (did you mean '{close[0]}'?)" if close else ""
