"""The CLI's settings as a newcomer gives them: local.settings.json, the Web API URL, --version."""
import json
import os

import pytest

from connector.settings import load_settings
from smsc.cli import apply_local_settings, main

SETTINGS = {"OCTOPUSH_API_LOGIN": "a@b.c", "OCTOPUSH_API_KEY": "k", "SMSC_WEBHOOK_KEY": "x" * 20}


@pytest.mark.parametrize("url", ["https://org.crm4.dynamics.com", "https://org.crm4.dynamics.com/",
                                 "https://org.crm4.dynamics.com/api/data/v9.2/",
                                 "https://org.crm4.dynamics.com/api/data/v9.2"])
def test_the_web_api_endpoint_is_read_as_its_organisation(url):
    assert load_settings(dataverse_url=url, **{k.lower(): v for k, v in SETTINGS.items()}).dataverse_base == \
        "https://org.crm4.dynamics.com"


def test_local_settings_values_are_applied_unless_the_environment_has_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OCTOPUSH_API_LOGIN", "from-the-shell")
    monkeypatch.delenv("SMSC_TEST_ONLY_SETTING", raising=False)
    (tmp_path / "local.settings.json").write_text(json.dumps({
        "IsEncrypted": False, "Values": {"OCTOPUSH_API_LOGIN": "from-the-file", "SMSC_TEST_ONLY_SETTING": "yes"}}))
    try:
        assert apply_local_settings() == ["SMSC_TEST_ONLY_SETTING"]
        assert os.environ["SMSC_TEST_ONLY_SETTING"] == "yes" and os.environ["OCTOPUSH_API_LOGIN"] == "from-the-shell"
    finally:
        os.environ.pop("SMSC_TEST_ONLY_SETTING", None)


def test_a_broken_local_settings_file_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "local.settings.json").write_text("{not json")
    assert main(["campaign", "simulate", "0e6a0000-0000-4000-8000-000000000001"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smsc: local.settings.json: not the JSON") and err.count("\n") == 1


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("smsc 0.")


@pytest.mark.parametrize("port", ["70000", "-1", "abc"])
def test_a_bad_port_is_refused_by_the_parser(port, capsys):
    with pytest.raises(SystemExit) as done:
        main(["emulators", "--port", port])
    assert done.value.code == 2 and "port" in capsys.readouterr().err
