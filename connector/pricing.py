"""Cost per destination country, and the credit left in money and in SMS (issue 11, seed 004).

An SMS is priced by the country of the number (« C'est la nationalité de l'opérateur destinataire qui
est pris en compte », seed 004), per SMS part: a send costs segments × that country's price.

Where the price comes from, first that answers:
1. the provider's own answer. Octopush has no price list endpoint, but its wallet answers the same
   credit in euros (`GET /wallet/check-balance`) and counted in SMS of our product for one country
   (`?country_code=BE&product_name=sms_premium`): the price is their ratio. A provider whose
   capabilities say `sms_per_country` is read that way.
2. `DEFAULT_PRICES`, a shipped table of indicative euro prices (premium SMS), when the provider cannot
   tell: an empty wallet (0 € / 0 SMS), a provider without a wallet per country. Shipped rather than
   a configuration column: the provider answers for every funded account, and an admin-maintained
   table would drift from the provider's tariff without anyone noticing.

A `Pricing` lives for one preview, one campaign action or one timer run: it asks the provider once per
country (two wallet reads for the first country, one more for each other).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from connector.crm.ttl_cache import TtlCache
from connector.sms import countries
from connector.sms.port import Unsupported

log = logging.getLogger(__name__)

CURRENCY = "EUR"
UNITS = {"euros": "EUR", "euro": "EUR", "eur": "EUR"}
# Indicative euro prices of one premium SMS part (Octopush's public tariff order of magnitude, 2026):
# used only when the provider cannot tell. Overseas departments are priced as abroad (seed 004: the
# Martinique at 0.0715 €/SMS).
DEFAULT_PRICES: dict[str, float] = {
    "FR": 0.045, "BE": 0.079, "LU": 0.083, "CH": 0.061, "DE": 0.085, "ES": 0.068, "IT": 0.072,
    "GB": 0.039, "NL": 0.089, "PT": 0.045, "RE": 0.0715, "GP": 0.0715, "GF": 0.0715, "MQ": 0.0715,
    "YT": 0.0715, "PM": 0.0715, "US": 0.058, "CA": 0.045,
}
DEFAULT_OTHER = 0.12


def country_of(number: str | None, default_country: str = "FR") -> str:
    """The ISO country of an E.164 number (connector.sms.countries: +262 692… is RE); the default
    country when there is no number or it cannot be read."""
    return (number and countries.country_of(number)) or default_country.upper()


def simplest_price(amount: float, count: int) -> float:
    """The price per SMS that the two wallet answers imply: the provider counts whole SMS, so
    `count = floor(amount / price)` and the price lies in (amount / (count + 1), amount / count]. The
    tariff with the fewest decimals in that interval is taken (tariffs are short decimals: 0.045 €),
    else the upper bound to 6 decimals."""
    high, low = amount / count, amount / (count + 1)
    for decimals in range(2, 7):
        scale = 10 ** decimals
        candidate = math.floor(high * scale + 1e-9) / scale
        if candidate > low:
            return candidate
    return round(high, 6)


@dataclass(frozen=True)
class Price:
    country: str
    amount: float             # money per SMS part
    currency: str
    source: str               # "provider" | "default" (the shipped table)


@dataclass(frozen=True)
class Credit:
    """What is left: money, and as SMS of the provider's product to `country`."""
    amount: float
    currency: str
    sms: int | None
    country: str
    product: str | None

    def shown(self) -> dict:
        return {"amount": self.amount, "currency": self.currency, "sms": self.sms, "country": self.country,
                "product": self.product}


class Pricing:
    """Prices and credit of one provider account (an `SmsProvider`, what it tells as its capabilities
    say). Provider errors are raised (ProviderError)."""

    def __init__(self, provider: Any, default_country: str = "FR"):
        self.provider = provider
        self.default_country = default_country.upper()
        self._money: tuple[float, str] | None = None
        self.unit: str | None = None
        self._sms: dict[str, int | None] = {}
        self._prices: dict[str, Price] = {}

    @property
    def product(self) -> str | None:
        return self.provider.capabilities.product

    def money(self) -> tuple[float, str]:
        """The wallet in money: (amount, currency). Unsupported (a ProviderError) where the provider
        tells no balance (its capabilities): the credit checks are then skipped."""
        if self._money is None:
            if not self.provider.capabilities.balance:
                raise Unsupported(f"{self.provider.label} tells no credit balance")
            balance = self.provider.balance()
            self.unit = str(balance.unit)           # the provider's own word ("euros")
            self._money = (float(balance.amount), UNITS.get(self.unit.lower(), self.unit.upper()))
        return self._money

    def sms_left(self, country: str) -> int | None:
        """The credit counted in SMS to `country`: the provider's count, else money / price."""
        country = country.upper()
        if country not in self._sms:
            if self.provider.capabilities.sms_per_country:
                self._sms[country] = self.provider.sms_left(country)
            else:
                amount, _ = self.money()
                price = self.price(country).amount
                self._sms[country] = math.floor(amount / price + 1e-9) if price > 0 else None
        return self._sms[country]

    def price(self, country: str | None = None) -> Price:
        """The price of one SMS part to `country` (the default country when None)."""
        country = (country or self.default_country).upper()
        if country not in self._prices:
            self._prices[country] = self._read_price(country)
        return self._prices[country]

    def _read_price(self, country: str) -> Price:
        if self.provider.capabilities.sms_per_country:
            amount, currency = self.money()
            count = self.sms_left(country)
            if amount > 0 and count:
                return Price(country, simplest_price(amount, count), currency, "provider")
        return Price(country, DEFAULT_PRICES.get(country, DEFAULT_OTHER), CURRENCY, "default")

    def of_number(self, number: str | None) -> Price:
        return self.price(country_of(number, self.default_country))

    def cost(self, number: str | None, segments: int) -> float:
        """What one recipient's SMS costs: its parts at its country's price."""
        return round(segments * self.of_number(number).amount, 4)

    def credit(self, country: str | None = None) -> Credit:
        country = (country or self.default_country).upper()
        amount, currency = self.money()
        return Credit(round(amount, 4), currency, self.sms_left(country), country, self.product)


# Previews (typed as the user writes) and sends read prices and credit at most every few minutes per
# process: a wallet read or two per SMS would double the provider traffic for figures that change slowly.
RECENT_SECONDS = 300
_recent: TtlCache[Pricing] = TtlCache(RECENT_SECONDS)


def recent_pricing(provider: Any, default_country: str = "FR") -> Pricing:
    """A `Pricing` shared for RECENT_SECONDS (it keeps what it read); `Pricing(...)` itself reads afresh
    (prepare's cost, `/api/credit`, the low-credit timer)."""
    return _recent.lookup((provider.name, id(provider), default_country.upper()),
                          lambda: Pricing(provider, default_country))


def forget_recent_pricing() -> None:
    _recent.clear()


def credit_answer(pricing: Pricing, countries: list[str], low_warning: str | None) -> dict:
    """`GET /api/credit`: the money left, the SMS it pays for (per destination country asked, the
    default country first) of the provider's product, the price per SMS there, and the low-credit
    warning. Marketing and transactional SMS cost the same (one product, two purposes), so the count
    is per country and product, not per SMS type."""
    asked = list(dict.fromkeys([pricing.default_country] + [c.upper() for c in countries if c]))
    amount, currency = pricing.money()
    by_country = {c: {"sms": pricing.sms_left(c), "price": pricing.price(c).amount,
                      "price_source": pricing.price(c).source} for c in asked}
    first = by_country[pricing.default_country]
    return {"amount": round(amount, 4), "unit": pricing.unit, "currency": currency, "country": pricing.default_country,
            "sms": first["sms"], "product": pricing.product, "countries": by_country,
            "low_credit": low_warning is not None, "warnings": [low_warning] if low_warning else []}
