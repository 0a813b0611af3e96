"""`smsc stats [--from DATE] [--to DATE] [--by user|template|campaign|type|day|week|month] [--plot FILE.png]
[--json] [--lang fr|en]`: the SMS statistics of a period (connector.statistics) as a table, the JSON of
GET /api/stats, or a chart. Only the Dataverse settings are needed."""
from __future__ import annotations

import argparse

from connector.statistics import By

COLUMNS = ("sent", "sms", "delivered", "delivery_rate", "failed", "replies", "reply_rate", "stops", "stop_rate",
           "cost")
RATES = {"delivery_rate", "reply_rate", "stop_rate"}


def cell(lang: str, name: str, value) -> str:
    """A figure as the user reads it: « 93,3 % » / « 93.3% », « — » where it does not apply."""
    if value is None:
        return "—"
    if name in RATES:
        return f"{value:.1f}".replace(".", ",") + " %" if lang == "fr" else f"{value:.1f}%"
    if name == "cost":
        text = f"{value:.2f}"
        return text.replace(".", ",") if lang == "fr" else text
    return f"{value:,}".replace(",", "\u202f") if lang == "fr" else f"{value:,}"


def table_of(view: dict):
    from rich.table import Table

    from connector.user_texts import say
    from smsc.stats_title import title_of

    lang = view["lang"]
    table = Table(title=title_of(view))
    table.add_column(say(lang, f"stats_by_{view['by']}") if view["by"] else "")
    for name in COLUMNS:
        table.add_column(say(lang, f"stats_{name}"), justify="right")
    for group in view["groups"]:
        table.add_row(group["label"], *(cell(lang, name, group[name]) for name in COLUMNS))
    table.add_row(say(lang, "stats_total"), *(cell(lang, name, view["total"][name]) for name in COLUMNS),
                  style="bold", end_section=True)
    return table


def _stats(args) -> int:
    import json
    from functools import cache

    from rich.console import Console

    from connector.bootstrap import get_crm, statistics
    from connector.crm.users import DataverseUsers
    from connector.statistics import by_of, period_of

    @cache
    def crm():
        return get_crm()

    # Bad input is refused before any CRM request; today is the app user's, asked only when needed.
    by = by_of(args.by, prefix="--")
    if args.plot and by is None:
        by = By.DAY                 # a chart needs groups: the days of the period
    if args.plot:
        from smsc.stats_plot import check_plot_target
        check_plot_target(args.plot)
    period = period_of(args.date_from, args.date_to, lambda: statistics(crm()).today(), prefix="--")
    lang = args.lang or DataverseUsers(crm()).acting_format().language
    args.lang = lang
    view = statistics(crm()).view(period, by, lang)
    if args.plot:
        from smsc.stats_plot import plot

        plot(view, args.plot)
    if args.json:
        print(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        Console(width=180).print(table_of(view))
    if args.plot:
        print(args.plot)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    stats = subparsers.add_parser("stats", help="SMS statistics of a period: sent, delivery, replies, STOP, cost "
                                                "(Dataverse settings only)")
    stats.add_argument("--from", dest="date_from", metavar="DATE",
                       help="first day, YYYY-MM-DD, in the app user's time zone (their "
                            "personal options; default: the first of the --to month)")
    stats.add_argument("--to", dest="date_to", metavar="DATE",
                       help="last day, YYYY-MM-DD, in that zone (default: today)")
    stats.add_argument("--by", metavar="|".join(By), help="one line per user, template (most used first), "
                                                          "campaign, SMS type, day, ISO week or month")
    stats.add_argument("--plot", metavar="FILE.png", help="also draw the figures as a PNG chart (by day without --by); "
                                                          "needs the plot extra: pip install 'smsc-dataverse[plot]'")
    stats.add_argument("--json", action="store_true", help="print the JSON of GET /api/stats instead of the table")
    stats.add_argument("--lang", choices=["fr", "en"], help="the labels' language (default: the app user's)")
    stats.set_defaults(run=_stats)
