"""What releasing a part needs of the campaign service (`connector.campaigns.service.CampaignService`
has it all): the part worker, the poison step and validate's own release of a one-part campaign see
only this, so the service can release a part itself without the modules importing each other back."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from connector.repositories.campaign_activities import CampaignActivities
from connector.repositories.campaigns import Campaigns
from connector.repositories.configuration import ConfigurationSource
from connector.repositories.leases import Leases
from connector.repositories.optouts import OptOuts
from connector.repositories.report_notes import ReportNotes
from connector.repositories.send_ledger import SendLedger
from connector.repositories.users import Users
from connector.repositories.work_queue import WorkQueue


class PartServices(Protocol):
    @property
    def campaigns(self) -> Campaigns: ...
    @property
    def leases(self) -> Leases: ...
    @property
    def notes(self) -> ReportNotes: ...
    @property
    def activities(self) -> CampaignActivities: ...
    @property
    def ledger(self) -> SendLedger: ...
    @property
    def configuration(self) -> ConfigurationSource: ...
    @property
    def users(self) -> Users: ...
    @property
    def optouts(self) -> OptOuts: ...
    @property
    def provider(self) -> Any: ...          # connector.campaigns.service.CampaignProvider
    @property
    def parts_queue(self) -> WorkQueue: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def waiting_reports(self) -> Callable[[set[str]], object] | None: ...


# user id (None: the app itself) -> the campaign service acting as that user
ServiceFor = Callable[[str | None], PartServices]
