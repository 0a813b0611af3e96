"""A CSV file of phone numbers (an Excel or CRM export), read as a stream of rows.

- Encoding: a byte-order mark says UTF-8 or UTF-16 (Excel's « Texte Unicode »); otherwise a first
  pass over the bytes, in chunks of 1 MiB through an incremental decoder (constant memory), says
  whether the whole file is UTF-8; if not it is read as Windows-1252 (what Excel writes in France).
- Separator: given (`;` `,` `tab`), or the one of `;` `,` tab found most often in the header line
  (ties go to `;`, Excel's in France); Excel's `sep=;` first line is honoured. A row whose field
  count differs from the header's is split again with the other separators (a file pasted together
  from several exports); when none gives the right count the row is refused.
- Header: the first line is a header when a cell is named like a phone column (phone, mobile,
  mobilephone, téléphone, tél, portable, GSM, numéro…, case and accents ignored; a mobile-like name
  wins over a generic one, an exact name over a partial one), or when `column` names one of its cells.
  A file without a header uses `column` as a 1-based position, its only column, or the first column
  whose first value looks like a phone number.
Rows stream: one record in memory at a time (`csv.field_size_limit` bounds a runaway quoted field).
"""
from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from connector.errors import BadInput

SEPARATORS = {";": ";", ",": ",", "tab": "\t", "\t": "\t"}
DETECTED = (";", ",", "\t")            # in order of preference on a tie
CHUNK = 1 << 20                        # bytes per read of the encoding pass
MOBILE_NAMES = frozenset({"mobile", "mobilephone", "portable", "gsm", "cell", "cellphone", "cellulaire",
                          "telmobile", "telportable", "telephonemobile", "telephoneportable", "numeromobile",
                          "numeroportable", "mobilenumber", "msisdn", "mobil", "handy"})
PHONE_NAMES = frozenset({"phone", "phonenumber", "telephone", "tel", "numero", "numerodetelephone", "numtel",
                         "notel", "number", "telephone1", "numerotelephone"})
MOBILE_PARTS = ("mobile", "portable", "gsm", "cell", "msisdn")
PHONE_PARTS = ("phone", "telephone", "numero", "tel")
_LOOKS_LIKE_NUMBER = re.compile(r"\+?[\d\s.\-()/]{6,20}")


@dataclass(frozen=True)
class SourceRow:
    line: int                  # where the row starts in the file (the first line is 1)
    fields: list[str]          # stripped, as many as the header has (when `problem` is None)
    number: str                # the phone cell as written, "" when empty
    problem: str | None = None  # "empty": a blank line; "fields": wrong field count with every separator


def column_key(name: str) -> str:
    """A header name compared without case, accents, spaces or punctuation (`Téléphone` -> `telephone`)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def phone_rank(name: str) -> int | None:
    """How surely a header names the phone column: 0 mobile, 1 phone, 2 partly mobile, 3 partly phone."""
    key = column_key(name)
    if key in MOBILE_NAMES:
        return 0
    if key in PHONE_NAMES:
        return 1
    if any(part in key for part in MOBILE_PARTS):
        return 2
    if any(part in key for part in PHONE_PARTS):
        return 3
    return None


def detect_encoding(path: Path) -> str:
    """`utf-8-sig`, `utf-16`, `utf-8` or `cp1252`, reading the file once in chunks."""
    with path.open("rb") as data:
        head = data.read(3)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        data.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: data.read(CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


class CsvSource:
    """The rows of one CSV file; `rows()` may be iterated more than once (it reopens the file)."""

    def __init__(self, path: str | Path, *, separator: str | None = None, column: str | None = None):
        self.path = Path(path)
        if separator is not None and separator not in SEPARATORS:
            raise BadInput(f"unknown separator {separator!r}: use ';', ',' or 'tab'", error_code="bad_separator")
        try:
            self.encoding = detect_encoding(self.path)
            self._read_head(SEPARATORS[separator] if separator else None, column)
        except OSError as error:
            raise BadInput(f"{self.path}: cannot read: {error.strerror or error}",
                           error_code="unreadable_file") from None

    # -- what the first lines say ---------------------------------------------------------------
    def _read_head(self, separator: str | None, column: str | None) -> None:
        self.header: list[str] | None = None
        line_no, first = 0, None
        with self._open() as text:
            for line in text:
                line_no += 1
                hint = re.fullmatch(r'"?sep=(.)"?\s*', line)
                if hint:
                    separator = separator or hint[1]
                elif line.strip():
                    first = line
                    break
        if first is None:
            raise BadInput(f"{self.path}: no row to import (the file is empty)", error_code="empty_file")
        self.separator = separator or max(DETECTED, key=lambda s: (first.count(s), -DETECTED.index(s)))
        cells = [cell.strip() for cell in next(csv.reader([first], delimiter=self.separator), [])]
        self.width = len(cells)
        named = self._header_column(cells, column)
        if named is not None:
            self.number_column, self.header, self.first_row_line = named, cells, line_no + 1
        else:
            self.number_column, self.first_row_line = self._data_column(cells, column), line_no

    def _header_column(self, cells: list[str], column: str | None) -> int | None:
        """The phone column of a header line; None when the line is no header."""
        named = [i for i, cell in enumerate(cells) if column_key(cell) == column_key(column)] if column else []
        if named:
            return named[0]
        ranks = [(rank, i) for i, cell in enumerate(cells) if (rank := phone_rank(cell)) is not None]
        if not ranks:
            return None
        if column is None:
            return min(ranks)[1]
        if column.isdigit() and 1 <= int(column) <= len(cells):
            return int(column) - 1
        raise BadInput(f"{self.path}: no column named {column!r} (columns: {', '.join(cells)})",
                       error_code="no_phone_column")

    def _data_column(self, cells: list[str], column: str | None) -> int:
        """The phone column of a file without header, from its first row."""
        if column is not None and column.isdigit() and 1 <= int(column) <= len(cells):
            return int(column) - 1
        if column is not None:
            raise BadInput(f"{self.path}: no column {column!r}: the first line has no header naming it "
                           f"and {len(cells)} column(s)", error_code="no_phone_column")
        if len(cells) == 1:
            return 0
        for i, cell in enumerate(cells):
            if _LOOKS_LIKE_NUMBER.fullmatch(cell) and sum(c.isdigit() for c in cell) >= 6:
                return i
        raise BadInput(f"{self.path}: no phone column found: name it in a header line (phone, mobile, "
                       "téléphone, portable…) or give --column", error_code="no_phone_column")

    # -- the rows -------------------------------------------------------------------------------
    def rows(self) -> Iterator[SourceRow]:
        others = [s for s in DETECTED if s != self.separator]
        with self._open() as text:
            for line, raw, fields in _records(text, self.separator, self.path):
                if line < self.first_row_line:
                    continue
                fields = [f.strip() for f in fields]
                if not any(fields):
                    yield SourceRow(line, fields, "", "empty")
                    continue
                fitted = self._fit(fields) or next(
                    (f for s in others if (f := self._fit(_split(raw, s))) is not None), None)
                if fitted is None:
                    yield SourceRow(line, fields, "", "fields")
                else:
                    yield SourceRow(line, fitted, fitted[self.number_column])

    def _fit(self, fields: list[str]) -> list[str] | None:
        """The fields when they are as many as the header's (trailing empty ones dropped), else None."""
        if len(fields) > self.width and not any(fields[self.width:]):
            fields = fields[:self.width]
        return fields if len(fields) == self.width else None

    def _open(self) -> IO[str]:
        # Windows-1252 leaves five bytes undefined: shown as U+FFFD rather than stopping the import.
        errors = "replace" if self.encoding == "cp1252" else "strict"
        return self.path.open(encoding=self.encoding, errors=errors, newline="")


class _Recorder:
    """The file's lines as csv.reader pulls them, kept until taken: the raw text of each record."""

    def __init__(self, text: IO[str]):
        self._text = text
        self._taken: list[str] = []

    def __iter__(self) -> _Recorder:
        return self

    def __next__(self) -> str:
        line = next(self._text)
        self._taken.append(line)
        return line

    def take(self) -> str:
        raw = "".join(self._taken)
        self._taken.clear()
        return raw


def _records(text: IO[str], separator: str, path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(first line, raw text, fields) of each record (a quoted field may span lines)."""
    lines = _Recorder(text)
    reader = csv.reader(lines, delimiter=separator)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise BadInput(f"{path}: line {start}: {error}", error_code="bad_csv") from None
        yield start, lines.take(), fields
        start = reader.line_num + 1


def _split(raw: str, separator: str) -> list[str]:
    try:
        records = list(csv.reader(raw.splitlines(keepends=True), delimiter=separator))
    except csv.Error:
        return []
    return [f.strip() for f in records[0]] if len(records) == 1 else []
