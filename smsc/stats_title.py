"""The statistics' title, shared by the terminal table and the chart."""
from __future__ import annotations

from connector.user_texts import say


def title_of(view: dict) -> str:
    """The period and the time zone whose days it counts (the CRM user's), in the view's language."""
    return say(view["lang"], "stats_title_zone", first=view["from"], last=view["to"], zone=view["time_zone"])
