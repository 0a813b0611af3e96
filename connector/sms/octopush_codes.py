"""Octopush's documented return codes (reference/octopush.md, "Errors"), as data."""
from __future__ import annotations

# Octopush return codes (v1 reuses the numbering of the return-codes page) -> message for CRM users.
ERROR_MESSAGES: dict[int, str] = {
    100: "The request sent to Octopush had no body",
    101: "Octopush rejected the API login or API key",
    102: "The text is longer than 160 characters",
    103: "The send has no recipients",
    104: "The Octopush account is out of credit",
    105: "The Octopush account does not have enough credit (the last order is awaiting validation)",
    106: "The sender is invalid: 3 to 11 letters or digits, without accents, spaces or punctuation",
    107: "The text of the SMS is missing",
    108: "The Octopush API login is missing",
    109: "The Octopush API key is missing",
    110: "The recipient list is missing",
    111: "No recipient input method was given",
    112: "The SMS quality (type) is not set",
    113: "The Octopush account is not validated yet",
    114: "The Octopush account is under fraud investigation",
    115: "The number of recipients does not match the number of personalisation parameters",
    116: "This mailing needs a contact list",
    117: "No valid phone number: numbers must be in international format (+33...)",
    118: "The test-SMS option must be accepted in the Octopush back office first",
    119: "The text is too long for this SMS type",
    120: "A send with the same request_id was already accepted",
    121: "STOP mention (STOP au 30101) is missing from a marketing SMS to French numbers",
    122: 'The "no PUB=STOP" mention is missing (required for standard SMS)',
}
