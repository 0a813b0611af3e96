"""Where the low-credit alert is raised and remembered (connector.low_credit)."""
from __future__ import annotations

from typing import Protocol


class LowCreditAlerts(Protocol):
    def standing(self) -> bool:
        """Whether an alert was raised and the credit has not gone back above the threshold since."""
        ...

    def remember(self, text: str) -> None:
        """Keeps the raised alert (what it said), so the next run does not raise it again."""
        ...

    def forget(self) -> None:
        """The credit is back above the threshold: the next crossing raises a new alert."""
        ...

    def admins(self) -> list[str]:
        """The systemuser ids of the organisation's administrators, who are told."""
        ...

    def notify(self, user_id: str, title: str, body: str) -> None:
        """Something the user sees in the CRM (an in-app notification), not a log line."""
        ...
