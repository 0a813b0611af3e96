"""The composition root: builds the adapters from the settings, once per process.

Imports of the adapters are deferred so that loading `function_app` stays fast (cold starts).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from connector.crm.port import Crm
from connector.repositories.work_queue import WorkQueue
from connector.settings import CrmSettings, Settings, get_crm_settings, get_settings
from connector.sms.port import SmsProvider

WEBHOOK_MAX_WAIT = 10      # seconds of Retry-After honoured per retry in the request path
# Queue and timer functions: 4 waits of up to 2 minutes stay inside the host's 10-minute function time-out.
BACKGROUND_MAX_WAIT = 120
BACKGROUND_RETRIES = 4


@dataclass(frozen=True)
class Services:
    settings: Settings
    crm: Crm               # connector.crm.dataverse.DataverseClient
    sms: SmsProvider       # the adapter SMS_PROVIDER names (connector.sms.octopush, smsmode, acs)


def build_crm(settings: CrmSettings, *, retries: int = 3, max_wait: int = WEBHOOK_MAX_WAIT) -> Crm:
    from connector.crm.credentials import credential_from_settings
    from connector.crm.dataverse import DataverseClient
    from connector.http import build_session

    # A webhook call has 60 s: retries and Retry-After waits are kept well inside that budget.
    return DataverseClient(settings.dataverse_base, credential_from_settings(settings),
                           timeout=settings.smsc_http_timeout,
                           session=build_session(retries=retries, max_retry_after=max_wait))


def build_services(settings: Settings) -> Services:
    """The CRM client and the SMS provider SMS_PROVIDER names, from their settings."""
    return Services(settings, build_crm(settings), build_provider(settings))


def build_provider(settings: Settings) -> SmsProvider:
    """The adapter of SMS_PROVIDER (octopush, smsmode, acs); the settings checked it has what it needs."""
    from connector.http import build_session

    timeout = settings.smsc_http_timeout
    if settings.sms_provider == "smsmode":
        from connector.sms.smsmode import RETRY_METHODS as SMSMODE_RETRIES
        from connector.sms.smsmode import SmsmodeClient

        assert settings.smsmode_api_key is not None
        return SmsmodeClient(settings.smsmode_api_key.get_secret_value(), base_url=str(settings.smsmode_base_url),
                             timeout=timeout, stop_mention=settings.smsmode_stop_mention,
                             parallel=settings.smsmode_parallel_requests, callback_urls=_callback_urls(settings),
                             session=build_session(retries=2, max_retry_after=WEBHOOK_MAX_WAIT,
                                                   methods=SMSMODE_RETRIES))
    if settings.sms_provider == "acs":
        return _acs_client(settings, build_session(retries=2, max_retry_after=WEBHOOK_MAX_WAIT,
                                                   methods=_acs_retries()))
    from connector.sms.octopush import RETRY_METHODS, RETRY_STATUSES, OctopushClient

    assert settings.octopush_api_login is not None and settings.octopush_api_key is not None
    return OctopushClient(settings.octopush_api_login, settings.octopush_api_key.get_secret_value(),
                          base_url=str(settings.octopush_base_url).rstrip("/"), timeout=timeout,
                          session=build_session(retries=2, max_retry_after=WEBHOOK_MAX_WAIT, methods=RETRY_METHODS,
                                                statuses=RETRY_STATUSES))


def _acs_retries():
    from connector.sms.acs import RETRY_METHODS

    return RETRY_METHODS


def _acs_client(settings: Settings, session):
    """ACS by ACS_CONNECTION_STRING (its access key), else ACS_ENDPOINT with the managed identity."""
    from connector.crm.auth import ManagedIdentityCredential
    from connector.sms.acs import SCOPE, AcsClient, parse_connection_string

    timeout, sender = settings.smsc_http_timeout, settings.acs_sender
    connection = settings.acs_connection_string.get_secret_value() if settings.acs_connection_string else ""
    if connection:
        endpoint, key = parse_connection_string(connection)
        return AcsClient(endpoint, access_key=key, sender=sender, timeout=timeout, session=session)
    credential = ManagedIdentityCredential(SCOPE, settings.azure_client_id, timeout=timeout)
    return AcsClient(str(settings.acs_endpoint), token=credential.token, sender=sender, timeout=timeout,
                     session=session)


def _callback_urls(settings: Settings):
    """The callback URLs a provider taking them per message names (from SMSC_PUBLIC_URL), else none."""
    from urllib.parse import quote

    from connector.sms.port import CallbackUrls

    if settings.smsc_public_url is None:
        return CallbackUrls()
    origin = str(settings.smsc_public_url).rstrip("/")
    key = quote(settings.smsc_webhook_key.get_secret_value(), safe="")

    def url(route: str) -> str:
        return f"{origin}/api/providers/{settings.sms_provider}/{route}?key={key}"

    return CallbackUrls(url("delivery"), url("inbound"), url("inbound"))


@lru_cache(maxsize=1)
def get_services() -> Services:
    return build_services(get_settings())


@lru_cache(maxsize=1)
def get_background_services() -> Services:
    """The services of the queue and timer functions: they have 10 minutes, not a webhook's 60 s, so their
    CRM client waits as long as Dataverse's service protection asks (its Retry-After) instead of giving up
    the attempt: a throttled part worker would otherwise fail its deliveries and land on the poison queue."""
    services = get_services()
    return replace(services, crm=build_crm(services.settings, retries=BACKGROUND_RETRIES, max_wait=BACKGROUND_MAX_WAIT))


@lru_cache(maxsize=1)
def get_crm() -> Crm:
    """The organisation's client from the Dataverse settings alone (commands that send nothing)."""
    return build_crm(get_crm_settings())


_local_queues: dict[str, "LocalQueue"] = {}


def work_queue(name: str) -> WorkQueue:
    """The queue `name` (connector.repositories.work_queue): the Azure Storage queue of the Functions
    host's storage (`AzureWebJobsStorage`, its connection string or identity-based settings), whose
    trigger runs its messages; without them an in-process one (a local run, the demo), whose due
    messages the local host runs (smsc.serve)."""
    import os

    from connector.queues.local import LocalQueue
    from connector.queues.storage import storage_connection, storage_queue

    connection = storage_connection(os.environ)
    if connection is not None:
        return storage_queue(connection, name)
    return _local_queues.setdefault(name, LocalQueue(name))


def local_queues() -> dict[str, "LocalQueue"]:
    """The in-process queues made so far, by name (the local host drains them)."""
    return _local_queues


def reset() -> None:
    """Forget the settings, clients and cached configuration (the environment changed: tests, demo)."""
    from connector.crm.configuration import forget_configuration
    from connector.crm.users import forget_user_formats
    from connector.low_credit import forget_credit_checks

    _local_queues.clear()          # messages naming another organisation's records
    get_services.cache_clear()
    get_background_services.cache_clear()
    get_settings.cache_clear()
    get_crm.cache_clear()
    get_crm_settings.cache_clear()
    forget_configuration()
    forget_user_formats()
    forget_credit_checks()


# -- services on the Dataverse repositories of one (possibly impersonated) CRM client ---------------
from typing import TYPE_CHECKING  # noqa: E402  (this section is appended to)

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from connector.crm.port import Crm
    from connector.queues.local import LocalQueue
    from connector.crm.quotas import DataverseQuotas
    from connector.crm.sms_activities import DataverseSmsActivities
    from connector.preview import PreviewService
    from connector.repositories.sending import SendingRepositories
    from connector.sms.port import SmsProvider
    from connector.unit_sms import UnitSmsService
    from connector.campaigns.service import CampaignService
    from connector.statistics import Statistics
    from connector.repositories.metadata import TableDefinitions
    from connector.repositories.workflows import WorkflowRepositories


def sending_repositories(crm: Crm) -> SendingRepositories:
    """Configuration, opt-outs, users, templates and recipients, read from Dataverse through `crm`."""
    from connector.crm.configuration import DataverseConfiguration
    from connector.crm.optouts import DataverseOptOuts
    from connector.crm.recipients import DataverseRecipients
    from connector.crm.templates import DataverseTemplates
    from connector.crm.users import DataverseUsers
    from connector.repositories.sending import SendingRepositories

    return SendingRepositories(DataverseConfiguration(crm), DataverseOptOuts(crm), DataverseUsers(crm),
                               DataverseTemplates(crm), DataverseRecipients(crm))


def sms_activities(crm: Crm) -> DataverseSmsActivities:
    from connector.crm.sms_activities import DataverseSmsActivities

    return DataverseSmsActivities(crm)


def unit_sms_service(crm: Crm, provider: SmsProvider, clock: Callable[[], datetime] | None = None
                     ) -> UnitSmsService:
    """The unit send (and its recovery) as `crm`'s user; `clock` for tests and the recovery timer."""
    from connector.clock import utcnow
    from connector.unit_sms import UnitSmsService

    return UnitSmsService(provider, sms_activities(crm), sending_repositories(crm), clock or utcnow,
                          quotas(crm.impersonate(None)), app_activities=sms_activities(crm.impersonate(None)))


def quotas(crm: Crm) -> DataverseQuotas:
    """The quota table and the month's consumption (connector.repositories.quotas) in Dataverse, read
    as the app: every user's consumption counts, whatever they may read themselves."""
    from connector.crm.quotas import DataverseQuotas

    return DataverseQuotas(crm)


def quota_consumption(crm: Crm, clock: Callable[[], datetime] | None = None) -> dict:
    """« Voir l'état des consommations »: each user's quota and use this month (connector.quotas)."""
    from connector.clock import utcnow
    from connector.crm.configuration import DataverseConfiguration
    from connector.crm.users import DataverseUsers
    from connector.quotas import consumption

    enabled = DataverseConfiguration(crm).get().quotas_enabled
    return consumption(quotas(crm), DataverseUsers(crm), (clock or utcnow)(), enabled=enabled)


def statistics(crm: Crm) -> "Statistics":
    """The SMS statistics (connector.statistics) counted by Dataverse's aggregates."""
    from connector.crm.statistics import DataverseStatistics
    from connector.statistics import Statistics

    return Statistics(DataverseStatistics(crm))


def credit_report(crm: Crm, provider: SmsProvider, countries: list[str]) -> dict:
    """`GET /api/credit` (connector.pricing.credit_answer) with the low-credit warning in English."""
    from connector.crm.configuration import DataverseConfiguration
    from connector.low_credit import low_credit_warning
    from connector.pricing import Pricing, credit_answer

    config = DataverseConfiguration(crm).get()
    pricing = Pricing(provider, config.default_country)
    return credit_answer(pricing, countries, low_credit_warning(config, pricing, "en"))


def low_credit_check(crm: Crm, provider: SmsProvider):
    """The low-credit timer's run (connector.low_credit.check_low_credit), as the app."""
    from connector.crm.configuration import DataverseConfiguration
    from connector.crm.low_credit_alerts import DataverseLowCreditAlerts
    from connector.crm.users import DataverseUsers
    from connector.low_credit import check_low_credit
    from connector.pricing import Pricing

    config = DataverseConfiguration(crm).get()
    return check_low_credit(config, Pricing(provider, config.default_country), DataverseLowCreditAlerts(crm),
                            DataverseUsers(crm))


def preview_service(crm: Crm, provider: SmsProvider | None = None) -> PreviewService:
    """`provider`: its prices and credit give the preview's cost (connector.pricing)."""
    from connector.preview import PreviewService

    return PreviewService(sending_repositories(crm), provider)


def campaign_service(crm, provider, *, user_id: str | None = None, **kw) -> "CampaignService":
    """The campaign actions on Dataverse and the SMS provider (`kw`: clock, progress, page_size, and
    the validate fan-out's leases and parts_queue, for tests);
    `user_id`: act as that CRM user (CallerObjectId), so CRM security applies."""
    from functools import partial

    from connector.campaigns.service import CampaignService
    from connector.crm.campaign_activities import DataverseCampaignActivities
    from connector.crm.campaign_figures import DataverseCampaignFigures
    from connector.crm.campaign_recipients import DataverseCampaignRecipients
    from connector.crm.campaigns import DataverseCampaigns
    from connector.crm.configuration import DataverseConfiguration
    from connector.crm.identity import acting_as
    from connector.crm.leases import DataverseLeases
    from connector.crm.optouts import DataverseOptOuts
    from connector.crm.report_notes import DataverseReportNotes
    from connector.crm.send_ledger import DataverseSendLedger
    from connector.crm.users import DataverseUsers
    from connector.crm.templates import DataverseTemplates
    from connector.messages import template_source
    from connector.repositories.work_queue import CAMPAIGN_PARTS

    app_crm, crm = crm, acting_as(crm, user_id)
    # Leases are the connector's own bookkeeping (the send ledger), kept as the app whoever validates.
    kw.setdefault("leases", DataverseLeases(app_crm))
    # The ledger writes a window's activities with its entries when both act as the app (one request).
    kw.setdefault("ledger", DataverseSendLedger(app_crm, activities_crm=crm))
    kw.setdefault("waiting_reports", lambda tickets: delivery_service(app_crm).apply_waiting(tickets))
    kw.setdefault("parts_queue", work_queue(CAMPAIGN_PARTS))
    kw.setdefault("window", get_settings().smsc_campaign_window)
    return CampaignService(
        campaigns=DataverseCampaigns(crm), recipients=DataverseCampaignRecipients(crm),
        notes=DataverseReportNotes(crm), activities=with_waiting_reports(DataverseCampaignActivities(crm), app_crm),
        configuration=DataverseConfiguration(crm), users=DataverseUsers(crm), optouts=DataverseOptOuts(crm),
        templates=partial(template_source, DataverseTemplates(crm)), provider=provider,
        figures=DataverseCampaignFigures(crm), quotas=quotas(app_crm), app_campaigns=DataverseCampaigns(app_crm),
        acts_as=user_id, **kw)


def table_definitions(crm: Crm) -> TableDefinitions:
    """The organisation's tables from its Dataverse metadata (cached a few minutes)."""
    from connector.crm.metadata import DataverseTableDefinitions

    return DataverseTableDefinitions(crm)


def connected_table_definitions() -> TableDefinitions | None:
    """The table definitions of the app's organisation, or None without settings (offline validation)."""
    from connector.settings import SettingsError

    try:
        crm = get_crm()
    except SettingsError:
        return None
    return table_definitions(crm)


def workflow_repositories(crm: Crm) -> WorkflowRepositories:
    """What the hook workflows read and write in the Dataverse of `crm`."""
    from connector.crm.records import DataverseRecords
    from connector.crm.workflows import DataverseWorkflows
    from connector.repositories.workflows import WorkflowRepositories

    return WorkflowRepositories(DataverseWorkflows(crm), DataverseRecords(crm), table_definitions(crm),
                                sms_activities(crm), sending_repositories(crm))


def health_probes(services: Services) -> dict[str, Callable[[], object]]:
    """What GET /api/health tries: one uncached Dataverse read (with the app's token), the provider's
    balance (its credit shown), how the campaign queue's storage is configured."""
    import os

    from connector.crm.configuration import DataverseConfiguration
    from connector.health import provider_credit_probe, storage_queue_probe

    probes: dict[str, Callable[[], object]] = {"dataverse": DataverseConfiguration(services.crm).probe}
    if services.sms.capabilities.balance:       # a provider without a balance (ACS) has nothing to probe
        probes[services.sms.name] = provider_credit_probe(services.sms.balance)
    return probes | {"queue": storage_queue_probe(os.environ)}


if TYPE_CHECKING:
    from connector.campaigns.close_due import Closed


def close_due_campaigns(crm: Crm, clock: Callable[[], datetime] | None = None) -> Closed:
    """Closes the Sent campaigns whose duration has passed (the timer), with their final rates."""
    from connector.campaigns.close_due import close_due_campaigns as close_due
    from connector.clock import utcnow
    from connector.crm.campaign_figures import DataverseCampaignFigures
    from connector.crm.campaigns import DataverseCampaigns
    from connector.crm.configuration import DataverseConfiguration

    duration = DataverseConfiguration(crm).get().campaign_duration_hours
    return close_due(DataverseCampaigns(crm), DataverseCampaignFigures(crm), duration_hours=duration,
                     now=(clock or utcnow)())


# -- the loop back: provider callbacks, delivery reports -----------------------------------------
if TYPE_CHECKING:
    from connector.delivery.service import DeliveryService
    from connector.repositories.campaign_activities import CampaignActivities
    from connector.sms.callbacks import CallbackParser

PROVIDER_NAMES = {"octopush": "Octopush", "smsmode": "smsmode", "acs": "Azure Communication Services"}


def callback_parser(provider: str) -> CallbackParser:
    """The parser of a provider's callback bodies (the route's `{provider}`); NotFound naming it."""
    from connector.errors import NotFound

    if provider == "octopush":
        from connector.sms.octopush_callbacks import OCTOPUSH_CALLBACKS

        return OCTOPUSH_CALLBACKS
    if provider == "smsmode":
        from connector.sms.smsmode_callbacks import SMSMODE_CALLBACKS

        return SMSMODE_CALLBACKS
    raise NotFound(f"unknown SMS provider '{provider[:40]}' (known: octopush, smsmode)",
                   error_code="unknown_provider")


def provider_events(crm: Crm):
    from connector.crm.provider_events import DataverseProviderEvents

    return DataverseProviderEvents(crm)


def delivery_service(crm: Crm, clock: Callable[[], datetime] | None = None,
                     provider: str | None = None) -> DeliveryService:
    """Delivery reports applied to the SMS activities, as the app itself (not a user); failure
    reasons name `provider` (default: SMS_PROVIDER's)."""
    import os

    from connector.clock import utcnow
    from connector.crm.configuration import DataverseConfiguration
    from connector.crm.delivery_targets import DataverseDeliveryTargets
    from connector.crm.optouts import DataverseOptOuts
    from connector.crm.send_ledger import DataverseSendLedger
    from connector.crm.users import DataverseUsers
    from connector.delivery.service import DeliveryService

    name = provider or os.environ.get("SMS_PROVIDER") or "octopush"
    return DeliveryService(DataverseDeliveryTargets(crm), provider_events(crm), DataverseOptOuts(crm),
                           DataverseConfiguration(crm), DataverseUsers(crm), clock or utcnow,
                           provider=PROVIDER_NAMES.get(name, name), ledger=DataverseSendLedger(crm),
                           ticket_per_request=ticket_per_request(name))


def ticket_per_request(provider: str) -> bool:
    """Whether this provider gives one ticket for all the recipients of a request (its capabilities),
    without building its client (delivery reports need no provider credentials)."""
    if provider == "smsmode":
        from connector.sms.smsmode import capabilities as smsmode_capabilities

        return smsmode_capabilities().ticket_per_request
    if provider == "acs":
        from connector.sms.acs import capabilities as acs_capabilities

        return acs_capabilities().ticket_per_request
    from connector.sms.octopush import CAPABILITIES

    return CAPABILITIES.ticket_per_request


def with_waiting_reports(activities: CampaignActivities, crm: Crm) -> CampaignActivities:
    """A campaign's activities that apply, once written, the delivery reports that came before them."""
    from connector.delivery.waiting import AppliesWaitingReports

    return AppliesWaitingReports(activities, lambda tickets: delivery_service(crm).apply_waiting(tickets))


def process_provider_events(crm: Crm, event_ids, clock: Callable[[], datetime] | None = None,
                            keyword_workflows: KeywordWorkflows | None = None):
    """The queue step of the loop back: recorded callbacks applied (connector.loopback); replies
    matching an `inbound` workflow's keywords run it (`keyword_workflows`, built above the core)."""
    from connector.clock import utcnow
    from connector.loopback import process_events

    return process_events(event_ids, events=provider_events(crm), delivery=delivery_service(crm, clock),
                          inbound=lambda: inbound_service(crm, keyword_workflows), clock=clock or utcnow)


# -- the loop back: inbound SMS and opt-outs -------------------------------------------------------
if TYPE_CHECKING:
    from connector.inbound.keyword_workflows import KeywordWorkflows
    from connector.inbound.service import InboundService


def inbound_service(crm: Crm, keyword_workflows: KeywordWorkflows | None = None) -> InboundService:
    """Replies and opt-outs applied as the app itself. `keyword_workflows`: the `inbound` hook
    workflows to run on keywords (workflows.inbound.KeywordWorkflowRunner, built by the caller above
    the core: the workflows are a layer above this one); None runs none."""
    from connector.crm.configuration import DataverseConfiguration
    from connector.crm.conversations import DataverseConversations
    from connector.crm.optouts import DataverseOptOuts
    from connector.inbound.service import InboundService

    return InboundService(DataverseConversations(crm), DataverseOptOuts(crm), DataverseConfiguration(crm),
                          workflows=keyword_workflows)
