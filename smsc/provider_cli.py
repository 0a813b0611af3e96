"""`smsc provider callbacks`: registers at the SMS provider the URLs it posts delivery reports, replies and
STOP opt-outs to (Octopush: `PATCH /user/campaign-parameters/edit`), then reads them back; without `--url`
it shows what the provider holds. `register(subparsers)` adds the commands to `smsc`.

The URLs carry `SMSC_WEBHOOK_KEY` as `key` (providers cannot send a header) and, when given, an Azure
function key as `code`; both are masked in everything printed.
"""
from __future__ import annotations

import argparse
import os
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

ROUTES = {"deliveries": "delivery", "inbounds": "inbound", "opt_outs": "inbound"}   # opt-outs share the inbound route
LABELS = {"deliveries": "delivery reports", "inbounds": "inbound SMS", "opt_outs": "STOP opt-outs"}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
FUNCTION_KEY_SETTING = "SMSC_FUNCTION_KEY"


def masked(url: str) -> str:
    """`url` with the values of `key` and `code` replaced by ***."""
    from connector.http import mask_url_secrets

    return mask_url_secrets(url)


def app_origin(url: str) -> tuple[str, str | None]:
    """The function app's address without a trailing slash, and the function key given in it as
    `?code=` (as `smsc solution deploy` takes it). BadInput naming the problem otherwise."""
    from connector.errors import BadInput

    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    example = "e.g. https://<app>.azurewebsites.net"
    if parts.scheme not in ("https", "http") or not host:
        raise BadInput(f"--url must be the function app's https address, {example}; not {masked(url)!r}",
                       error_code="bad_url")
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        raise BadInput(f"--url must use https (http only on 127.0.0.1 or localhost, for local use): {masked(url)}",
                       error_code="bad_url")
    if parts.path not in ("", "/"):
        raise BadInput(f"--url is the function app's address without a path, {example} (the routes "
                       f"/api/providers/... are added); not {masked(url)}", error_code="bad_url")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if parts.fragment or set(query) - {"code"}:
        raise BadInput(f"--url takes no query other than ?code=<function key>: {masked(url)}", error_code="bad_url")
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")), query.get("code") or None


def callback_urls(origin: str, provider: str, webhook_key: str, function_key: str | None):
    """The three URLs the provider posts to (opt-outs to the inbound route, which reads both bodies)."""
    from connector.sms.port import CallbackUrls

    def url(route: str) -> str:
        query = f"key={quote(webhook_key, safe='')}"
        if function_key:
            query += f"&code={quote(function_key, safe='')}"
        return f"{origin}/api/providers/{provider}/{route}?{query}"

    return CallbackUrls(**{field: url(route) for field, route in ROUTES.items()})


def show(urls, heading: str) -> None:
    print(heading)
    for field, label in LABELS.items():
        value = getattr(urls, field)
        print(f"  {label:<17} {masked(value) if value else '(none)'}")


def _callbacks(args) -> int:
    from connector.bootstrap import get_services

    services = get_services()
    provider = services.sms
    name = provider.name.capitalize()
    if not args.url:
        if args.function_key or args.dry_run:
            from connector.errors import BadInput

            raise BadInput("--function-key and --dry-run go with --url", error_code="bad_arguments")
        show(provider.callbacks(), f"{name} posts back to:")
        return 0
    origin, code = app_origin(args.url)
    function_key = args.function_key or code or os.environ.get(FUNCTION_KEY_SETTING) or None
    wanted = callback_urls(origin, provider.name, services.settings.smsc_webhook_key.get_secret_value(),
                           function_key)
    if args.dry_run:
        show(wanted, f"Would register at {name} (dry run, nothing sent):")
        if not function_key:
            print(f"  (no function key: the routes check the key; add --function-key or {FUNCTION_KEY_SETTING} "
                  "only if they were put behind function-level authorisation)")
        return 0
    provider.set_callbacks(wanted.deliveries, wanted.inbounds, wanted.opt_outs)
    held = provider.callbacks()
    show(held, f"Registered at {name}; it now posts back to:")
    if held != wanted:
        print(f"smsc: {name} holds other URLs than those sent: check the account's callback settings")
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    provider = subparsers.add_parser("provider", help="the SMS provider's account settings (callback URLs)")
    commands = provider.add_subparsers(dest="provider_command", required=True)
    callbacks = commands.add_parser(
        "callbacks", help="register the URLs the provider posts delivery reports, replies and STOP to "
                          "(without --url: show them, keys masked)")
    callbacks.add_argument("--url", help="the function app's address, e.g. https://<app>.azurewebsites.net "
                                         "(http only on 127.0.0.1/localhost); /api/providers/... is added, with "
                                         "SMSC_WEBHOOK_KEY as key=")
    callbacks.add_argument("--function-key", help="a function key of the app, added as code= (only if the "
                                                  "provider routes were put behind function-level authorisation); "
                                                  f"default: {FUNCTION_KEY_SETTING} or ?code= in --url")
    callbacks.add_argument("--dry-run", action="store_true", help="print what would be registered; send nothing")
    callbacks.set_defaults(run=_callbacks)
