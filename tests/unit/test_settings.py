import pytest

from connector.settings import SettingsError, load_settings

GOOD = {"DATAVERSE_URL": "https://org.crm4.dynamics.com", "OCTOPUSH_API_LOGIN": "me@example.org",
        "OCTOPUSH_API_KEY": "octo-secret-key", "SMSC_WEBHOOK_KEY": "k" * 24}


@pytest.fixture
def env(monkeypatch):
    for name in list(GOOD) + ["SMSC_HTTP_TIMEOUT", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
                              "DATAVERSE_ACCESS_TOKEN", "AZURE_CLIENT_CERTIFICATE_PATH", "SMSC_FORM_KEY",
                              "SMS_PROVIDER", "SMSMODE_API_KEY", "ACS_CONNECTION_STRING", "ACS_ENDPOINT", "ACS_SENDER",
                              "SMSC_PUBLIC_URL", "SMSC_CAMPAIGN_WINDOW"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_loads_with_defaults(env):
    settings = load_settings()
    assert settings.smsc_http_timeout == 20 and settings.smsc_campaign_window == 5000
    assert settings.dataverse_base == "https://org.crm4.dynamics.com"
    assert str(settings.octopush_base_url).startswith("https://api.octopush.com/v1/public")


def test_missing_setting_is_named(env):
    env.delenv("DATAVERSE_URL")
    with pytest.raises(SettingsError, match="DATAVERSE_URL: Field required"):
        load_settings()


@pytest.mark.parametrize("name, value, expected", [
    ("SMSC_HTTP_TIMEOUT", "soon", "SMSC_HTTP_TIMEOUT"),
    ("SMSC_HTTP_TIMEOUT", "0", "SMSC_HTTP_TIMEOUT"),
    ("SMSC_CAMPAIGN_WINDOW", "50", "SMSC_CAMPAIGN_WINDOW"),
    ("SMSC_CAMPAIGN_WINDOW", "20000", "SMSC_CAMPAIGN_WINDOW"),
    ("DATAVERSE_URL", "not a url", "DATAVERSE_URL"),
    ("SMS_PROVIDER", "twilio", "SMS_PROVIDER"),
    ("SMSC_WEBHOOK_KEY", "short", "SMSC_WEBHOOK_KEY must be at least 16"),
    ("SMSC_FORM_KEY", "short", "SMSC_FORM_KEY must be at least 16"),
    ("SMSC_FORM_KEY", "k" * 24, "SMSC_FORM_KEY must differ from SMSC_WEBHOOK_KEY"),
])
def test_malformed_setting_is_named(env, name, value, expected):
    env.setenv(name, value)
    with pytest.raises(SettingsError, match=expected):
        load_settings()


def test_client_secret_needs_tenant_and_client_and_never_echoes_the_secret(env):
    env.setenv("AZURE_CLIENT_SECRET", "TOP-SECRET-VALUE")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "AZURE_TENANT_ID, AZURE_CLIENT_ID required" in str(caught.value)
    assert "TOP-SECRET-VALUE" not in str(caught.value)


def test_secret_values_do_not_leak_in_validation_errors(env):
    env.setenv("OCTOPUSH_API_KEY", "octo-secret-key")
    env.setenv("SMSC_HTTP_TIMEOUT", "octo-secret-key")       # wrong type, secret-looking input
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "octo-secret-key" not in str(caught.value)


def test_the_form_key_is_optional_and_an_empty_one_is_none(env):
    assert load_settings().smsc_form_key is None
    env.setenv("SMSC_FORM_KEY", "")
    assert load_settings().smsc_form_key is None
    env.setenv("SMSC_FORM_KEY", "f" * 16)
    assert load_settings().smsc_form_key.get_secret_value() == "f" * 16


def test_a_short_form_key_is_named_without_its_value(env):
    env.setenv("SMSC_FORM_KEY", "Secret-Short")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "SMSC_FORM_KEY" in str(caught.value) and "Secret-Short" not in str(caught.value)


def test_smsmode_needs_its_key_and_not_octopush_s(env):
    env.setenv("SMS_PROVIDER", "smsmode")
    env.delenv("OCTOPUSH_API_LOGIN")
    env.delenv("OCTOPUSH_API_KEY")
    with pytest.raises(SettingsError, match="SMS_PROVIDER=smsmode needs SMSMODE_API_KEY"):
        load_settings()
    env.setenv("SMSMODE_API_KEY", "smsmode-secret")
    settings = load_settings()
    assert settings.sms_provider == "smsmode" and str(settings.smsmode_base_url).startswith("https://rest.smsmode.com")


def test_octopush_still_names_its_two_settings(env):
    env.delenv("OCTOPUSH_API_KEY")
    with pytest.raises(SettingsError, match="SMS_PROVIDER=octopush needs OCTOPUSH_API_KEY"):
        load_settings()


@pytest.mark.parametrize("values, expected", [
    ({}, "ACS_CONNECTION_STRING .* or ACS_ENDPOINT"),
    ({"ACS_CONNECTION_STRING": "endpoint=ftp://r.communication.azure.com/;accesskey=TOP-SECRET-KEY",
      "ACS_SENDER": "+18005550100"}, "ACS_CONNECTION_STRING must read endpoint="),
    ({"ACS_ENDPOINT": "https://r.communication.azure.com"}, "SMS_PROVIDER=acs needs ACS_SENDER"),
])
def test_acs_settings_are_named_and_the_key_never_echoed(env, values, expected):
    env.setenv("SMS_PROVIDER", "acs")
    for name, value in values.items():
        env.setenv(name, value)
    with pytest.raises(SettingsError, match=expected) as caught:
        load_settings()
    assert "TOP-SECRET-KEY" not in str(caught.value)


def test_acs_by_managed_identity_or_connection_string(env):
    env.setenv("SMS_PROVIDER", "acs")
    env.setenv("ACS_SENDER", "+18005550100")
    env.setenv("ACS_ENDPOINT", "https://r.communication.azure.com")
    assert load_settings().acs_endpoint is not None
    env.delenv("ACS_ENDPOINT")
    env.setenv("ACS_CONNECTION_STRING", "endpoint=https://r.communication.azure.com/;accesskey=a2V5")
    assert load_settings().acs_connection_string is not None
