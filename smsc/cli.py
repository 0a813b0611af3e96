"""The `smsc` command."""
from __future__ import annotations

import argparse
import sys
import time


def _demo(args) -> int:
    from connector.bootstrap import reset
    from smsc.demo import Demo
    from emulators.stack import local_stack
    from functions.local_host import invoke

    with local_stack(args.db, on_environment_change=reset) as stack:
        Demo(stack, invoke).run()
        if args.keep_running:
            _serve_until_interrupted(stack)
    return 0


def _emulators(args) -> int:
    from emulators.stack import local_stack

    with local_stack(args.db, apply_environment=False) as stack:
        _serve_until_interrupted(stack)
    return 0


def _campaign(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from connector.bootstrap import campaign_service, get_services
    from connector.campaigns.model import CampaignAction

    services = get_services()
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} recipients"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task(args.action, total=None)
        service = campaign_service(services.crm, services.sms,
                                   progress=lambda stage, done: bar.update(task, description=stage, completed=done))
        result = service.run(args.campaign_id, CampaignAction[args.action.upper()], args.user)
    print(f"{result.action.name.lower()}: {result.summary} (status: {result.status.name.lower().replace('_', ' ')})")
    return 0 if result.ok else 1


def _serve_until_interrupted(stack) -> None:
    print("\nEmulators running. Settings for the connector:")
    for name, value in stack.environment.items():
        print(f"  {name}={value}")
    print("Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsc", description="SMS connector for Dynamics 365 / Dataverse")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the unit-SMS story on the local emulators")
    demo.add_argument("--db", help="SQLite file for the Dataverse emulator (default: a temporary file)")
    demo.add_argument("--keep-running", action="store_true", help="keep the emulators up after the story")
    demo.set_defaults(run=_demo)
    campaign = commands.add_parser("campaign", help="run a campaign action (uses the app settings)")
    campaign.add_argument("action", choices=["simulate", "prepare", "validate", "cancel", "refresh"])
    campaign.add_argument("campaign_id")
    campaign.add_argument("--user", help="systemuserid to act as (language, notes); default: the app")
    campaign.set_defaults(run=_campaign)
    emulators = commands.add_parser("emulators", help="serve the Dataverse and Octopush emulators on 127.0.0.1")
    emulators.add_argument("--db", help="SQLite file for the Dataverse emulator")
    emulators.set_defaults(run=_emulators)
    from smsc.workflows_cli import register as register_workflows
    register_workflows(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from connector.campaigns.model import CampaignError
    from connector.crm.port import CrmError
    from connector.settings import SettingsError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (SettingsError, CrmError) as error:     # a clear line, not a traceback
        print(f"smsc: {error}", file=sys.stderr)
        return 2
    except CampaignError as error:
        print(f"smsc: {error.say('en')}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
