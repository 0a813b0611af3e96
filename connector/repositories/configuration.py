"""Where the organisation's SMS preferences come from."""
from __future__ import annotations

from typing import Protocol

from connector.configuration import Configuration


class ConfigurationSource(Protocol):
    def get(self) -> Configuration:
        """The current preferences (the defaults when the organisation has none)."""
        ...
