"""Campaign notes (`annotation`) behind the `ReportNotes` port: a preparation's parts are the notes
whose text names its ticket."""
from __future__ import annotations

import base64
from typing import cast

from connector.crm.odata import odata_literal
from connector.crm.port import Crm
from connector.repositories.report_notes import Attachment

NOTE_SET = "annotations"


def ticket_text(ticket: str) -> str:
    return f"ticket: {ticket}"


class DataverseReportNotes:
    def __init__(self, crm: Crm):
        self.crm = crm

    def upload_limit(self) -> int:
        return self.crm.max_upload_size()

    def create(self, campaign_id: str, subject: str, attachment: Attachment | None = None, *,
               ticket: str | None = None) -> str:
        text = ticket_text(ticket) if ticket is not None else ""
        if attachment is None:
            return self.crm.create_note("campaign", campaign_id, subject=subject, text=text)
        return self.crm.create_note("campaign", campaign_id, subject=subject, text=text,
                                    filename=attachment.filename, mimetype=attachment.mimetype,
                                    content=cast(bytes, attachment.content))   # a bytearray part: not copied

    def staged_parts(self, campaign_id: str, ticket: str | None) -> list[str]:
        marker = odata_literal(ticket_text(str(ticket)))
        notes = self.crm.retrieve_multiple(NOTE_SET, select=["filename"], orderby="createdon asc", filter=(
            f"_objectid_value eq {campaign_id} and contains(notetext,{marker})"))
        # Only the staged parts: the cancel note also names the ticket, and carries no file.
        return [note["annotationid"] for note in notes if note.get("filename")]

    def content(self, note_id: str) -> bytes:
        return base64.b64decode(self.crm.retrieve(NOTE_SET, note_id, select=["documentbody"])["documentbody"])
