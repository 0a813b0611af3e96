"""Acting as the CRM user who asked (CallerObjectId impersonation), so CRM security applies."""
from __future__ import annotations

from connector.crm.port import Crm, CrmError, RecordNotFound


def acting_as(crm: Crm, systemuser_id: str | None) -> Crm:
    """The client acting as that user; the app itself for users without an Entra object id
    (SYSTEM, application users) or unknown ones."""
    if not systemuser_id:
        return crm
    try:
        return crm.impersonate(crm.caller_object_id(systemuser_id) or None)
    except RecordNotFound:
        return crm
    except CrmError as error:
        if error.code == "NoEntraObjectId":
            return crm
        raise
