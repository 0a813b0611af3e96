from connector.repositories.users import UserFormat


class FakeUsers:
    def __init__(self, formats: dict[str, UserFormat] | None = None, names: dict[str, str] | None = None,
                 senders: dict[str, str] | None = None):
        self.formats, self.names, self.senders = formats or {}, names or {}, senders or {}

    def user_format(self, user_id: str | None) -> UserFormat:
        return self.formats.get(user_id or "", UserFormat())

    def full_name(self, user_id: str | None) -> str | None:
        return self.names.get(user_id or "")

    def default_sender(self, user_id: str | None) -> str | None:
        return self.senders.get(user_id or "")
