"""The work queues on Azure Storage: the app's `AzureWebJobsStorage` account, whose queues the Functions
host's queue triggers read (in Azure, and on Azurite in the tests and locally).

Bodies are the message's JSON as base64 text: the host's queue extension (Storage Queues 5.x, in
extension bundle 4.x) expects base64 unless host.json sets `extensions.queues.messageEncoding` to
`none`, and fails the trigger on anything else. A delay is the message's initial visibility timeout.
Messages do not expire (`time_to_live=-1`): a schedule held for days must still be there when it
surfaces, and one that keeps failing ends on the poison queue, not in oblivion.

The connection comes from the settings the Functions host reads: `AzureWebJobsStorage` (a connection
string, `UseDevelopmentStorage=true` included) or its identity-based form (`AzureWebJobsStorage__queueServiceUri`
or `__accountName`, with `__credential=managedidentity` and `__clientId` for a user-assigned identity).
The storage SDK is imported when a queue is first used, never when `function_app` loads (cold starts).
"""
from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from connector.repositories.work_queue import MAX_DELAY

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient

STORAGE = "AzureWebJobsStorage"
QUEUE_SERVICE_URI = f"{STORAGE}__queueServiceUri"
ACCOUNT_NAME = f"{STORAGE}__accountName"
CREDENTIAL = f"{STORAGE}__credential"
CLIENT_ID = f"{STORAGE}__clientId"
# The identity-based forms of the storage connection (Flex Consumption with a managed identity).
STORAGE_IDENTITY_SETTINGS = (QUEUE_SERVICE_URI, ACCOUNT_NAME)

CONNECT_TIMEOUT = 5         # seconds to open a connection to the queue service
READ_TIMEOUT = 20           # seconds for its answer


@dataclass(frozen=True)
class StorageConnection:
    """How to reach the queue service: a connection string (never shown: it carries the account key)
    or the service's URL with the app's identity."""
    connection_string: str | None = field(default=None, repr=False)
    account_url: str | None = None
    client_id: str | None = None            # a user-assigned managed identity
    managed_identity: bool = False          # `__credential=managedidentity`: no developer credentials tried

    @property
    def how(self) -> str:
        """How the storage is configured, in words that carry no secret."""
        if self.connection_string is None:
            return f"identity-based ({self.account_url})"
        if self.connection_string.replace(" ", "").lower().startswith("usedevelopmentstorage=true"):
            return "the local storage emulator (UseDevelopmentStorage)"
        return f"a connection string ({STORAGE})"

    def queue_client(self, name: str, *, retries: int = 3) -> QueueClient:
        """A client of the queue `name`, reading and writing base64 text like the Functions host."""
        from azure.storage.queue import (ExponentialRetry, QueueClient, TextBase64DecodePolicy,
                                         TextBase64EncodePolicy)

        _quiet_request_log()
        options: dict[str, Any] = {
            "message_encode_policy": TextBase64EncodePolicy(), "message_decode_policy": TextBase64DecodePolicy(),
            "retry_policy": ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=retries,
                                             random_jitter_range=1),
            "connection_timeout": CONNECT_TIMEOUT, "read_timeout": READ_TIMEOUT,
        }
        if self.connection_string is not None:
            return QueueClient.from_connection_string(self.connection_string, name, **options)
        assert self.account_url is not None
        return QueueClient(self.account_url, name, credential=_identity(self), **options)


@lru_cache(maxsize=4)
def _identity(connection: StorageConnection) -> Any:
    """The app's identity, one per connection: its token is cached and shared by every queue's client."""
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    if connection.client_id:
        return ManagedIdentityCredential(client_id=connection.client_id)
    if connection.managed_identity:
        return ManagedIdentityCredential()
    # No credential named: the app's managed identity in Azure, the developer's sign-in elsewhere.
    return DefaultAzureCredential(exclude_interactive_browser_credential=True)


def _quiet_request_log() -> None:
    """The SDK logs every request's headers at INFO (redacted, but a dozen lines per message put): only
    its warnings reach the app's log, unless that logger was configured on purpose."""
    request_log = logging.getLogger("azure.core.pipeline.policies.http_logging_policy")
    if request_log.level == logging.NOTSET:
        request_log.setLevel(logging.WARNING)


def storage_connection(environ: Mapping[str, str]) -> StorageConnection | None:
    """The storage the Functions host uses, from its settings; None when none is set (a local run)."""
    if environ.get(STORAGE, "").strip():
        return StorageConnection(connection_string=environ[STORAGE].strip())
    url = environ.get(QUEUE_SERVICE_URI, "").strip()
    if not url and environ.get(ACCOUNT_NAME, "").strip():
        url = f"https://{environ[ACCOUNT_NAME].strip()}.queue.core.windows.net"
    if not url:
        return None
    return StorageConnection(account_url=url.rstrip("/"), client_id=environ.get(CLIENT_ID, "").strip() or None,
                             managed_identity=environ.get(CREDENTIAL, "").strip().lower() == "managedidentity")


def delay_seconds(delay: timedelta | None) -> int | None:
    """The visibility timeout of a message held `delay`: whole seconds (rounded up, never early), at
    most MAX_DELAY; None for a message due now."""
    if delay is None or delay <= timedelta(0):
        return None
    return math.ceil(min(delay, MAX_DELAY).total_seconds())


class StorageQueue:
    """The work queue `name` in the storage account (connector.repositories.work_queue.WorkQueue)."""

    def __init__(self, name: str, client: QueueClient):
        self.name, self.client = name, client
        self._created = False
        self._lock = threading.Lock()

    def put(self, message: dict, *, delay: timedelta | None = None) -> None:
        self._create_once()
        self.client.send_message(json.dumps(message), visibility_timeout=delay_seconds(delay), time_to_live=-1)

    def _create_once(self) -> None:
        """The queue is made on its first message (the Functions host makes its triggers' queues only once
        it listens, and a fresh Azurite has none); once per process."""
        if self._created:
            return
        from azure.core.exceptions import ResourceExistsError

        with self._lock:
            if not self._created:
                try:
                    self.client.create_queue()
                except ResourceExistsError:
                    pass
                self._created = True


@lru_cache(maxsize=64)
def storage_queue(connection: StorageConnection, name: str) -> StorageQueue:
    """One queue object (its client, its connection pool, its "made" flag) per connection and name."""
    return StorageQueue(name, connection.queue_client(name))


def check_queue_service(connection: StorageConnection, name: str) -> dict:
    """Asks the queue service about the queue `name` once, without retries (GET /api/health): reachable
    and authorised, or raises. A queue not made yet is no failure: it is made on its first message."""
    from azure.core.exceptions import ResourceNotFoundError

    client = connection.queue_client(name, retries=0)
    try:
        messages: int | str = client.get_queue_properties().approximate_message_count or 0
    except ResourceNotFoundError as error:
        if getattr(error, "error_code", None) != "QueueNotFound":       # set by the storage SDK
            raise
        messages = "queue not made yet"
    finally:
        client.close()
    return {"storage": connection.how, "queue": name, "messages": messages}
