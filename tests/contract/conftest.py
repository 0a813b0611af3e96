"""The loopback stand-in server of the contract tests (pytest-httpserver on 127.0.0.1)."""
import re

import pytest
from pytest_httpserver import HTTPServer

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.metadata_writer import DataverseMetadataWriter
from tests.contract.fake_metadata_org import TOKEN, FakeOrg


@pytest.fixture(scope="module")
def _server():
    srv = HTTPServer(host="127.0.0.1", port=0)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def server(_server):
    """Fails the test on a request nothing expected, out of order, or an expected one never sent."""
    _server.clear()
    yield _server
    try:
        _server.check_assertions()
        _server.check_handler_errors()
        assert not _server.ordered_handlers, f"expected requests never sent: {_server.ordered_handlers}"
    finally:
        _server.clear()


@pytest.fixture
def org(server):
    """A fake organisation's metadata API for the installer's tests (tests.contract.fake_metadata_org)."""
    org = FakeOrg.with_standard_tables()
    server.expect_request(re.compile(r"/api/data/v9\.2/.*")).respond_with_handler(org.handle)
    return org


@pytest.fixture
def api(server):
    return DataverseMetadataWriter(DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), timeout=5))
