from dataclasses import replace
import math

from connector.sms.octopush import CAPABILITIES
from connector.sms.port import Balance, ProviderError

# Euros per SMS by country, as the provider's wallet implies them.
PRICES = {"FR": 0.045, "BE": 0.079}


class WalletProvider:
    """An Octopush-like wallet: euros, and the same credit counted in SMS per country (whole SMS)."""
    name, label, sms_quality = "octopush", "Octopush", "sms_premium"
    capabilities = replace(CAPABILITIES, product=sms_quality)

    def __init__(self, euros: float = 100.0, prices: dict[str, float] | None = None):
        self.euros, self.prices, self.reads = euros, prices or dict(PRICES), []
        self.failure: ProviderError | None = None

    def balance(self) -> Balance:
        self.reads.append("euros")
        if self.failure:
            raise self.failure
        return Balance(self.euros, "euros")

    def sms_left(self, country_code: str) -> int:
        self.reads.append(country_code)
        return math.floor(self.euros / self.prices.get(country_code, 0.12) + 1e-9)
