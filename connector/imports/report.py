"""The report of an import: counts for the summary, and one line per row of the file written as it
goes (`LIGNE;STATUT;DETAIL;NUMERO`, `;`-separated UTF-8 with a BOM, as the campaign reports), so a
million rows never sit in memory. Details are French in every language, like the campaign reports'.
"""
from __future__ import annotations

import csv
import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import IO

from connector.user_texts import CAMPAIGN_REPORT_DETAILS as DETAIL

HEADER = ("LIGNE", "STATUT", "DETAIL", "NUMERO")
SHOWN_REFUSALS = 20          # refused rows kept for the summary; all of them are in the file


class Status(enum.Enum):
    TAKEN = "SUCCES"
    PRESENT = "DEJA PRESENT"
    REFUSED = "ECHEC"


@dataclass(frozen=True)
class Refusal:
    line: int
    key: str                 # its detail in CAMPAIGN_REPORT_DETAILS (`import_invalid_number`…)
    detail: str
    number: str


@dataclass
class ImportReport:
    """`out`: where the report lines go (None: counts only)."""
    out: IO[str] | None = None
    dry_run: bool = False
    read: int = 0
    taken: int = 0
    present: int = 0
    refused: Counter = field(default_factory=Counter)     # detail key -> rows
    first_refusals: list[Refusal] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._writer = csv.writer(self.out, delimiter=";", lineterminator="\r\n") if self.out else None
        if self.out is not None and self._writer is not None:
            self.out.write("\ufeff")
            self._writer.writerow(HEADER)

    def record(self, line: int, status: Status, key: str, number: str, **values: object) -> None:
        """One row's outcome; `key` names its detail in CAMPAIGN_REPORT_DETAILS, filled with `values`."""
        detail = DETAIL[key].format(**values)
        self.read += 1
        if status is Status.TAKEN:
            self.taken += 1
        elif status is Status.PRESENT:
            self.present += 1
        else:
            self.refused[key] += 1
            if len(self.first_refusals) < SHOWN_REFUSALS:
                self.first_refusals.append(Refusal(line, key, detail, number))
        if self._writer is not None:
            self._writer.writerow((line, status.value, detail, number))

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())
