from connector.repositories.report_notes import Attachment


class FakeReportNotes:
    def __init__(self, upload_limit: int = 128 * 1024 * 1024):
        self.limit = upload_limit
        self.notes: dict[str, dict] = {}           # id -> campaign_id, subject, ticket, attachment

    def upload_limit(self) -> int:
        return self.limit

    def create(self, campaign_id: str, subject: str, attachment: Attachment | None = None, *, ticket=None) -> str:
        if attachment is not None:
            attachment = Attachment(attachment.filename, attachment.mimetype, bytes(attachment.content))
        note_id = f"note-{len(self.notes) + 1}"
        self.notes[note_id] = {"campaign_id": campaign_id, "subject": subject, "ticket": ticket,
                               "attachment": attachment}
        return note_id

    def staged_parts(self, campaign_id: str, ticket) -> list[str]:
        return [i for i, n in self.notes.items()
                if n["campaign_id"] == campaign_id and n["ticket"] == ticket and n["attachment"]]

    def content(self, note_id: str) -> bytes:
        return self.notes[note_id]["attachment"].content

    def of(self, campaign_id: str, extension: str = "") -> list[dict]:
        return [n for n in self.notes.values() if n["campaign_id"] == campaign_id
                and (n["attachment"].filename.endswith(extension) if n["attachment"] else not extension)]
