"""Prices per destination country of the Octopush emulator, and the wallet answers built on them.

Octopush prices an SMS by the country of the number's operator (« C'est la nationalité de l'opérateur
destinataire qui est pris en compte », seed 004) and by product (`sms_premium`, `sms_low_cost`). Its
documented wallet routes (reference/octopush.md « Balance ») answer the credit in euros, or counted
in SMS of one product for one country (`GET /wallet/check-balance?country_code=BE&product_name=sms_premium`),
and per country for several (`GET /wallet/check-credits?country_codes[]=FR&country_codes[]=BE` ->
`{"FR": {"premium_sms": 10, "low_cost_sms": 21, "vocal_sms": 0, "hlr": 87}}`).

The emulator's own price list (euros per SMS part): indicative, not Octopush's tariff. The country of a
number is read from its calling code (longest prefix first); unknown ones pay `OTHER`.
"""
from __future__ import annotations

from collections.abc import Iterable

# country -> (sms_premium, sms_low_cost) euros per SMS part
PRICES: dict[str, tuple[float, float]] = {
    "FR": (0.045, 0.035), "BE": (0.079, 0.062), "LU": (0.083, 0.065), "CH": (0.061, 0.048),
    "DE": (0.085, 0.066), "ES": (0.068, 0.052), "IT": (0.072, 0.056), "GB": (0.039, 0.031),
    "RE": (0.072, 0.056), "GP": (0.072, 0.056), "GF": (0.072, 0.056), "MQ": (0.072, 0.056),
    "YT": (0.072, 0.056), "US": (0.058, 0.045),
}
OTHER = (0.12, 0.09)
VOCAL_SMS, HLR = 0.15, 0.005
CALLING_CODES = {"33": "FR", "32": "BE", "352": "LU", "41": "CH", "49": "DE", "34": "ES", "39": "IT",
                 "44": "GB", "262": "RE", "590": "GP", "594": "GF", "596": "MQ", "1": "US"}
PRODUCTS = {"sms_premium": 0, "sms_low_cost": 1}


def country_of(number: str) -> str | None:
    """The country of an E.164 number from its calling code (+33... -> FR); None when unknown."""
    digits = number.lstrip("+")
    for size in (3, 2, 1):
        if digits[:size] in CALLING_CODES:
            return CALLING_CODES[digits[:size]]
    return None


class PriceList:
    """Euros per SMS part by country and product. Without a table (`prices` None), one flat price
    `premium_fr` for every country and product (the emulator's historical `price_per_sms`); with one,
    its prices, France's premium one being `premium_fr`, and `OTHER` for countries it does not list."""

    def __init__(self, premium_fr: float = PRICES["FR"][0], prices: dict[str, tuple[float, float]] | None = None):
        self.flat = premium_fr if prices is None else None
        self.prices = dict(prices or {})
        if prices is not None:
            self.prices["FR"] = (premium_fr, self.prices.get("FR", PRICES["FR"])[1])

    def price(self, country: str | None, product: str = "sms_premium") -> float:
        if self.flat is not None:
            return self.flat
        row = self.prices.get((country or "").upper(), OTHER)
        if product in PRODUCTS:
            return row[PRODUCTS[product]]
        return VOCAL_SMS if product == "vocal_sms" else HLR

    def send_cost(self, numbers: Iterable[str], parts: Iterable[int], product: str) -> float:
        """`total_cost` of a send: each recipient's parts at their country's price, to 4 decimals."""
        return round(sum(n * self.price(country_of(number), product) for number, n in zip(numbers, parts)), 4)

    def count(self, credit: float, country: str, product: str) -> int:
        """The credit as a number of SMS of `product` to `country` (what check-balance answers)."""
        return int(credit / self.price(country, product) + 1e-9)

    def credits(self, credit: float, countries: Iterable[str]) -> dict[str, dict[str, int]]:
        """The check-credits answer: per country, the SMS (and HLR lookups) the credit pays for."""
        return {c.upper(): {"premium_sms": self.count(credit, c, "sms_premium"),
                            "low_cost_sms": self.count(credit, c, "sms_low_cost"),
                            "vocal_sms": int(credit / VOCAL_SMS + 1e-9), "hlr": int(credit / HLR + 1e-9)}
                for c in countries}
