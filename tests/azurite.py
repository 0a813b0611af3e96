"""Azurite's queue service on 127.0.0.1 for the tests of the Azure Storage work queues: Microsoft's storage
emulator from the npm registry, installed in .tools/azurite by `bash tests/setup.sh` (the README's test
command and .ci/run start with it). One process per test session, in memory, stopped at the end.

Azurite missing is a failure, not a skip: the setup script guarantees it is there.
"""
from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AZURITE_QUEUE = ROOT / ".tools" / "azurite" / "node_modules" / ".bin" / "azurite-queue"
# The emulator's well-known development account (published by Microsoft; not a secret).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
START_TIMEOUT = 30          # seconds for the service to answer


@dataclass(frozen=True)
class Azurite:
    port: int

    @property
    def queue_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
                f"QueueEndpoint={self.queue_endpoint}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"GET /" + ACCOUNT.encode() + b"?comp=list HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"Connection: close\r\n\r\n")
            return connection.recv(12).startswith(b"HTTP/1.1")
    except OSError:
        return False


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    if not AZURITE_QUEUE.exists():
        pytest.fail(f"Azurite is not installed ({AZURITE_QUEUE.relative_to(ROOT)} missing): run "
                    "`bash tests/setup.sh` (as root the first time: it installs node and npm when missing)",
                    pytrace=False)
    workspace = tmp_path_factory.mktemp("azurite")
    port = free_port()
    log = (workspace / "azurite.log").open("wb")
    process = subprocess.Popen(
        [str(AZURITE_QUEUE), "--queueHost", "127.0.0.1", "--queuePort", str(port),
         "--inMemoryPersistence", "--extentMemoryLimit", "64",
         # No telemetry to Microsoft (the tests reach nothing beyond 127.0.0.1), and the storage SDK's newer
         # service version accepted: the queue operations used here are the same.
         "--disableTelemetry", "--skipApiVersionCheck", "--silent"],
        stdout=log, stderr=subprocess.STDOUT, cwd=workspace)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Azurite did not start on 127.0.0.1:{port}: "
                            f"{(workspace / 'azurite.log').read_text(errors='replace')[-2000:]}", pytrace=False)
            time.sleep(0.1)
        yield Azurite(port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
