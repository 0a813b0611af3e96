"""`smsc solution ...`: the CRM side of the connector. `package` writes the importable solution zip;
`deploy` (solution/deploy.py) installs it through the Web API. `register(subparsers)` adds the commands."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

LANGUAGES = {"en": 1033, "fr": 1036}


def _package(args) -> int:
    from solution.definition import DEFINITION
    from solution.package import write_package

    summary = write_package(Path(args.output), language=LANGUAGES[args.language])
    print(f"{summary.path}: solution {DEFINITION.unique_name} with {summary.tables} tables, {summary.columns} columns, "
          f"{summary.web_resources} web resources ({summary.size} bytes). Import it in Settings > Solutions, then "
          "publish all customizations; the webhook, its steps and the pages' environment variable values "
          "(smsc_ApiBaseUrl, smsc_ApiKey...) are set by `smsc solution deploy`.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    solution = subparsers.add_parser("solution", help="the CRM side: package the solution zip, deploy it")
    commands = solution.add_subparsers(dest="solution_command", required=True)
    package = commands.add_parser("package", help="write the unmanaged solution zip (Settings > Solutions > Import)")
    package.add_argument("--output", required=True, help="the zip file to write, e.g. SmsConnector.zip")
    package.add_argument("--language", choices=sorted(LANGUAGES), default="en",
                         help="the solution's base language (labels are written in French and English)")
    package.set_defaults(run=_package)
    deploy = commands.add_parser("deploy", help="create or update the CRM side in the organisation of the settings "
                                                "(Web API metadata, idempotent)")
    deploy.add_argument("--webhook-url", help="the function app's URL (its /api/dataverse/events is appended when "
                                              "no path is given; add ?code=<function key>); default: SMSC_WEBHOOK_URL")
    deploy.add_argument("--api-url", help="the function app's address the SMS pages call (environment variable "
                                          "smsc_ApiBaseUrl); default: the webhook URL's origin")
    deploy.add_argument("--api-functions-key", help="a function key of the function app the SMS pages send "
                                                   "(environment variable smsc_ApiFunctionKey; every CRM user can "
                                                   "read it); default: left as found")
    deploy.add_argument("--dry-run", action="store_true", help="read the organisation and show the plan; write nothing")
    deploy.add_argument("--update-key", action="store_true",
                        help="send SMSC_WEBHOOK_KEY to the existing service endpoint again (after changing the key)")
    deploy.set_defaults(run=_deploy)


def _deploy(args) -> int:
    from rich.console import Console

    from connector.bootstrap import get_services
    from solution.definition import DEFINITION
    from solution.deploy import (
        DeployError, PageSettings, Webhook, api_base_url, deploy_with_crm, render, webhook_url,
    )

    services = get_services()
    given = args.webhook_url or os.environ.get("SMSC_WEBHOOK_URL")
    key = services.settings.smsc_webhook_key.get_secret_value()
    webhook = Webhook(webhook_url(given, DEFINITION.endpoint.path), key) if given else None
    form_key = services.settings.smsc_form_key
    api_url = args.api_url or given
    # The pages get SMSC_FORM_KEY, never the webhook key: every CRM user can read environment variables.
    pages = PageSettings(api_base_url(api_url) if api_url else None,
                         form_key.get_secret_value() if form_key else None, args.api_functions_key, webhook_key=key)
    console = Console()
    try:
        report = deploy_with_crm(DEFINITION, services.crm, webhook=webhook, dry_run=args.dry_run,
                                 update_key=args.update_key, pages=pages)
    except DeployError as error:
        if error.report is not None:
            render(error.report, console)
        raise
    render(report, console)
    if webhook is not None:
        print(f"webhook: {webhook.shown_url}")
    return 0
