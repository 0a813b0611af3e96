"""One error hierarchy for the whole product (DESIGN §2).

Every error a user can meet derives from `SmscError`, which carries a stable `error_code` and the
HTTP status an entrypoint answers with (`answer_status`; named so, because adapter errors keep the
`code` / `status` their remote service gave). The HTTP layer (`functions/http.py`) and the CLI (`smsc/cli.py`)
each map it once; nothing else turns errors into answers, and no traceback reaches a user.
"""
from __future__ import annotations

import re


class SmscError(Exception):
    error_code = "error"
    answer_status = 500

    def __init__(self, message: str, *, error_code: str | None = None, answer_status: int | None = None):
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code
        if answer_status is not None:
            self.answer_status = answer_status


class BadInput(SmscError):
    """The caller's input is wrong; nothing was written."""
    error_code, answer_status = "bad_input", 400


class NotFound(SmscError):
    """A row the request names does not exist."""
    error_code, answer_status = "not_found", 404


class Conflict(SmscError):
    """A conditional write lost (someone else changed or took the row), or the row already exists."""
    error_code, answer_status = "conflict", 409


class Forbidden(SmscError):
    """The CRM refused a write made for a user (CallerObjectId): their security roles lack the privilege."""
    error_code, answer_status = "forbidden", 403

    @property
    def privilege(self) -> str:
        """The privilege named in the refusal (« is missing prvWriteActivity privilege »), else "?"."""
        found = re.search(r"missing (prv\w+)", self.message, re.IGNORECASE)
        return found.group(1) if found else "?"


class Unavailable(SmscError):
    """A dependency did not answer or asked us to wait: trying again later may work."""
    error_code, answer_status = "unavailable", 503


class UpstreamError(SmscError):
    """A dependency refused the request for good."""
    error_code, answer_status = "upstream_error", 502


class ConfigurationError(SmscError):
    """The app settings are missing or wrong: an admin must fix them."""
    error_code, answer_status = "configuration", 500
