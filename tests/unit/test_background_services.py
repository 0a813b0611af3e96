"""Queue and timer functions have 10 minutes: their CRM client waits as long as Dataverse's service
protection asks, where the webhook's keeps inside its 60 s."""
import pytest

from connector import bootstrap


@pytest.fixture
def settings_env(monkeypatch):
    monkeypatch.setenv("DATAVERSE_URL", "https://contoso.crm4.dynamics.com")
    monkeypatch.setenv("DATAVERSE_ACCESS_TOKEN", "local-token")
    monkeypatch.setenv("OCTOPUSH_API_LOGIN", "ops@example.com")
    monkeypatch.setenv("OCTOPUSH_API_KEY", "k" * 20)
    monkeypatch.setenv("SMSC_WEBHOOK_KEY", "w" * 32)
    bootstrap.reset()
    yield
    bootstrap.reset()


def retry_of(crm):
    return crm._session.get_adapter("https://contoso.crm4.dynamics.com").max_retries


def test_the_background_client_honours_longer_retry_after_than_the_webhooks(settings_env):
    webhook, background = retry_of(bootstrap.get_services().crm), retry_of(bootstrap.get_background_services().crm)
    assert webhook.retry_after_max == bootstrap.WEBHOOK_MAX_WAIT == 10 and webhook.total == 3
    assert background.retry_after_max == bootstrap.BACKGROUND_MAX_WAIT == 120
    assert background.total == bootstrap.BACKGROUND_RETRIES == 4
    # Four waits of the longest stay inside the host's 10-minute function time-out.
    assert bootstrap.BACKGROUND_RETRIES * bootstrap.BACKGROUND_MAX_WAIT < 600
    assert bootstrap.get_background_services().sms is bootstrap.get_services().sms
