"""The `smsc` command."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time


def _demo(args) -> int:
    from pathlib import Path

    from connector.bootstrap import reset
    from smsc.demo import Demo
    from emulators.stack import local_stack
    from functions.local_host import invoke

    with local_stack(args.db, on_environment_change=reset, provider=args.provider) as stack:
        failures = Demo(stack, invoke, output=Path(args.output)).run()
        if args.keep_running:
            _serve_until_interrupted(stack)
    return 1 if failures else 0


def _emulators(args) -> int:
    from emulators.stack import local_stack

    dataverse_port = args.port_dataverse if args.port_dataverse is not None else args.port
    octopush_port = args.port_octopush if args.port_octopush is not None else (args.port + 1 if args.port else 0)
    if args.webhook_key is not None and len(args.webhook_key) < 16:
        return _fail("--webhook-key must be at least 16 characters (as SMSC_WEBHOOK_KEY)")
    # The Dataverse emulator's service-protection limits: the options win over SMSC_EMULATOR_* (dataverse_limits).
    for value, variable in ((args.limit_requests, "SMSC_EMULATOR_REQUESTS_PER_WINDOW"),
                            (args.limit_window, "SMSC_EMULATOR_WINDOW_SECONDS"),
                            (args.limit_concurrent, "SMSC_EMULATOR_CONCURRENT_REQUESTS"),
                            ("off" if args.no_limits else None, "SMSC_EMULATOR_LIMITS")):
        if value is not None:
            os.environ[variable] = str(value)
    from emulators.dataverse_limits import ServiceLimits
    try:
        ServiceLimits.from_environment()
    except ValueError as problem:
        return _fail(str(problem))
    with local_stack(args.db, apply_environment=False, bare=args.bare, dataverse_port=dataverse_port,
                     octopush_port=octopush_port, webhook_key=args.webhook_key) as stack:
        _serve_until_interrupted(stack)
    return 0


def _positive(kind):
    """An argparse type: a number of `kind` above 0."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text} is not above 0")
        return value
    return parse


def _port(text: str) -> int:
    """A TCP port for argparse: 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0 to 65535)")
    return port


def _campaign(args) -> int:
    from smsc.arguments import existing_user
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from connector.bootstrap import campaign_service, get_services
    from connector.campaigns.model import CampaignAction, CampaignStatus, status_label
    from connector.crm.users import DataverseUsers
    from connector.user_texts import TEXTS, say
    from smsc.campaign_parts import release_local_parts, waiting_parts

    services = get_services()
    user = existing_user(services.crm, args.user)
    # One language for the whole run: --lang, else the acting user's (the app's without --user).
    lang = args.lang or DataverseUsers(services.crm).acting_format(user).language
    args.lang = lang                # for the error line, if one comes

    def stage(name: str) -> str:
        return say(lang, f"cli_action_{name}") if f"cli_action_{name}" in TEXTS[lang] else name

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed} {task.fields[unit]}"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task(stage(args.action), total=None, unit=say(lang, "cli_recipients"))
        service = campaign_service(services.crm, services.sms, progress=lambda name, done: bar.update(
            task, description=stage(name), completed=done))
        if args.action == "test":
            numbers = [n for n in (args.numbers or "").split(",") if n.strip()] or None
            summary, sent = service.test(args.campaign_id, numbers, user, lang=lang)
            bar.stop()
            for sms in sent:
                print(f"{sms.number}: {sms.text}")
            print(say(lang, "cli_campaign_result", action=stage("test"), summary=summary,
                      status=status_label(lang, CampaignStatus.READY)))
            return 0
        result = service.run(args.campaign_id, CampaignAction[args.action.upper()], user, lang=lang)
        if args.action == "validate" and result.ok and waiting_parts():
            # Run locally, the parts queue is in-process: its parts are released here, one bar step each.
            parts = bar.add_task(stage("validate"), total=waiting_parts(), unit=say(lang, "cli_parts"))
            result = release_local_parts(services, args.campaign_id,
                                         on_part=lambda outcome: bar.advance(parts)) or result
    print(say(lang, "cli_campaign_result", action=stage(args.action), summary=result.summary,
              status=status_label(lang, result.status)))
    if args.action == "validate" and waiting_parts():     # held for later in a queue that ends with this process
        print(say(lang, "cli_parts_waiting", count=waiting_parts()))
    return 0 if result.ok else 1


def _serve(args) -> int:
    from smsc.serve import serve_command

    return serve_command(args)


def _console(args) -> int:
    from smsc.console import console_command

    return console_command(args)


def _serve_until_interrupted(stack) -> None:
    import shlex

    # `export` lines a shell can take as they are: eval "$(smsc emulators … | grep ^export)".
    print("\n# Emulators running. Settings for the connector (Ctrl-C to stop):", flush=True)
    for name, value in stack.environment.items():
        print(f"export {name}={shlex.quote(value)}")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("smsc-dataverse")
    except PackageNotFoundError:        # run from a checkout that was not installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsc", description="SMS connector for Dynamics 365 / Dataverse")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the unit-SMS story on the local emulators")
    demo.add_argument("--db", help="SQLite file for the Dataverse emulator (default: a temporary file)")
    demo.add_argument("--provider", choices=("octopush", "smsmode", "acs"), default="octopush",
                      help="the SMS provider whose emulator the story runs on (default octopush)")
    demo.add_argument("--keep-running", action="store_true", help="keep the emulators up after the story")
    demo.add_argument("--output", default="smsc-demo-output",
                      help="folder for the campaign's reports resume.csv and resume.xml (default ./smsc-demo-output)")
    demo.set_defaults(run=_demo)
    campaign = commands.add_parser("campaign", help="run a campaign action (uses the app settings)")
    campaign.add_argument("action", choices=["simulate", "prepare", "validate", "cancel", "refresh", "test"])
    campaign.add_argument("campaign_id")
    campaign.add_argument("--user", help="systemuserid to act as (language, notes); default: the app")
    campaign.add_argument("--numbers", help="test: the internal numbers, comma-separated (default: the "
                                            "configuration's campaign test numbers)")
    campaign.add_argument("--lang", choices=["fr", "en"],
                          help="the language of the result (default: the --user's, else the app user's)")
    campaign.set_defaults(run=_campaign)
    emulators = commands.add_parser("emulators", help="serve the Dataverse and Octopush emulators on 127.0.0.1")
    emulators.add_argument("--db", help="SQLite file for the Dataverse emulator")
    emulators.add_argument("--bare", action="store_true",
                           help="a fresh organisation: standard tables only, no smsc_ table or column, no demo data")
    emulators.add_argument("--port", type=_port, default=0,
                           help="Dataverse on this port and Octopush on the next one (default: any free ports)")
    emulators.add_argument("--port-dataverse", type=_port, help="the Dataverse emulator's port")
    emulators.add_argument("--port-octopush", type=_port, help="the Octopush emulator's port")
    emulators.add_argument("--webhook-key", help="SMSC_WEBHOOK_KEY to print (default: a new random one each start)")
    emulators.add_argument("--limit-requests", type=_positive(int), metavar="N",
                           help="service protection: requests per user and window (default 6000)")
    emulators.add_argument("--limit-window", type=_positive(float), metavar="SECONDS",
                           help="service protection: the sliding window (default 300)")
    emulators.add_argument("--limit-concurrent", type=_positive(int), metavar="M",
                           help="service protection: concurrent requests per user (default 52)")
    emulators.add_argument("--no-limits", action="store_true", help="no service-protection limits")
    emulators.set_defaults(run=_emulators)
    serve = commands.add_parser("serve", help="serve the function app's HTTP routes on 127.0.0.1")
    serve.add_argument("--port", type=_port, default=7071, help="port (default 7071, as Core Tools; 0: any free port)")
    serve.add_argument("--emulators", action="store_true", help="start the emulators and point the app at them")
    serve.add_argument("--db", help="SQLite file for the Dataverse emulator (with --emulators)")
    serve.add_argument("--no-timers", action="store_true", help="do not run the timer functions on their schedules")
    serve.set_defaults(run=_serve)
    console = commands.add_parser("console", help="try the forms in a browser, on the emulators (no Dynamics org)")
    console.add_argument("--port", type=_port, default=7070, help="port (default 7070; 0: any free port)")
    console.add_argument("--db", help="SQLite file for the Dataverse emulator")
    console.add_argument("--lang", choices=["fr", "en"], default="fr", help="the user's language (default fr)")
    console.add_argument("--no-timers", action="store_true", help="do not run the timer functions on their schedules")
    console.set_defaults(run=_console)
    from smsc.workflows_cli import register as register_workflows
    register_workflows(commands)
    from smsc.solution_cli import register as register_solution
    register_solution(commands)
    from smsc.provider_cli import register as register_provider
    register_provider(commands)
    from smsc.import_cli import register as register_import
    register_import(commands)
    from smsc.optouts_cli import register as register_optouts
    register_optouts(commands)
    from smsc.quotas_cli import register as register_quotas
    register_quotas(commands)
    from smsc.unit_cli import register as register_unit
    register_unit(commands)
    from smsc.stats_cli import register as register_stats
    register_stats(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The one place where the CLI turns errors into what the user reads: a line, never a traceback."""
    from connector.errors import SmscError

    args = build_parser().parse_args(argv)
    try:
        apply_local_settings()
    except ValueError as error:
        return _fail(str(error))
    # What a command has to say, it prints; the adapters' log lines (a provider refusal logged before
    # the campaign reports it, retries) are for operators: shown with SMSC_DEBUG=1 only.
    debug = bool(os.environ.get("SMSC_DEBUG"))
    logging.basicConfig(level=logging.DEBUG if debug else logging.CRITICAL, format="smsc: %(name)s: %(message)s")
    try:
        return args.run(args)
    except BrokenPipeError:     # `smsc ... | head`: the reader left; nothing more to say
        _silence_stdout()
        return 1
    except SmscError as error:
        # Refusals written for users (campaign, SMS) say it in their language: English here.
        say = getattr(error, "say", None)
        return _fail(say(getattr(args, "lang", None) or "en") if callable(say) else str(error))
    except UnicodeDecodeError as error:
        return _fail(f"not UTF-8 text: {error.reason} at byte {error.start}")
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        return _fail(f"{where}{error.strerror or error}")
    except KeyboardInterrupt:
        return 130
    except Exception as error:      # a bug: one line, the traceback only when asked for
        if os.environ.get("SMSC_DEBUG"):
            raise
        print(f"smsc: unexpected error ({type(error).__name__}: {error}); set SMSC_DEBUG=1 for the details",
              file=sys.stderr)
        return 1


def apply_local_settings(path: str = "local.settings.json") -> list[str]:
    """The `Values` of Functions Core Tools' local.settings.json in the current folder, as the host
    reads them; a variable already set in the environment wins (the shell is the more explicit).
    The names it set."""
    import json

    if not os.path.isfile(path):
        return []
    try:
        with open(path, encoding="utf-8-sig") as file:
            values = json.load(file).get("Values") or {}
    except (ValueError, AttributeError) as error:
        raise ValueError(f"{path}: not the JSON of Functions Core Tools' local settings ({error})") from None
    if not isinstance(values, dict):
        raise ValueError(f"{path}: 'Values' must be an object of settings")
    applied = [name for name, value in values.items() if name not in os.environ and isinstance(value, str)]
    for name in applied:
        os.environ[name] = values[name]
    return applied


def _fail(message: str) -> int:
    print(f"smsc: {message}", file=sys.stderr)
    return 2


def _silence_stdout() -> None:
    """Python flushes stdout at exit and would report the broken pipe again."""
    try:
        stdout = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):      # stdout is no file (captured by a test)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stdout)
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
