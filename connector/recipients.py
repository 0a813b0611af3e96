"""Who an SMS goes to: a contact, a lead or an account; an account's SMS goes to the mobile of its
primary contact (product guide, "Envoi d'un SMS unitaire"). Read through the `Recipients` port."""
from __future__ import annotations

from connector.repositories.recipients import RECIPIENT_TABLES, RecipientError, RecipientRecord, Recipients
from connector.text.templates import FieldRefs

__all__ = ["RECIPIENT_TABLES", "RecipientError", "RecipientRecord", "load_recipient"]


def load_recipient(recipients: Recipients, table: str, record_id: str,
                   fields: FieldRefs | None = None) -> RecipientRecord:
    """The recipient with its mobile and what `fields` merge; RecipientError when it cannot receive."""
    if table not in RECIPIENT_TABLES:
        raise RecipientError("not_a_recipient", table=table)
    recipient = recipients.load(table, record_id, fields)
    if not recipient.has_primary_contact:
        raise RecipientError("no_primary_contact", name=recipient.name)
    return recipient
