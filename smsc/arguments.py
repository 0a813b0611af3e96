"""Checks of command-line arguments that need the CRM (the parser checks the others)."""
from __future__ import annotations


def existing_user(crm, user_id: str | None) -> str | None:
    """`--user` checked before anything runs: a CRM user's id (systemuserid), or BadInput naming it."""
    import uuid

    from connector.crm.port import RecordNotFound
    from connector.errors import BadInput

    if user_id is None:
        return None
    try:
        user_id = str(uuid.UUID(user_id.strip()))
    except ValueError:
        raise BadInput(f"--user must be a CRM user's id (systemuserid, a GUID), not {user_id[:60]!r}") from None
    try:
        crm.retrieve("systemusers", user_id, select=["systemuserid"])
    except RecordNotFound:
        raise BadInput(f"--user: no CRM user has the id {user_id}") from None
    return user_id
