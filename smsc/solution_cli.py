"""`smsc solution ...`: the CRM side of the connector. `package` writes the importable solution zip;
`deploy` (solution/deploy.py) installs it through the Web API. `register(subparsers)` adds the commands."""
from __future__ import annotations

import argparse
from pathlib import Path

LANGUAGES = {"en": 1033, "fr": 1036}


def _package(args) -> int:
    from solution.definition import DEFINITION
    from solution.package import write_package

    summary = write_package(Path(args.output), language=LANGUAGES[args.language])
    print(f"{summary.path}: solution {DEFINITION.unique_name} with {summary.tables} tables, {summary.columns} columns, "
          f"{summary.web_resources} web resources ({summary.size} bytes). Import it in Settings > Solutions, then "
          "publish all customizations; the webhook and its steps are registered by `smsc solution deploy`.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    solution = subparsers.add_parser("solution", help="the CRM side: package the solution zip, deploy it")
    commands = solution.add_subparsers(dest="solution_command", required=True)
    package = commands.add_parser("package", help="write the unmanaged solution zip (Settings > Solutions > Import)")
    package.add_argument("--output", required=True, help="the zip file to write, e.g. SmsConnector.zip")
    package.add_argument("--language", choices=sorted(LANGUAGES), default="en",
                         help="the solution's base language (labels are written in French and English)")
    package.set_defaults(run=_package)
    # `deploy` is added here by solution/deploy.py's CLI lines (register_deploy(commands)).
