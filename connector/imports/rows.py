"""What every import does to a row before its own rule: refuse blank and malformed lines, normalise
the number with the organisation's settings, refuse a number seen earlier in the file. Rows go by
chunks (one batched write each) and are reported in file order once their chunk is written."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from connector.configuration import Configuration
from connector.imports.csv_source import SourceRow
from connector.imports.numbers import NumberSet
from connector.imports.report import ImportReport, Status
from connector.text.phone import InvalidPhoneNumber, normalize
from connector.user_texts import phone_reason

CHUNK = 1000                  # rows per chunk: the most one `$batch` holds


@dataclass
class Outcome:
    """One row's fate, settled when its chunk has been written."""
    line: int
    number: str               # E.164 once valid, else as written
    status: Status = Status.REFUSED
    key: str = ""             # its detail in CAMPAIGN_REPORT_DETAILS; "" while waiting for the import's rule
    values: dict[str, Any] = field(default_factory=dict)

    def settle(self, status: Status, key: str, **values: Any) -> None:
        self.status, self.key, self.values = status, key, values


def chunks(rows: Iterable[SourceRow], size: int = CHUNK) -> Iterator[list[SourceRow]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


class RowChecks:
    """The checks common to every import; `seen` holds the file's distinct numbers (see numbers.py)."""

    def __init__(self, config: Configuration, width: int, *, require_mobile: bool):
        self.config, self.width, self.require_mobile = config, width, require_mobile
        self.seen = NumberSet()

    def check(self, row: SourceRow) -> Outcome:
        """The row's outcome: refused already (`key` set), or waiting for the import's rule."""
        outcome = Outcome(row.line, row.number)
        if row.problem == "empty":
            outcome.settle(Status.REFUSED, "import_empty")
        elif row.problem == "fields":
            outcome.settle(Status.REFUSED, "import_fields", found=len(row.fields), expected=self.width)
        elif not row.number:
            outcome.settle(Status.REFUSED, "import_no_number")
        else:
            try:
                outcome.number = normalize(row.number, self.config.default_country, require_mobile=self.require_mobile,
                                           international_prefix=self.config.international_prefix)
            except InvalidPhoneNumber as error:
                outcome.settle(Status.REFUSED, "import_invalid_number", reason=phone_reason(error.reason, "fr"),
                               raw=row.number)
            else:
                if not self.seen.add(outcome.number):
                    outcome.settle(Status.REFUSED, "import_duplicate")
        return outcome


def report_all(report: ImportReport, outcomes: Iterable[Outcome]) -> None:
    for outcome in outcomes:
        report.record(outcome.line, outcome.status, outcome.key, outcome.number, **outcome.values)
