"""The loopback stand-in server of the contract tests (pytest-httpserver on 127.0.0.1)."""
import pytest
from pytest_httpserver import HTTPServer


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
