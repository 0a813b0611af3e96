"""A campaign's rates from its figures (DESIGN §4): delivery rate = delivered / sent, reply rate =
distinct numbers that replied / recipients sent, in percent with one decimal (half up, as a person
rounds), and the line the user reads after a refresh."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from connector.repositories.campaign_figures import CampaignFigures, CampaignRates
from connector.user_texts import say

TENTH = Decimal("0.1")


def percent(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, one decimal; None when `whole` is zero."""
    if whole <= 0:
        return None
    return float((Decimal(100 * part) / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP))


def rates(figures: CampaignFigures) -> CampaignRates:
    return CampaignRates(delivery=percent(figures.delivered, figures.sent),
                         reply=percent(figures.repliers, figures.sent))


def _number(lang: str, value: float) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "fr" else text


def _plural(lang: str, count: int) -> str:
    """The plural mark: French counts 0 and 1 as singular, English only 1."""
    return "s" if (count > 1 if lang == "fr" else count != 1) else ""


def figures_line(lang: str, figures: CampaignFigures) -> str:
    """« 120 SMS envoyés, 112 délivrés (93,3 %), 8 réponses (6,7 %). »; « 0 SMS envoyé. » alone."""
    found = rates(figures)
    if found.delivery is None or found.reply is None:
        return say(lang, "campaign_figures_none")
    return say(lang, "campaign_figures", sent=figures.sent, delivered=figures.delivered,
               delivery=_number(lang, found.delivery), replies=figures.repliers, reply=_number(lang, found.reply),
               s_sent=_plural(lang, figures.sent), s_delivered=_plural(lang, figures.delivered),
               s_replies=_plural(lang, figures.repliers))
