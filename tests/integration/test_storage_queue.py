"""The work queues on Azure Storage, against Azurite's queue service on 127.0.0.1: what the app puts is
what the Functions host's queue trigger reads, a delay hides the message until it is due, the queue is
made on its first message, and the composition root picks the storage queue only when storage is set."""
import base64
import itertools
import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient

from connector import bootstrap
from connector.queues.local import LocalQueue
from connector.queues.storage import StorageConnection, StorageQueue, storage_queue

ROOT = Path(__file__).resolve().parents[2]
_names = itertools.count(1)


@pytest.fixture
def queue_name() -> str:
    """A queue of its own for each test (one Azurite serves the whole session)."""
    return f"smsc-test-{time.time_ns() % 10**9}-{next(_names)}"


@pytest.fixture
def storage(azurite, monkeypatch):
    """The app configured with Azurite as its `AzureWebJobsStorage`, as `func start` would be."""
    for name in ("AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__accountName"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    return azurite


def host_reader(azurite, name: str) -> QueueClient:
    """Reads the queue raw, as the Functions host gets it; the test decodes what the host decodes."""
    return QueueClient.from_connection_string(azurite.connection_string, name)


def host_body(raw: str) -> dict:
    """The trigger's body: the host's queue extension decodes base64 (its default messageEncoding)."""
    return json.loads(base64.b64decode(raw, validate=True).decode("utf-8"))


def test_the_functions_host_decodes_base64_messages_as_host_json_leaves_it():
    queues = json.loads((ROOT / "host.json").read_text())["extensions"]["queues"]
    assert queues.get("messageEncoding", "base64") == "base64"


def test_a_message_put_is_what_the_queue_trigger_reads(storage, queue_name):
    message = {"campaignid": "0b1c…", "part": 3, "note": "é€"}
    bootstrap.work_queue(queue_name).put(message)

    received = host_reader(storage, queue_name).receive_messages(max_messages=5, visibility_timeout=30)
    raw = [m.content for m in received]
    assert len(raw) == 1 and raw[0] != json.dumps(message)        # base64 on the wire, not JSON text
    assert host_body(raw[0]) == message


def test_a_message_put_to_a_queue_that_does_not_exist_yet_makes_it(storage, queue_name):
    reader = host_reader(storage, queue_name)
    with pytest.raises(ResourceNotFoundError):
        reader.get_queue_properties()
    bootstrap.work_queue(queue_name).put({"n": 1})
    assert reader.get_queue_properties().approximate_message_count == 1


def test_a_delayed_message_is_hidden_until_it_is_due(storage, queue_name):
    reader = host_reader(storage, queue_name)
    work = bootstrap.work_queue(queue_name)
    work.put({"due": "now"})
    put_at = time.monotonic()
    work.put({"due": "later"}, delay=timedelta(seconds=1))
    assert [host_body(m.content) for m in reader.peek_messages(max_messages=5)] == [{"due": "now"}]

    seen: list[dict] = []
    deadline = put_at + 5                                   # bounded: the delay is 1 s
    while {"due": "later"} not in seen and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = [host_body(m.content) for m in reader.peek_messages(max_messages=5)]
    assert seen == [{"due": "now"}, {"due": "later"}]
    assert time.monotonic() - put_at >= 1


def test_a_delay_longer_than_storage_allows_is_capped_and_accepted(storage, queue_name):
    reader = host_reader(storage, queue_name)
    bootstrap.work_queue(queue_name).put({"held": "a month"}, delay=timedelta(days=30))
    assert reader.peek_messages(max_messages=5) == [] and reader.get_queue_properties().approximate_message_count == 1


def test_the_composition_root_picks_the_storage_queue_only_when_storage_is_configured(storage, queue_name,
                                                                                         monkeypatch):
    stored = bootstrap.work_queue(queue_name)
    assert isinstance(stored, StorageQueue) and stored.name == queue_name
    assert stored.client.url == f"{storage.queue_endpoint}/{queue_name}"
    assert bootstrap.work_queue(queue_name) is stored                     # one client per process and queue

    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    emulator = bootstrap.work_queue(queue_name)
    assert isinstance(emulator, StorageQueue) and emulator.client.url == f"http://127.0.0.1:10001/devstoreaccount1/{queue_name}"

    monkeypatch.delenv("AzureWebJobsStorage")
    local = bootstrap.work_queue(queue_name)
    assert isinstance(local, LocalQueue) and bootstrap.local_queues()[queue_name] is local
    bootstrap.local_queues().pop(queue_name)


def test_identity_based_settings_give_the_account_queue_with_the_apps_identity(monkeypatch, queue_name):
    """Flex Consumption's settings (infra/app/function.bicep): no connection string, the account's name and
    the managed identity. Nothing is contacted until a message is put."""
    from azure.identity import ManagedIdentityCredential

    monkeypatch.delenv("AzureWebJobsStorage", raising=False)
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "stsmsc")
    monkeypatch.setenv("AzureWebJobsStorage__credential", "managedidentity")
    queue = bootstrap.work_queue(queue_name)
    assert isinstance(queue, StorageQueue)
    assert queue.client.url == f"https://stsmsc.queue.core.windows.net/{queue_name}"
    assert isinstance(queue.client.credential, ManagedIdentityCredential)
    assert bootstrap.work_queue(f"{queue_name}-b").client.credential is queue.client.credential   # one token cache
    monkeypatch.setenv("AzureWebJobsStorage__queueServiceUri", "https://other.queue.core.windows.net/")
    assert bootstrap.work_queue(queue_name).client.url == f"https://other.queue.core.windows.net/{queue_name}"


def test_the_queue_is_made_once_per_process(storage, queue_name):
    connection = StorageConnection(connection_string=storage.connection_string)
    queue = storage_queue(connection, queue_name)
    made = []
    create = queue.client.create_queue
    queue.client.create_queue = lambda: (made.append(1), create())       # type: ignore[method-assign]
    for n in range(3):
        queue.put({"n": n})
    assert made == [1] and host_reader(storage, queue_name).get_queue_properties().approximate_message_count == 3


def test_a_put_logs_neither_the_request_headers_nor_the_account_key(storage, queue_name, caplog):
    from tests.azurite import ACCOUNT_KEY

    with caplog.at_level(logging.INFO):
        bootstrap.work_queue(queue_name).put({"n": 1})
    assert "Request headers" not in caplog.text and ACCOUNT_KEY not in caplog.text
