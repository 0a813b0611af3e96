"""The SMS as it will go, and the refusal that says why one cannot: the models every send path
and the repositories share (the rules themselves are in `connector.send_policy`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.errors import SmscError
from connector.sms.port import SmsType
from connector.text.encoding import TextStats
from connector.user_texts import say


class SmsRejected(SmscError, ValueError):
    """The SMS cannot go as asked: a key of `user_texts.TEXTS`, written in the user's language."""
    error_code, answer_status = "sms_refused", 422

    def __init__(self, key: str, **values: Any):
        self.key, self.values = key, values
        super().__init__(say("en", key, **values))

    def say(self, lang: str) -> str:
        return say(lang, self.key, **self.values)


@dataclass(frozen=True)
class ComposedSms:
    """The SMS as it will really go: final text, its encoding and segments, type, sender, number, and
    whether the recipient may answer it."""
    text: str
    stats: TextStats
    sms_type: SmsType
    sender: str | None
    phone_number: str | None
    warnings: list[str] = field(default_factory=list)
    with_replies: bool = False
    notice: str | None = None       # written on the activity with the send (a quota or threshold warning)
