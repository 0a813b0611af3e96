"""`smsc import ...`: CSV files into the CRM (uses the app settings, DATAVERSE_URL and its credentials).

    smsc import optouts FILE.csv [--separator ';'|','|tab] [--column NAME] [--report FILE] [--dry-run]
    smsc import recipients FILE.csv --list NAME [--table contact|lead] [--create] [...]

Prints a summary table; writes the row-by-row report `LIGNE;STATUT;DETAIL;NUMERO` next to the file
(`<name>-report.csv`) or to `--report`. Exit 0 when every row was handled (refused rows included:
they are in the report), 1 when Dataverse refused some writes, 2 for a file or option it cannot use.
`register(subparsers)` adds the commands to `smsc`.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LANG = "en"            # the CLI's language; the report's details are French, as the campaign reports'


def report_path(source: Path, given: str | None) -> Path:
    return Path(given) if given else source.with_name(f"{source.stem}-report.csv")


@contextmanager
def _progress() -> Iterator[Callable[[int], None]]:
    """Rows done so far, on stderr while a terminal shows it (nothing when redirected)."""
    from rich.console import Console
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda rows: None
        return
    with Progress(TextColumn("importing: {task.completed:,} rows"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("import", total=None)
        yield lambda rows: bar.update(task, completed=rows)


def _optouts(args) -> int:
    from connector.bootstrap import get_services
    from connector.crm.configuration import DataverseConfiguration
    from connector.crm.optouts import DataverseOptOuts
    from connector.imports.csv_source import CsvSource
    from connector.imports.optouts import import_optouts
    from connector.imports.report import ImportReport

    source = CsvSource(args.file, separator=args.separator, column=args.column)
    crm = get_services().crm
    config = DataverseConfiguration(crm).get()
    path = report_path(source.path, args.report)
    with path.open("w", encoding="utf-8", newline="") as out, _progress() as progress:
        report = import_optouts(source, DataverseOptOuts(crm), config, ImportReport(out, dry_run=args.dry_run),
                                dry_run=args.dry_run, progress=progress)
    return _summary(report, path)


def _recipients(args) -> int:
    from connector.bootstrap import get_services
    from connector.crm.configuration import DataverseConfiguration
    from connector.crm.marketing_lists import DataverseMarketingLists, DataversePeople
    from connector.imports.csv_source import CsvSource
    from connector.imports.recipients import RecipientsImport
    from connector.imports.report import ImportReport
    from connector.repositories.marketing_lists import MemberTable
    from connector.user_texts import say

    source = CsvSource(args.file, separator=args.separator, column=args.column)
    crm = get_services().crm
    recipients = RecipientsImport(DataverseMarketingLists(crm), DataversePeople(crm), DataverseConfiguration(crm).get(),
                                  list_name=args.list, table=MemberTable(args.table), create=args.create,
                                  dry_run=args.dry_run)         # the list checked before the report is opened
    path = report_path(source.path, args.report)
    with path.open("w", encoding="utf-8", newline="") as out, _progress() as progress:
        done = recipients.run(source, ImportReport(out, dry_run=args.dry_run), progress)
    created = "" if not done.list_created else say(LANG, "import_list_to_create" if args.dry_run
                                                    else "import_list_created")
    print(say(LANG, "import_list", name=args.list, created=created))
    return _summary(done.report, path)


def _summary(report, path: Path) -> int:
    """The counts, the first refused rows, where the report is; the exit code."""
    from rich.console import Console
    from rich.table import Table

    from connector.user_texts import say

    console = Console()
    counts = Table(show_header=False, box=None)
    counts.add_column(justify="left")
    counts.add_column(justify="right")
    for key, value in (("import_read", report.read), ("import_taken", report.taken),
                       ("import_present", report.present), ("import_refused", report.refused_total)):
        counts.add_row(say(LANG, key), f"{value:,}")
    for reason, value in report.refused.most_common():
        counts.add_row(f"  {say(LANG, f'import_reason_{reason}')}", f"{value:,}")
    console.print(counts)
    if report.first_refusals:
        refusals = Table("LIGNE", "DETAIL", "NUMERO")
        for refusal in report.first_refusals:
            refusals.add_row(str(refusal.line), refusal.detail, refusal.number)
        console.print(refusals)
    if report.dry_run:
        console.print(say(LANG, "import_dry_run"))
    console.print(say(LANG, "import_report", path=path), soft_wrap=True)
    return 1 if report.refused.get("import_crm_refused") else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    imports = subparsers.add_parser("import", help="CSV files into the CRM: a blocklist, a marketing list's people")
    commands = imports.add_subparsers(dest="import_command", required=True)
    optouts = commands.add_parser("optouts", help="a blocklist into the opt-out list (reason Manual); "
                                                  "numbers opted out already keep their reason")
    optouts.set_defaults(run=_optouts)
    recipients = commands.add_parser("recipients", help="people into a static marketing list (created if absent), "
                                                        "matched by mobile number")
    recipients.add_argument("--list", required=True, help="the marketing list's name")
    recipients.add_argument("--table", choices=["contact", "lead"], default="contact",
                            help="the list's members (default contact)")
    recipients.add_argument("--create", action="store_true",
                            help="create the people no row matches (names and e-mail from the file's columns)")
    recipients.set_defaults(run=_recipients)
    for command in (optouts, recipients):
        command.add_argument("file", help="the CSV file (UTF-8 with or without BOM, or Windows-1252)")
        command.add_argument("--separator", choices=[";", ",", "tab"], metavar="';'|','|tab",
                             help="the column separator (default: found in the header line)")
        command.add_argument("--column", help="the phone column's name (or its position, from 1), "
                                              "when it cannot be recognised")
        command.add_argument("--report", help="where to write the row-by-row report "
                                              "(default: <file>-report.csv next to the file)")
        command.add_argument("--dry-run", action="store_true", help="check and report; write nothing in the CRM")
