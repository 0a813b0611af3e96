"""Notes on a campaign: the simulation and preparation reports (attachments split into parts by
the caller under the organisation's upload limit), the staged preparation parts validate reads back,
and the cancellation note."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str
    content: bytes | bytearray       # passed on as is: a report part is not copied again


class ReportNotes(Protocol):
    def upload_limit(self) -> int:
        """The largest attachment a note may carry, measured on its base64 form."""
        ...

    def create(self, campaign_id: str, subject: str, attachment: Attachment | None = None, *,
               ticket: str | None = None) -> str:
        """A note on the campaign; `ticket` marks it as a part of that preparation. Returns its id."""
        ...

    def staged_parts(self, campaign_id: str, ticket: str | None) -> list[str]:
        """The ids of the notes of that preparation, oldest first."""
        ...

    def content(self, note_id: str) -> bytes:
        """The attachment of a note."""
        ...
