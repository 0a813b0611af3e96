"""Import of a blocklist: the numbers of a CSV file into the opt-out list, reason Manual, active.

A number already actively opted out (STOP, undeliverable or manual) keeps its row as it is: a STOP
is never downgraded to Manual; it counts as already present. The active numbers are read once at
the start into a compact set (as large as the CRM's opt-out list, not the file); a STOP arriving
while the import runs may be written over with Manual, and stays an active opt-out either way.
Writes go 1,000 to a `$batch` (OptOuts.opt_out_many).
"""
from __future__ import annotations

from collections.abc import Callable

from connector.configuration import Configuration
from connector.imports.csv_source import CsvSource
from connector.imports.numbers import NumberSet
from connector.imports.report import ImportReport, Status
from connector.imports.rows import RowChecks, chunks, report_all
from connector.repositories.optouts import OptOutReason, OptOuts


def import_optouts(source: CsvSource, optouts: OptOuts, config: Configuration, report: ImportReport, *,
                   dry_run: bool = False, progress: Callable[[int], None] = lambda rows: None) -> ImportReport:
    active = NumberSet()
    for number in optouts.active_numbers():
        try:
            active.add(number)
        except ValueError:          # a row written by hand, not in E.164: no number of the file can match it
            continue
    checks = RowChecks(config, source.width, require_mobile=False)   # a blocked landline is blocked all the same
    for rows in chunks(source.rows()):
        outcomes = [checks.check(row) for row in rows]
        waiting = [o for o in outcomes if not o.key]
        new = []
        for outcome in waiting:
            if outcome.number in active:
                outcome.settle(Status.PRESENT, "import_optout_present")
            else:
                new.append(outcome)
        refused = {} if dry_run or not new else optouts.opt_out_many([o.number for o in new], OptOutReason.MANUAL)
        for outcome in new:
            if outcome.number in refused:
                outcome.settle(Status.REFUSED, "import_crm_refused", error=refused[outcome.number])
            else:
                outcome.settle(Status.TAKEN, "import_optout_added")
        report_all(report, outcomes)
        progress(report.read)
    return report
