"""`smsc workflows ...`: validate definitions, dry-run one on a record, run the schedules, list the
webhook steps the active workflows need. `register(subparsers)` adds the commands to `smsc`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def read_definition(path: Path) -> str:
    """The definition file's text; BadInput naming the file and the problem (exit 2, no traceback)."""
    from connector.errors import BadInput

    try:
        data = path.read_bytes()
    except OSError as error:
        raise BadInput(f"{path}: cannot read: {error.strerror or error}", error_code="unreadable_file") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: not UTF-8 text (byte 0x{data[error.start]:02x} at position {error.start}); "
                       "save the file as UTF-8", error_code="not_utf8") from None


def _validate(args) -> int:
    from connector.bootstrap import connected_table_definitions
    from workflows.definition import BUILTIN_DIR
    from workflows.schema import StaticTableSchema, connected_schema
    from workflows.validation import validate

    paths = sorted(BUILTIN_DIR.glob("*.yaml")) if args.builtins else [Path(p) for p in args.files]
    if not paths:
        print("give definition files, or --builtins", file=sys.stderr)
        return 2
    # With the app settings, the organisation's own tables and columns (custom ones included).
    schema = StaticTableSchema() if args.offline else connected_schema(connected_table_definitions())
    invalid = 0
    for path in paths:
        try:
            issues = validate(path.read_bytes(), schema)
        except OSError as error:
            print(f"{path}: cannot read: {error.strerror}")
            invalid += 1
            continue
        invalid += bool(issues)
        print(f"{path}: {'valid' if not issues else f'{len(issues)} problem(s)'}")
        for issue in issues:
            print(f"  {issue.path or '(document)'}: {issue.message}")
    return 1 if invalid else 0


def _dry_run(args) -> int:
    from connector.bootstrap import get_crm, workflow_repositories
    from workflows.dryrun import dry_run

    definition = read_definition(Path(args.file))
    report = dry_run(workflow_repositories(get_crm()), definition, args.entity,
                     args.id.lower(), message=args.message, user_id=args.user)
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return 0 if report["valid"] else 1


def _run_scheduled(args) -> int:
    from connector.bootstrap import get_services, workflow_repositories
    from connector.clock import utcnow
    from workflows.scheduler import run_scheduled

    services = get_services()
    reports = run_scheduled(workflow_repositories(services.crm), services.sms, utcnow(), page_size=args.page_size)
    for report in reports:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(report.counts().items())) or "nothing sent"
        print(f"{report.workflow}: {report.examined} examined, {report.matched} matched, "
              f"{report.sent_before} sent within the period; {counts}")
    if not reports:
        print("no active schedule workflow")
    return 1 if any(o.outcome == "failed" for r in reports for o in r.outcomes) else 0


def _steps(args) -> int:
    from connector.bootstrap import get_crm, workflow_repositories
    from workflows.engine import required_steps

    steps = required_steps(workflow_repositories(get_crm()))
    for step in steps:
        filtering = ",".join(step.filtering_columns) or "(all columns)"
        image = ",".join(step.pre_image_columns) or "(none)"
        print(f"{step.table:<20} {step.message:<8} filtering: {filtering:<40} pre image: {image}")
    if not steps:
        print("no active workflow needs a webhook step")
    return 0


def page_size(text: str) -> int:
    """Records per page for argparse: Dataverse answers at most 5,000 rows a page."""
    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= size <= 5000:
        raise argparse.ArgumentTypeError(f"{size} is outside 1..5000 (Dataverse's page size limit)")
    return size


def register(subparsers: argparse._SubParsersAction) -> None:
    workflows = subparsers.add_parser("workflows", help="hook workflows: validate, dry-run, run schedules, steps")
    commands = workflows.add_subparsers(dest="workflows_command", required=True)
    check = commands.add_parser("validate", help="check definition files against the CRM tables")
    check.add_argument("files", nargs="*", help="YAML definition files")
    check.add_argument("--builtins", action="store_true", help="check the shipped definitions")
    check.add_argument("--offline", action="store_true",
                       help="check against the standard tables only, even when the app settings name an organisation")
    check.set_defaults(run=_validate)
    trial = commands.add_parser("dry-run", help="what a definition would do on a record (sends nothing)")
    trial.add_argument("file", help="YAML definition file")
    trial.add_argument("--entity", required=True, help="the record's table, e.g. salesorder")
    trial.add_argument("--id", required=True, help="the record's id")
    trial.add_argument("--message", help="the event: Create, Update, Delete... (default: the trigger's)")
    trial.add_argument("--user", help="systemuserid whose language and date format are used")
    trial.set_defaults(run=_dry_run)
    scheduled = commands.add_parser("run-scheduled", help="run the schedule workflows now (uses the app settings)")
    scheduled.add_argument("--page-size", type=page_size, default=5000, help="records per page (1 to 5000)")
    scheduled.set_defaults(run=_run_scheduled)
    steps = commands.add_parser("steps", help="the Dataverse webhook steps the active workflows need")
    steps.set_defaults(run=_steps)
