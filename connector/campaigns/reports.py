"""Campaign reports written as notes on the campaign, streamed and split into numbered parts so a
part never exceeds the organisation's attachment limit (`maxuploadfilesize`, measured on base64)."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

from connector.repositories.report_notes import Attachment, ReportNotes

MAX_PART = 2 * 1024 * 1024   # bounds memory (an org may allow 128 MB files)
BOM = "\ufeff".encode()
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class NoteParts:
    """Buffers one part in memory, writes it as a note when the next row would not fit."""

    def __init__(self, notes: ReportNotes, campaign_id: str, *, subject: str, filename: str, mimetype: str,
                 upload_limit: int, header: Callable[[int], bytes], footer: Callable[[int, bool], bytes],
                 ticket: str | None = None, part_label: Callable[[int], str] = lambda n: f" ({n})",
                 max_part: int = MAX_PART):
        self.notes, self.campaign_id = notes, campaign_id
        self.subject, self.filename, self.mimetype, self.ticket = subject, filename, mimetype, ticket
        self.header, self.footer, self.part_label = header, footer, part_label
        self.capacity = min(max_part, upload_limit * 3 // 4 - 1024)   # base64 grows by 4/3
        self.part, self.note_ids = 1, list[str]()
        self.buffer = bytearray(header(1))
        self.rows_in_part = 0
        self.last_boundary = len(self.buffer)

    def boundary(self) -> None:
        """A place where the part may end (for `resume.xml`, the end of a release window): it ends here
        when another stretch as long as the last one (and a quarter) might not fit, so that parts hold
        whole stretches (a stretch longer than that still ends the part at the row that does not fit)."""
        stretch = len(self.buffer) - self.last_boundary
        if len(self.buffer) + stretch * 5 // 4 + 1024 > self.capacity:
            self._flush(final=False)
        else:
            self.last_boundary = len(self.buffer)

    def add(self, row: bytes) -> None:
        if self.rows_in_part and len(self.buffer) + len(row) + 1024 > self.capacity:
            self._flush(final=False)
        self.buffer += row
        self.rows_in_part += 1

    def close(self) -> list[str]:
        self._flush(final=True)
        return self.note_ids

    def _flush(self, final: bool) -> None:
        self.buffer += self.footer(self.part, final)
        content, self.buffer = self.buffer, bytearray()      # no second copy of the part
        several = self.part > 1 or not final
        stem, dot, ext = self.filename.rpartition(".")
        name = f"{stem}-{self.part}.{ext}" if several and dot else self.filename
        subject = self.subject + (self.part_label(self.part) if several else "")
        self.note_ids.append(self.notes.create(self.campaign_id, subject, Attachment(name, self.mimetype, content),
                                               ticket=self.ticket))
        self.part += 1
        self.buffer = bytearray(self.header(self.part))
        self.rows_in_part = 0
        self.last_boundary = len(self.buffer)


def csv_row(*fields: str) -> bytes:
    """One `;`-separated line, quoted where needed, CRLF as Excel expects."""
    return CsvLines()(*fields)


class CsvLines:
    """`csv_row` with one writer kept for a whole report (not one built per row)."""

    def __init__(self) -> None:
        self._out = io.StringIO()
        self._writer = csv.writer(self._out, delimiter=";", lineterminator="\r\n")

    def __call__(self, *fields: str) -> bytes:
        self._out.seek(0)
        self._out.truncate()
        self._writer.writerow(fields)
        return self._out.getvalue().encode("utf-8")


def csv_report(notes: ReportNotes, campaign_id: str, *, subject: str, upload_limit: int, part_label) -> NoteParts:
    """`resume.csv`: UTF-8 with a BOM (Excel shows the accents), header `STATUT;DETAIL;NUMERO;SMS`."""
    header = BOM + csv_row("STATUT", "DETAIL", "NUMERO", "SMS")
    return NoteParts(notes, campaign_id, subject=subject, filename="resume.csv", mimetype="text/csv",
                     upload_limit=upload_limit, header=lambda part: header,
                     footer=lambda part, final: b"", part_label=part_label)


# What escaping or dropping would change; most values (numbers, names, texts) have none of it: they go
# as they are, one C search instead of a substitution and three or four replaces.
_TEXT_CHANGES = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_ATTR_CHANGES = re.compile("[&<>\"'\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_text(value: str) -> str:
    if _TEXT_CHANGES.search(value) is None:
        return value
    return escape(_XML_INVALID.sub("", value))


def xml_attr(value) -> str:
    value = str(value)
    if _ATTR_CHANGES.search(value) is None:
        return f'"{value}"'
    return quoteattr(_XML_INVALID.sub("", value))
