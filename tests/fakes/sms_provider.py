from connector.sms.octopush import CAPABILITIES
from connector.sms.port import Balance, ProviderError, SendResult, SmsRequest


class FakeSmsProvider:
    """Accepts every request (a ticket per request), or raises `refusal`; refuses a request id twice."""
    name, label, capabilities = "octopush", "Octopush", CAPABILITIES

    def __init__(self, refusal: ProviderError | None = None, cost: float = 0.045):
        self.requests: list[SmsRequest] = []
        self.refusal, self.cost = refusal, cost

    def send(self, request: SmsRequest) -> SendResult:
        self.requests.append(request)
        if self.refusal is not None:
            raise self.refusal
        return SendResult(f"sms_{len(self.requests)}", len(request.recipients), self.cost)

    def balance(self) -> Balance:
        return Balance(100.0, "euros")
