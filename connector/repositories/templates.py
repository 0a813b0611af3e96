"""SMS templates (`smsc_smstemplate`, DESIGN §4): a name, the table it is written for, its text."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SmsTemplate:
    id: str | None
    name: str | None
    text: str
    table: str | None          # the logical name of the table it merges (None: any)
    published: bool


class Templates(Protocol):
    def get(self, template_id: str) -> SmsTemplate:
        """The template; NotFound naming it when it does not exist."""
        ...

    def published_named(self, name: str) -> SmsTemplate | None:
        """The published template of that name, if there is one."""
        ...
