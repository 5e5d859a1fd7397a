"""The type column of the standard's tables: ``String(50)``, ``Int(10)``, … .

The printed size gives a length for strings and a digit count for numbers; the
numeric range a type admits is derived here once, so the loader can check the
bounds the spec states and the docs can explain them.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Kind(enum.Enum):
    STRING = "String"
    INT = "Int"
    LONG = "Long"
    DOUBLE = "Double"
    DATETIME = "DateTime"


_SIZED = re.compile(r"(String|Int|Long|Double)\(([1-9][0-9]{0,5})\)")

# The datetime "yyyy-MM-dd HH:mm:ss" is always 19 characters wide.
DATETIME_WIDTH = 19
# The same datetime as a strftime/strptime format.
DATETIME_STRFTIME = "%Y-%m-%d %H:%M:%S"

# Int and Long are Java's 32- and 64-bit integers on the gateway; the printed
# digit count narrows them further where it is smaller.
_BITS = {Kind.INT: 32, Kind.LONG: 64}


@dataclass(frozen=True)
class WireType:
    kind: Kind
    size: int

    @property
    def printed(self) -> str:
        if self.kind is Kind.DATETIME:
            return "DateTime"
        return f"{self.kind.value}({self.size})"

    @property
    def is_numeric(self) -> bool:
        return self.kind in (Kind.INT, Kind.LONG, Kind.DOUBLE)

    def admissible_range(self) -> tuple[int, int]:
        """The widest [min, max] the type admits; only for numeric kinds."""
        digits_max = 10**self.size - 1
        if self.kind in _BITS:
            bits = _BITS[self.kind]
            return max(-(2 ** (bits - 1)), -digits_max), min(2 ** (bits - 1) - 1, digits_max)
        if self.kind is Kind.DOUBLE:
            return -digits_max, digits_max
        raise ValueError(f"{self.printed} has no numeric range")


def parse_wire_type(text: str) -> WireType | None:
    if text == "DateTime":
        return WireType(Kind.DATETIME, DATETIME_WIDTH)
    match = _SIZED.fullmatch(text)
    if match is None:
        return None
    return WireType(Kind(match.group(1)), int(match.group(2)))
