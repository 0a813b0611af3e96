"""One error hierarchy for the whole product (DESIGN §2).

Every error a user can meet derives from `SmscError`, which carries a stable `code` and the HTTP
status an entrypoint answers with. The HTTP layer (`functions/http.py`) and the CLI (`smsc/cli.py`)
each map it once; nothing else turns errors into answers, and no traceback reaches a user.
"""
from __future__ import annotations


class SmscError(Exception):
    code = "error"
    http_status = 500

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status


class BadInput(SmscError):
    """The caller's input is wrong; nothing was written."""
    code, http_status = "bad_input", 400


class NotFound(SmscError):
    """A row the request names does not exist."""
    code, http_status = "not_found", 404


class Conflict(SmscError):
    """A conditional write lost (someone else changed or took the row), or the row already exists."""
    code, http_status = "conflict", 409


class Unavailable(SmscError):
    """A dependency did not answer or asked us to wait: trying again later may work."""
    code, http_status = "unavailable", 503


class UpstreamError(SmscError):
    """A dependency refused the request for good."""
    code, http_status = "upstream_error", 502


class ConfigurationError(SmscError):
    """The app settings are missing or wrong: an admin must fix them."""
    code, http_status = "configuration", 500
