"""The low-credit alert (« Alerte crédit », seed 004: « définissez un seuil de crédits. Lorsque votre
solde atteindra cette limite, un email sera envoyé automatiquement afin de vous prévenir »).

The threshold (`Configuration.low_credit_threshold`) counts SMS, as the guide counts credit (seed 003:
« Vous disposez de : 228 SMS »): SMS of the provider's product to the organisation's default country.
Below it, every preview and send carries a warning, and the timer (functions/credit_timers.py) tells
the admins once per crossing: the alert is remembered where `LowCreditAlerts` keeps it (a note on the
configuration row, connector.crm.low_credit_alerts) and forgotten once the credit is back at or above
the threshold, so the next crossing is told again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from typing import Any

from connector.configuration import Configuration
from connector.pricing import Credit, Pricing, forget_recent_pricing, recent_pricing
from connector.repositories.low_credit_alerts import LowCreditAlerts
from connector.repositories.users import Users
from connector.sms.port import ProviderError
from connector.user_texts import say

log = logging.getLogger(__name__)


def forget_credit_checks() -> None:
    forget_recent_pricing()


def threshold_of(config: Configuration) -> int | None:
    threshold = config.low_credit_threshold
    return threshold if threshold and threshold > 0 else None


def low_credit(config: Configuration, pricing: Pricing) -> Credit | None:
    """The credit when it is below the threshold; None when above, or without a threshold."""
    threshold = threshold_of(config)
    if threshold is None:
        return None
    credit = pricing.credit(config.default_country)
    return credit if credit.sms is not None and credit.sms < threshold else None


def low_credit_warning(config: Configuration, pricing: Pricing, lang: str) -> str | None:
    """The warning every preview and send carries below the threshold (None otherwise, or when the
    provider cannot be asked: a send is not held up by the credit check)."""
    try:
        credit = low_credit(config, pricing)
    except ProviderError as error:
        log.warning("credit check skipped: %s", error)
        return None
    return None if credit is None else say_low_credit(lang, credit, threshold_of(config) or 0)


def send_warning(config: Configuration, provider: Any, lang: str) -> str | None:
    """The warning a unit send or a campaign carries below the threshold (written with it); nothing is
    read without a threshold, and a provider failure only skips the warning."""
    threshold = threshold_of(config)
    if threshold is None or provider is None:
        return None
    try:     # the credit read at most every few minutes per process (connector.pricing.recent_pricing)
        credit = recent_pricing(provider, config.default_country).credit()
    except ProviderError as error:
        log.warning("credit check skipped: %s", error)
        return None
    return say_low_credit(lang, credit, threshold) if credit.sms is not None and credit.sms < threshold else None


def say_low_credit(lang: str, credit: Credit, threshold: int) -> str:
    return say(lang, "low_credit", sms=credit.sms, country=credit.country, threshold=threshold,
               amount=f"{credit.amount:.2f}", currency=credit.currency)


@dataclass(frozen=True)
class AlertRun:
    outcome: str                # off | ok | raised | standing | cleared
    credit: Credit | None = None
    told: tuple[str, ...] = ()  # the admins notified


def check_low_credit(config: Configuration, pricing: Pricing, alerts: LowCreditAlerts, users: Users) -> AlertRun:
    """One timer run: raise the alert on the crossing (each admin notified in their language), keep
    quiet while it stands, forget it when the credit is back."""
    threshold = threshold_of(config)
    if threshold is None:
        return AlertRun("off")
    credit = pricing.credit(config.default_country)
    if credit.sms is None or credit.sms >= threshold:
        if alerts.standing():
            alerts.forget()
            return AlertRun("cleared", credit)
        return AlertRun("ok", credit)
    if alerts.standing():
        return AlertRun("standing", credit)
    told = []
    for admin in alerts.admins():
        lang = users.user_format(admin).language
        alerts.notify(admin, say(lang, "low_credit_title"), say_low_credit(lang, credit, threshold))
        told.append(admin)
    alerts.remember(say_low_credit("fr", credit, threshold) + "\n" + say_low_credit("en", credit, threshold))
    return AlertRun("raised", credit, tuple(told))
