"""Security roles of the Dataverse emulator: the impersonated user's privileges on the SMS table and
on campaigns, refused the way Dataverse refuses them.

A user's roles are `role` rows linked through `systemuserroles_association` (the N:N Dataverse
has). A create or update of a guarded table made as a user (CallerObjectId / MSCRMCallerID) needs a
role granting `prv<Operation><SchemaName>` (`prvWriteCampaign`; an activity table such as the SMS
shares the activities' privileges: `prvCreateActivity`, `prvWriteActivity`); without one the write is
answered 403 with Dataverse's privilege error (code 0x80040220, « Principal user (Id=…, type=8,
roleCount=…), is missing prvCreateActivity privilege (Id=…) on OTC=4200 for entity 'smsc_textmessage'… »).
Simplification, said here: a user holding no role at all (the application user, users a test creates
without roles) is not checked, so only users given roles are restricted.
"""
from __future__ import annotations

import uuid

from .dataverse_errors import DataverseError
from .dataverse_store import Store

MISSING_PRIVILEGE = "0x80040220"
USER_ROLES = "systemuserroles_association"
SYSTEM_ADMINISTRATOR = "System Administrator"
# Guarded tables: logical name -> (SchemaName used in privilege names, object type code).
GUARDED = {"smsc_textmessage": ("Activity", 4200), "campaign": ("Campaign", 4400)}
ALL = "*"
# Role name -> privileges it grants (ALL: every one). The emulator's own catalogue, seeded by dataverse_seed.
ROLE_PRIVILEGES: dict[str, frozenset[str]] = {
    SYSTEM_ADMINISTRATOR: frozenset({ALL}),
    "SMS Connector Admin": frozenset({ALL}),
    "SMS Connector User": frozenset({"prvCreateActivity", "prvWriteActivity", "prvReadActivity",
                                     "prvCreateCampaign", "prvWriteCampaign", "prvReadCampaign"}),
    "Basic User": frozenset({"prvReadActivity", "prvReadCampaign"}),       # reads, writes no SMS
}
_PRIVILEGE_IDS = uuid.UUID("0c0a1e00-0000-4000-8000-0000000000bb")


def roles_of(store: Store, user_id: str) -> list[str]:
    """Names of the roles linked to the user."""
    ids = [r[0] for r in store.query("SELECT id2 FROM associations WHERE relationship = ? AND id1 = ?",
                                     (USER_ROLES, user_id.lower()))]
    found = store.get_many("roles", ids)
    return [str(found[role_id][1].get("name") or role_id) for role_id in ids if role_id in found]


def check_write(store: Store, logical: str, caller: str, creating: bool) -> None:
    """DataverseError 403 when `caller` holds roles and none grants the create (or write) of `logical`."""
    if logical not in GUARDED:
        return
    roles = roles_of(store, caller)
    if not roles:
        return
    schema_name, type_code = GUARDED[logical]
    privilege = f"prv{'Create' if creating else 'Write'}{schema_name}"
    granted = set().union(*(ROLE_PRIVILEGES.get(name, frozenset()) for name in roles))
    if ALL in granted or privilege in granted:
        return
    privilege_id = uuid.uuid5(_PRIVILEGE_IDS, privilege)
    raise DataverseError(
        f"Principal user (Id={caller}, type=8, roleCount={len(roles)}, privilegeCount={len(granted)}, "
        f"accessMode=0), is missing {privilege} privilege (Id={privilege_id}) on OTC={type_code} for entity "
        f"'{logical}'. context.Caller={caller}", 403, MISSING_PRIVILEGE)
