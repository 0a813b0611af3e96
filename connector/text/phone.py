"""Phone numbers: normalisation to E.164 and validation, with `phonenumbers`."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

# Types a handset that receives SMS can have. FIXED_LINE_OR_MOBILE is what the metadata
# says for countries (US, CA...) whose numbering plan does not tell the two apart.
MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}

_LENGTH_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong number of digits",
}

_LETTER = re.compile(r"[^\W\d_]")


class InvalidPhoneNumber(ValueError):
    """A recipient number that cannot be used; the message names the value and why."""

    def __init__(self, raw: object, reason: str) -> None:
        super().__init__(f"Invalid phone number {raw!r}: {reason}")
        self.raw = raw
        self.reason = reason


def normalize(raw: str, default_country: str = "FR", *, require_mobile: bool = False) -> str:
    """Return `raw` in E.164 form (+33649819006).

    Accepts spaces, dots, dashes, brackets, a leading `+` or `00`, and national numbers
    of `default_country` (ISO 3166 alpha-2, e.g. "FR"). Raises InvalidPhoneNumber.
    """
    region = _region(default_country)
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber(raw, "empty")
    # phonenumbers would read letters as a vanity number or "ext." as an extension;
    # neither can receive an SMS, so a letter means a typo or a note in the field.
    if _LETTER.search(text):
        raise InvalidPhoneNumber(raw, "contains letters")
    number = _parse(raw, _international_prefix_to_plus(text), region)
    # number_type is UNKNOWN exactly when is_valid_number is false: one metadata walk, not two
    # (the walk is most of the cost of a campaign's checks).
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN or phonenumbers.region_code_for_number(number) is None:
        raise InvalidPhoneNumber(raw, _invalid_reason(number))
    if require_mobile and kind not in MOBILE_TYPES:
        label = PhoneNumberType.to_string(kind)
        raise InvalidPhoneNumber(raw, f"not a mobile number ({label.lower().replace('_', ' ')})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _region(default_country: str) -> str:
    region = (default_country or "").strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        # A configuration error, not a bad recipient: fail the whole call.
        raise ValueError(f"Unknown default country {default_country!r} (expected e.g. 'FR')")
    return region


def _international_prefix_to_plus(text: str) -> str:
    # "00" is the international prefix in most of the world (and in Octopush's docs);
    # phonenumbers only knows it for regions that use it, so treat it as "+" everywhere.
    return "+" + text[2:] if text.startswith("00") else text


def _parse(raw: str, text: str, region: str) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise InvalidPhoneNumber(raw, _PARSE_REASONS.get(exc.error_type, str(exc))) from exc


def _invalid_reason(number: phonenumbers.PhoneNumber) -> str:
    reason = _LENGTH_REASONS.get(phonenumbers.is_possible_number_with_reason(number))
    if reason:
        return reason
    assert number.country_code is not None              # parse() always sets it
    region = phonenumbers.region_code_for_country_code(number.country_code)
    return f"not a valid number for {region} (+{number.country_code})"
