"""Phone numbers: normalisation to E.164 and validation, with `phonenumbers`."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult
from phonenumbers import PhoneNumberDesc as NumberDesc
from phonenumbers.phonenumberutil import _is_number_matching_desc as _matching
from phonenumbers.phonenumberutil import _number_type_helper as _number_type

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
_E164_SHAPE = re.compile(r"\+[1-9]\d{6,16}")
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


@functools.lru_cache(maxsize=4096)      # a list or a campaign often holds the same number many times
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
    if require_mobile and (known := _e164_mobile(text)) is not None:
        return known
    return _normalize(raw, text, region, require_mobile, international_prefix)


def _normalize(raw: str, text: str, region: str, require_mobile: bool, international_prefix: str) -> str:
    """The whole reading (`phonenumbers.parse`, every number type): what the fast path leaves."""
    # phonenumbers would read letters as a vanity number or "ext." as an extension;
    # neither can receive an SMS, so a letter means a typo or a note in the field.
    if _LETTER.search(text):
        raise InvalidPhoneNumber(raw, "contains letters")
    number = _parse(raw, _international_prefix_to_plus(text, international_prefix), region)
    # The number's type is UNKNOWN exactly when is_valid_number is false: one metadata walk, not two
    # (the walk is most of the cost of a campaign's checks), and the region looked up once.
    where = phonenumbers.region_code_for_number(number)
    kind = _kind(number, where, require_mobile)
    if kind == PhoneNumberType.UNKNOWN or where is None:
        found = _other_reading(text, region)
        if found is None:
            raise InvalidPhoneNumber(raw, _invalid_reason(number))
        number, kind = found
    if require_mobile and kind not in MOBILE_TYPES:
        label = PhoneNumberType.to_string(kind)
        raise InvalidPhoneNumber(raw, f"not a mobile number ({label.lower().replace('_', ' ')})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _kind(number: phonenumbers.PhoneNumber, where: str | None, mobile_first: bool) -> int:
    """`phonenumbers.number_type` with the region already known; `mobile_first`: a number matching
    its region's mobile pattern is taken as MOBILE without walking the other types."""
    if where is None or number.country_code is None:      # no metadata: number_type says UNKNOWN too
        return PhoneNumberType.UNKNOWN
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(number.country_code, where)
    if metadata is None:
        return PhoneNumberType.UNKNOWN
    national = phonenumbers.national_significant_number(number)
    if mobile_first and metadata.mobile is not None and metadata.general_desc is not None \
            and _matching(national, metadata.general_desc) and _matching(national, metadata.mobile):
        return PhoneNumberType.MOBILE
    return _number_type(national, metadata)


def _e164_mobile(text: str) -> str | None:
    """`text` when it is already an E.164 mobile number: `+`, the country code, the national number
    without a national prefix, matching its region's mobile pattern — checked on `phonenumbers`'
    metadata, that pattern alone (the full reading walks every number type). None: not sure, the full
    reading decides (and words the refusal)."""
    if not _E164_SHAPE.fullmatch(text):
        return None
    digits = text[1:]
    for size in (1, 2, 3):                        # as phonenumbers extracts a country code
        code = int(digits[:size])
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
        if regions:
            break
    else:
        return None
    national = digits[size:]
    if national.startswith("0"):                  # Italian leading zeros and the like: the full reading
        return None
    region = regions[0] if len(regions) == 1 else phonenumbers.region_code_for_number(
        phonenumbers.PhoneNumber(country_code=code, national_number=int(national)))
    checks = _mobile_checks(region) if region else None
    if checks is None:
        return None
    prefix, general, mobile = checks
    if prefix is not None and prefix.match(national):     # parse might strip it as a national prefix
        return None
    return text if general(national) and mobile(national) else None


Matcher = Callable[[str], bool]


def _matcher(desc: NumberDesc) -> Matcher:
    """`phonenumbers`' own test of a national number against a description of its metadata (possible
    lengths, then the whole pattern), with the pattern compiled once instead of looked up per call."""
    lengths = frozenset(desc.possible_length or ())
    pattern = re.compile(desc.national_number_pattern) if desc.national_number_pattern else None
    if pattern is None:
        return lambda national: False
    return lambda national: (not lengths or len(national) in lengths) and pattern.fullmatch(national) is not None


@functools.lru_cache(maxsize=None)
def _mobile_checks(region: str) -> tuple[re.Pattern | None, Matcher, Matcher] | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.mobile is None or metadata.general_desc is None:
        return None
    prefix = metadata.national_prefix_for_parsing or metadata.national_prefix
    return (re.compile(prefix) if prefix else None), _matcher(metadata.general_desc), _matcher(metadata.mobile)


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
