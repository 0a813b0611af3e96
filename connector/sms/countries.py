"""Which country an E.164 number is of, as the provider rules and the prices ask it per recipient: the
calling code when it is one country's alone (+33), else `phonenumbers`' reading."""
from __future__ import annotations

import phonenumbers


def single_region_code(e164: str) -> int | None:
    """The calling code of an E.164 number when that code is one region's alone (+33, not +1 or +262):
    every number with it is of the same country. None otherwise."""
    if not e164.startswith("+"):
        return None
    for size in (1, 2, 3):                        # as phonenumbers extracts a country code
        digits = e164[1:1 + size]
        if not digits.isdigit():
            return None
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits))
        if regions:
            return int(digits) if len(regions) == 1 else None
    return None


def country_of(number: str) -> str | None:
    """The ISO country of an E.164 number, None when it cannot be read. A calling code that is one
    country's alone (+33) says it without reading the number (a campaign asks per recipient)."""
    code = single_region_code(number)
    if code is not None:
        return phonenumbers.region_code_for_country_code(code)
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "ZZ" else None
