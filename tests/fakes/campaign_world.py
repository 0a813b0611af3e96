"""The campaign service wired to in-memory fakes: a provider, the repositories, a fixed clock."""
from dataclasses import dataclass, field
from datetime import datetime, timezone

from connector.campaigns.service import CampaignService
from connector.send_policy import SmsRejected
from connector.configuration import Configuration
from connector.repositories.campaign_recipients import Candidate
from connector.repositories.campaigns import Campaign, CampaignAction, CampaignStatus
from connector.repositories.users import UserFormat
from connector.sms.octopush import CAPABILITIES
from connector.sms.port import Balance, DuplicateRequest, ProviderError, SendResult
from tests.fakes.campaign_activities import FakeCampaignActivities
from tests.fakes.campaign_figures import FakeCampaignFigures
from tests.fakes.campaign_recipients import FakeCampaignRecipients
from tests.fakes.campaigns import FakeCampaigns
from tests.fakes.configuration import FakeConfigurationSource
from tests.fakes.leases import FakeLeases
from tests.fakes.send_ledger import FakeSendLedger
from tests.fakes.optouts import FakeOptOuts
from tests.fakes.report_notes import FakeReportNotes
from tests.fakes.users import FakeUsers
from tests.fakes.work_queue import FakeWorkQueue

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
A_VALIDATE = CampaignAction.VALIDATE
FRENCH, ENGLISH = "user-fr", "user-en"


class FakeProvider:
    """Sends once per request id (a second is a DuplicateRequest); fails as told. Octopush's
    capabilities; its wallet tells 0.045 € per SMS (or fails as told by `fail_price`)."""
    name, label, capabilities = "octopush", "Octopush", CAPABILITIES

    def __init__(self):
        self.sends, self.cancelled, self.request_ids = [], [], set()
        self.fail_send: ProviderError | None = None
        self.fail_price: ProviderError | None = None
        self.keep: set[str] = set()            # tickets it will not cancel (too close to the start)

    def send(self, request):
        if self.fail_send:
            raise self.fail_send
        if request.request_id in self.request_ids:
            raise DuplicateRequest("already accepted")
        self.request_ids.add(request.request_id)
        self.sends.append(request)
        return SendResult(ticket=f"ticket-{len(self.sends)}", recipients=len(request.recipients))

    def cancel(self, ticket: str) -> None:
        if ticket in self.keep:
            raise ProviderError("too late to cancel")
        self.cancelled.append(ticket)

    def balance(self) -> Balance:
        if self.fail_price:
            raise self.fail_price
        return Balance(45.0, "euros")

    def sms_left(self, country_code: str = "FR") -> int:
        return 1000

    @property
    def numbers(self) -> list[str]:
        return sorted(r.phone_number for request in self.sends for r in request.recipients)


def a_campaign(status: CampaignStatus = CampaignStatus.NOT_TRANSMITTED, **columns) -> Campaign:
    values = {"id": "camp-1", "name": "Promo", "etag": 'W/"0"', "recipient_table": "contact",
              "text": "Bonjour [lastname] STOP au 30101", "template_id": None, "sms_type": None, "sender": None,
              "status": status, "ticket": None, "start": None}
    return Campaign(**{**values, **columns})


def contact(n: int, mobile: str | None = None, **row) -> Candidate:
    record = {"contactid": f"c-{n}", "fullname": f"Contact {n}", "lastname": f"Name{n}", **row}
    return Candidate("contact", f"c-{n}", f"Contact {n}", mobile or f"+336000000{n:02d}", record)


@dataclass
class World:
    campaigns: FakeCampaigns
    recipients: FakeCampaignRecipients
    notes: FakeReportNotes = field(default_factory=FakeReportNotes)
    activities: FakeCampaignActivities = field(default_factory=FakeCampaignActivities)
    provider: FakeProvider = field(default_factory=FakeProvider)
    config: Configuration = field(default_factory=Configuration)
    optouts: FakeOptOuts = field(default_factory=FakeOptOuts)
    templates: dict = field(default_factory=dict)       # template id -> text
    figures: FakeCampaignFigures = field(default_factory=FakeCampaignFigures)
    leases: FakeLeases = field(default_factory=FakeLeases)
    ledger: FakeSendLedger = field(default_factory=FakeSendLedger)
    parts_queue: FakeWorkQueue = field(default_factory=lambda: FakeWorkQueue("smsc-campaign-parts"))
    now: datetime = NOW

    def service(self, **kw) -> CampaignService:
        users = kw.pop("users", None) or FakeUsers({FRENCH: UserFormat("fr_FR"), ENGLISH: UserFormat("en_US")},
                                                   {FRENCH: "Claire Martin", ENGLISH: "John Baker"})
        return CampaignService(campaigns=self.campaigns, recipients=self.recipients, notes=self.notes,
                               activities=self.activities, configuration=FakeConfigurationSource(self.config),
                               users=users, optouts=self.optouts, templates=self.template_text,
                               provider=self.provider, figures=self.figures, leases=self.leases,
                               parts_queue=self.parts_queue, ledger=self.ledger, clock=lambda: self.now, **kw)

    def run(self, action, user=ENGLISH, campaign_id="camp-1"):
        return self.service(acts_as=user).run(campaign_id, action, user)

    def release_parts(self, *, order=None) -> list[str]:
        """The part workers on every queued message (in `order` of their indexes when given), until
        none is left; a message a worker puts back comes again (bounded)."""
        from connector.campaigns.parts import release_queued_part

        outcomes = []
        for round_no in range(20):
            queued, self.parts_queue.put_messages = self.parts_queue.put_messages, []
            if round_no:      # what a worker put back with a delay waits for a later call (a later `now`)
                self.parts_queue.put_messages = [(m, delay) for m, delay in queued if delay]
                queued = [(m, delay) for m, delay in queued if not delay]
            messages = [m for m, _ in queued]
            if not messages:
                break
            for index in order or range(len(messages)):
                outcomes.append(release_queued_part(lambda user: self.service(), messages[index]))
            order = None
        return outcomes

    def validate(self, user=ENGLISH, campaign_id="camp-1"):
        """Validate, then the queued parts released: the campaign's final last result and status."""
        queued = self.service(acts_as=user).run(campaign_id, A_VALIDATE, user)
        if queued.ok and queued.status == CampaignStatus.SENDING:
            self.release_parts()
        return queued

    def template_text(self, template_id: str, table: str) -> str:
        if template_id not in self.templates:
            raise SmsRejected("template_unpublished", name=template_id)
        return self.templates[template_id]

    @property
    def campaign(self) -> Campaign:
        return self.campaigns.get("camp-1")


def world(campaign: Campaign | None = None, candidates: list[Candidate] | None = None, **kw) -> World:
    campaign = campaign or a_campaign()
    people = candidates if candidates is not None else [contact(1), contact(2), contact(3)]
    return World(FakeCampaigns(campaign), FakeCampaignRecipients({campaign.id: people}), **kw)
