"""The CRM user who acts: their name and the formats they read (language, dates, time zone)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class UserFormat:
    """A user's personal options, so merged values and messages read as they do in the CRM."""
    locale: str = "fr_FR"
    date_format: str | None = None
    time_format: str | None = None
    time_zone: str | None = None       # IANA name

    @property
    def language(self) -> str:
        """The language of the texts they read: French or English."""
        return "fr" if self.locale.startswith("fr") else "en"

    def render_options(self) -> dict[str, str | None]:
        """The keyword arguments of `MessageTemplate.render`."""
        return {"locale": self.locale, "date_format": self.date_format, "time_format": self.time_format,
                "time_zone": self.time_zone}


class Users(Protocol):
    def user_format(self, user_id: str | None) -> UserFormat:
        """The user's options; the organisation's defaults for None or an unreadable user."""
        ...

    def full_name(self, user_id: str | None) -> str | None:
        ...

    def default_sender(self, user_id: str | None) -> str | None:
        """The sender the user sends with by default: their own, else their team's (None: neither,
        or no user). Whether it applies is the send policy's call (connector.send_policy.choose_sender)."""
        ...
