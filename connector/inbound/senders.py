"""Who sent an SMS, when no recent SMS of ours tells: the active contact or open lead whose mobile
phone is that number. CRM users type numbers as they like (« 06 12 34 56 78 », « +33 6 12 34 56 78 »),
so the common written forms are looked for, and each candidate is checked by normalising what it holds."""
from __future__ import annotations

import phonenumbers

from connector.repositories.conversations import Conversations
from connector.repositories.sms_activities import RowRef
from connector.text.phone import InvalidPhoneNumber, normalize

FORMATS = (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
           phonenumbers.PhoneNumberFormat.NATIONAL)


def written_forms(e164: str) -> list[str]:
    """`+33612345678`, `+33 6 12 34 56 78`, `06 12 34 56 78`, `0612345678`, `0033612345678`, dotted..."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return [e164]
    forms = {e164, "00" + e164[1:]}
    for style in FORMATS:
        text = phonenumbers.format_number(parsed, style)
        forms.update({text, text.replace(" ", ""), text.replace(" ", "."), text.replace(" ", "-")})
    return sorted(forms)


def known_sender(number: str, conversations: Conversations, default_country: str) -> tuple[RowRef | None, int]:
    """(the one record with this mobile, or None; how many records have it, at most 2 counted)."""
    found = []
    for ref, written in conversations.records_with_mobile(written_forms(number)):
        try:
            if normalize(written, default_country) == number:
                found.append(ref)
        except (InvalidPhoneNumber, ValueError):
            continue
    return (found[0] if len(found) == 1 else None), min(len(found), 2)
