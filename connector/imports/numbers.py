"""Compact sets and indexes of E.164 numbers, for imports of a million rows.

A number is kept as the integer of its digits (`+33612345678` -> 33612345678: at most 15 digits, so
it fits 63 bits, and never 0 since no country code starts with 0) in an open-addressing hash table
over `array('Q')`: 8 bytes a slot, at most two thirds full, so about 12 to 24 bytes a number where a
Python `set` of E.164 strings takes about 100. The memory still grows with the count of distinct
numbers: a duplicate check needs them all; what stays flat is everything else.
"""
from __future__ import annotations

import uuid
from array import array
from collections.abc import Callable, Iterable

_EMPTY = 0
_START_BITS = 10                       # 1,024 slots at first; doubled when two thirds full
_MULTIPLIER = 0x9E3779B97F4A7C15       # Fibonacci hashing: spreads consecutive numbers over the table
_MASK64 = (1 << 64) - 1


def number_key(e164: str) -> int:
    """The digits of an E.164 number as an int (`+33612345678` -> 33612345678)."""
    if not e164.startswith("+") or not e164[1:].isdigit() or len(e164) > 16:
        raise ValueError(f"not an E.164 number: {e164!r}")
    return int(e164[1:])


class NumberSet:
    """Distinct E.164 numbers; `add` says whether the number is new."""

    def __init__(self, numbers: Iterable[str] = ()):
        self._resize(_START_BITS)
        self._keys = _zeros(1 << _START_BITS)
        self._count = 0
        for number in numbers:
            self.add(number)

    def __len__(self) -> int:
        return self._count

    def __contains__(self, e164: object) -> bool:
        if not isinstance(e164, str):
            return False
        key = number_key(e164)
        return self._keys[self._slot(key)] == key

    def add(self, e164: str) -> bool:
        """Add the number; False when it was already there."""
        return self._insert(number_key(e164)) >= 0

    def _resize(self, bits: int) -> None:
        self._bits, self._mask, self._shift = bits, (1 << bits) - 1, 64 - bits
        self._limit = (2 << bits) // 3          # keys held before the table doubles

    def _slot(self, key: int) -> int:
        """Where `key` is, or the empty slot where it would go (linear probing)."""
        keys, mask = self._keys, self._mask
        slot = ((key * _MULTIPLIER) & _MASK64) >> self._shift
        while True:
            found = keys[slot]
            if found == key or found == _EMPTY:
                return slot
            slot = (slot + 1) & mask

    def _insert(self, key: int) -> int:
        """The slot of a new key, or -1 when the key was there."""
        slot = self._slot(key)
        if self._keys[slot] == key:
            return -1
        if self._count >= self._limit:
            self._grow()
            slot = self._slot(key)
        self._keys[slot] = key
        self._count += 1
        return slot

    def _grow(self) -> None:
        old = self._keys
        self._resize(self._bits + 1)
        self._keys = _zeros(1 << self._bits)
        moved = self._moved()
        for index, key in enumerate(old):
            if key != _EMPTY:
                slot = self._slot(key)
                self._keys[slot] = key
                moved(index, slot)

    def _moved(self) -> Callable[[int, int], None]:
        """While growing, called with (old slot, new slot) of each key: the values follow (NumberIndex)."""
        return lambda old, new: None


class NumberIndex(NumberSet):
    """E.164 number -> row id (a GUID, kept as two 64-bit halves: 16 bytes instead of a 36-character
    string). The first id given for a number is kept."""

    def __init__(self) -> None:
        self._high, self._low = _zeros(1 << _START_BITS), _zeros(1 << _START_BITS)
        super().__init__()

    def put(self, e164: str, row_id: str) -> bool:
        """Index the number; False (and nothing changed) when it already has an id."""
        slot = self._insert(number_key(e164))
        if slot < 0:
            return False
        value = uuid.UUID(row_id).int
        self._high[slot], self._low[slot] = value >> 64, value & _MASK64
        return True

    def get(self, e164: str) -> str | None:
        key = number_key(e164)
        slot = self._slot(key)
        if self._keys[slot] != key:
            return None
        return str(uuid.UUID(int=(self._high[slot] << 64) | self._low[slot]))

    def _moved(self) -> Callable[[int, int], None]:
        old_high, old_low = self._high, self._low
        self._high, self._low = _zeros(1 << self._bits), _zeros(1 << self._bits)

        def move(old: int, new: int) -> None:
            self._high[new], self._low[new] = old_high[old], old_low[old]
        return move


def _zeros(size: int) -> array:
    return array("Q", [0]) * size          # built in place: no bytes object of the same size beside it
