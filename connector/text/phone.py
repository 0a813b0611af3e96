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
_DIGITS_ONLY = re.compile(r"[\d\s.\-()/]+")

# The French overseas departments and territories with their own country code (numbering plan of
# ARCEP): a number typed nationally (0692…, 0690…) in an organisation whose default country is FR is
# theirs when mainland France rejects it. Order matters only where two share a code (+590, +262).
OVERSEAS_REGIONS = {"FR": ("RE", "YT", "GP", "MF", "BL", "GF", "MQ", "PM")}
# The country codes where French consumer rules (the STOP mention, quiet times) apply: mainland
# France and the overseas departments and collectivities above.
FRENCH_CODES = ("+33", "+262", "+590", "+594", "+596", "+508")


class InvalidPhoneNumber(ValueError):
    """A recipient number that cannot be used; the message names the value and why."""

    def __init__(self, raw: object, reason: str) -> None:
        super().__init__(f"Invalid phone number {raw!r}: {reason}")
        self.raw = raw
        self.reason = reason


def normalize(raw: str, default_country: str = "FR", *, require_mobile: bool = False,
              international_prefix: str = "00") -> str:
    """Return `raw` in E.164 form (+33649819006).

    Accepts spaces, dots, dashes, brackets, a leading `+` or `international_prefix` (`00`, or what
    the organisation dials, e.g. `011`), national numbers of `default_country` (ISO 3166 alpha-2,
    e.g. "FR") — with FR, also those of the overseas departments (0692… → +262…) —, and a bare
    country code without `+` (`447911123456`) when no national reading fits. Raises InvalidPhoneNumber.
    """
    region = _region(default_country)
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber(raw, "empty")
    # phonenumbers would read letters as a vanity number or "ext." as an extension;
    # neither can receive an SMS, so a letter means a typo or a note in the field.
    if _LETTER.search(text):
        raise InvalidPhoneNumber(raw, "contains letters")
    number = _parse(raw, _international_prefix_to_plus(text, international_prefix), region)
    # number_type is UNKNOWN exactly when is_valid_number is false: one metadata walk, not two
    # (the walk is most of the cost of a campaign's checks).
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN or phonenumbers.region_code_for_number(number) is None:
        found = _other_reading(text, region)
        if found is None:
            raise InvalidPhoneNumber(raw, _invalid_reason(number))
        number, kind = found
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


def _international_prefix_to_plus(text: str, prefix: str = "00") -> str:
    # "00" is the international prefix in most of the world (and in Octopush's docs);
    # phonenumbers only knows it for regions that use it, so treat it as "+" everywhere.
    for dialled in dict.fromkeys((prefix, "00")):
        if dialled and text.startswith(dialled):
            return "+" + text[len(dialled):]
    return text


def _other_reading(text: str, region: str) -> tuple[phonenumbers.PhoneNumber, int] | None:
    """A valid reading of a number the default country rejects: a French overseas number typed
    nationally, or digits that start with a country code (`4477…`, seed 004)."""
    if text.startswith("+") or not _DIGITS_ONLY.fullmatch(text):
        return None
    candidates = [(text, overseas) for overseas in OVERSEAS_REGIONS.get(region, ())]
    digits = re.sub(r"\D", "", text)
    if not digits.startswith("0"):
        candidates.append(("+" + digits, region))
    for candidate, where in candidates:
        try:
            number = phonenumbers.parse(candidate, where)
        except NumberParseException:
            continue
        kind = phonenumbers.number_type(number)
        if kind != PhoneNumberType.UNKNOWN and phonenumbers.region_code_for_number(number) is not None:
            return number, kind
    return None


def is_french(e164: str) -> bool:
    """A number of mainland France or of an overseas department or collectivity (French rules apply)."""
    return (e164 or "").startswith(FRENCH_CODES)


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
