"""The chart of `smsc stats --plot`: the SMS sent (segments) per group above, the delivery, reply and
STOP rates below, labelled in the user's language. matplotlib is imported here only (the `plot`
extra), with its Agg backend: a PNG file, no window, no display needed."""
from __future__ import annotations

import os

from connector.errors import BadInput

MAX_CATEGORIES = 15             # users, templates, campaigns: the most used ones (the view lists them first)
RATE_COLOURS = (("delivery_rate", "#2e7d32"), ("reply_rate", "#ef6c00"), ("stop_rate", "#c62828"))
VOLUME_COLOUR = "#1565c0"


def check_plot_target(path: str) -> None:
    """Before anything is counted: a .png name in a folder that exists, and matplotlib installed."""
    if not path.lower().endswith(".png"):
        raise BadInput(f"--plot: the chart is written as PNG; name the file *.png, not {path[:60]!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BadInput(f"--plot: no folder {folder}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise BadInput("--plot needs matplotlib: pip install 'smsc-dataverse[plot]'") from None


def plot(view: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from connector.user_texts import say
    from smsc.stats_title import title_of

    lang, by = view["lang"], view["by"]
    periods = by in ("day", "week", "month")
    groups = view["groups"] if periods else view["groups"][:MAX_CATEGORIES]
    labels = [g["label"] for g in groups]
    positions = list(range(len(groups)))
    figure, (volume, rates) = plt.subplots(2, 1, figsize=(max(8.0, 0.45 * len(groups) + 4), 7.5), sharex=True,
                                           height_ratios=(3, 2), layout="constrained")
    figure.suptitle(title_of(view), fontsize=13)
    bars = volume.bar(positions, [g["sms"] for g in groups], color=VOLUME_COLOUR)
    if len(groups) <= 40:
        volume.bar_label(bars, labels=[str(g["sms"]) if g["sms"] else "" for g in groups], fontsize=8, padding=2)
    volume.set_ylabel(say(lang, "stats_chart_volume"))
    volume.set_title(say(lang, f"stats_by_{by}"), loc="left", fontsize=10, color="#555555")
    volume.grid(axis="y", alpha=0.3)
    volume.margins(y=0.15)
    series = [(name, colour, [g[name] if g[name] is not None else float("nan") for g in groups])
              for name, colour in RATE_COLOURS]
    series = [s for s in series if any(v == v for v in s[2])]   # a rate no group has (all NaN): not drawn
    width = 0.8 / max(1, len(series))
    for n, (name, colour, values) in enumerate(series):
        label = say(lang, f"stats_{name}")
        if periods:
            rates.plot(positions, values, marker="o", markersize=3, color=colour, label=label)
            continue
        offset = (n - (len(series) - 1) / 2) * width
        drawn = rates.bar([p + offset for p in positions], values, width, color=colour, label=label)
        rates.bar_label(drawn, labels=[_percent(lang, v) for v in values], fontsize=8, padding=2)
    rates.set_ylim(0, 105)
    rates.set_ylabel(say(lang, "stats_chart_rates"))
    rates.grid(axis="y", alpha=0.3)
    rates.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    step = max(1, len(groups) // 31 + (1 if len(groups) > 31 else 0))
    upright = not periods and len(groups) <= 5
    rates.set_xticks(positions[::step], [_short(label) for label in labels[::step]], rotation=0 if upright else 45,
                     ha="center" if upright else "right", fontsize=9 if upright else 8)
    figure.savefig(path, dpi=120, metadata={"Title": title_of(view)})
    plt.close(figure)


def _short(label: str, size: int = 28) -> str:
    return label if len(label) <= size else label[:size - 1] + "…"


def _percent(lang: str, value: float) -> str:
    if value != value:
        return ""
    return f"{value:.1f}".replace(".", ",") + " %" if lang == "fr" else f"{value:.1f}%"
