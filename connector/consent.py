"""The consent rule: marketing SMS go only to recipients who agreed (seed 004: « doivent avoir accepté
au préalable »), as the configured column of the recipient's record says.

Dataverse's own contact preferences are refusals (`donotsendmm` « Ne pas envoyer de documentation
marketing », `donotphone`…): true means no. Any other column is read as a consent: only an explicit
yes agrees, so a record nobody asked is left out.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def is_refusal_column(column: str) -> bool:
    return column.lower().startswith("donot")


def consent_missing(record: Mapping[str, Any], column: str | None) -> bool:
    """True when the configured column says this recipient has not agreed (no column: everyone has)."""
    if not column:
        return False
    value = record.get(column)
    if is_refusal_column(column):
        return bool(value)
    return value is not True
