"""The Azure Storage work queue's settings and delays (no service contacted: tests/integration has Azurite)."""
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from connector.queues.storage import StorageConnection, delay_seconds, storage_connection
from connector.repositories.work_queue import MAX_DELAY

ROOT = Path(__file__).resolve().parents[2]
KEYED = "DefaultEndpointsProtocol=https;AccountName=stsmsc;AccountKey=c2VjcmV0a2V5;EndpointSuffix=core.windows.net"


@pytest.mark.parametrize("environ, expected", [
    ({}, None),
    ({"AzureWebJobsStorage": "  "}, None),
    ({"AzureWebJobsStorage": KEYED}, StorageConnection(connection_string=KEYED)),
    ({"AzureWebJobsStorage": KEYED, "AzureWebJobsStorage__accountName": "other"}, StorageConnection(connection_string=KEYED)),
    ({"AzureWebJobsStorage__accountName": "stsmsc", "AzureWebJobsStorage__credential": "managedidentity"},
     StorageConnection(account_url="https://stsmsc.queue.core.windows.net", managed_identity=True)),
    ({"AzureWebJobsStorage__queueServiceUri": "https://stsmsc.queue.core.usgovcloudapi.net/",
      "AzureWebJobsStorage__accountName": "ignored", "AzureWebJobsStorage__clientId": "5f0e…"},
     StorageConnection(account_url="https://stsmsc.queue.core.usgovcloudapi.net", client_id="5f0e…")),
])
def test_the_storage_is_read_from_the_settings_the_functions_host_reads(environ, expected):
    assert storage_connection(environ) == expected


def test_how_the_storage_is_configured_is_said_without_its_secret():
    keyed = StorageConnection(connection_string=KEYED)
    assert keyed.how == "a connection string (AzureWebJobsStorage)"
    assert "c2VjcmV0a2V5" not in repr(keyed) and "c2VjcmV0a2V5" not in keyed.how
    assert StorageConnection(connection_string="UseDevelopmentStorage=true").how.startswith("the local storage emulator")
    assert StorageConnection(account_url="https://stsmsc.queue.core.windows.net").how == \
        "identity-based (https://stsmsc.queue.core.windows.net)"


@pytest.mark.parametrize("delay, seconds", [
    (None, None), (timedelta(0), None), (timedelta(seconds=-5), None),
    (timedelta(seconds=1), 1), (timedelta(seconds=1.2), 2),             # rounded up: never released early
    (timedelta(hours=2), 7200), (MAX_DELAY, 604800), (timedelta(days=30), 604800),
])
def test_a_delay_is_the_visibility_timeout_in_whole_seconds_at_most_seven_days(delay, seconds):
    assert delay_seconds(delay) == seconds


def test_loading_the_function_app_does_not_import_the_storage_sdk():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, function_app; "
         "print(sorted(m for m in sys.modules if m.startswith(('azure.storage', 'azure.identity'))))"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"
