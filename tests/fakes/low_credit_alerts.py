class FakeLowCreditAlerts:
    """The alert kept in memory: the notifications sent and the remembered text."""

    def __init__(self, admins: list[str]):
        self._admins, self.remembered, self.sent = admins, None, []

    def standing(self) -> bool:
        return self.remembered is not None

    def remember(self, text: str) -> None:
        self.remembered = text

    def forget(self) -> None:
        self.remembered = None

    def admins(self) -> list[str]:
        return list(self._admins)

    def notify(self, user_id: str, title: str, body: str) -> None:
        self.sent.append((user_id, title, body))
