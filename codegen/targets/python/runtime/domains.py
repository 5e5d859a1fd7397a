# gdzw-codegen runtime module: `codegen build` copies it into the generated package and puts
# the do-not-edit header in place of these three lines, so line numbers stay the same.
# Spec facts come from the generated spec.py (relative imports resolve there).
"""领域校验 (domain checks of the strict profile): check digits, division and
currency codes, mobile numbers, zip codes, URLs and JSON text.

Pure functions over strings, standard library only; the validators call them. The
division and currency lists (``reference.py``, thousands of lines of data) load on the
first check that needs them.
"""

from __future__ import annotations

import re
from datetime import date
from importlib import import_module
from operator import mul
from types import ModuleType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from json import JSONDecoder

__all__ = [
    "id_birth_date",
    "id_check_character",
    "id_number_problem",
    "is_currency",
    "is_json_text",
    "is_mobile",
    "is_url",
    "is_zip_code",
    "region_status",
    "uscc_check_character",
    "uscc_problem",
]

# GB 32100-2015: 18 characters from this alphabet; the last is a mod-31 check character.
_USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES: Final = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_RE_USCC_CHARS: Final = re.compile(f"[{re.escape(_USCC_ALPHABET)}]{{18}}")
# The weights are 3**i mod 31, and 34 ≡ 3 (mod 31): the weighted sum is, mod 31, the 17
# characters read backwards as one base-34 number, each character first translated to the
# base-34 digit of its value. One int() in place of 17 lookups and products.
_USCC_TO_BASE34: Final = bytes.maketrans(
    _USCC_ALPHABET.encode("ascii"), b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:31]
)
# GB 11643-1999 (ISO 7064 MOD 11-2): weights of the first 17 digits, and the check characters.
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"
# A month and day that exist in some year ("0229" only in leap years); the year "0000" never.
_MONTH_DAYS: Final = frozenset(
    f"{month:02d}{day:02d}"
    for month, days in enumerate((31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), start=1)
    for day in range(1, days + 1)
)
_RE_ID: Final = re.compile(r"[0-9]{17}[0-9X]")
_RE_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}")
_RE_ZIP: Final = re.compile(r"[0-9]{6}")
_RE_URL: Final = re.compile(
    r"https?://[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:[/?#][^\s]*)?"
)


def uscc_check_character(body: str) -> str | None:
    """The check character for the first 17 characters, or None if one is not in the alphabet."""
    try:
        total = sum(map(mul, map(_USCC_VALUES.__getitem__, body[:17]), _USCC_WEIGHTS))
    except KeyError:
        return None
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 统一社会信用代码, or None when it is."""
    if len(code) != 18:
        return f"应为 18 位，实为 {len(code)} 位"
    if not _RE_USCC_CHARS.fullmatch(code):
        return "含有 GB 32100-2015 字符集以外的字符（不含 I、O、S、V、Z）"
    total = int(code[16::-1].encode("ascii").translate(_USCC_TO_BASE34), 34)
    expected = _USCC_ALPHABET[(31 - total % 31) % 31]
    if code[17] != expected:
        return f"校验码应为 {expected}"
    return None


def id_check_character(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character for 17 ASCII digits."""
    if len(body) != len(_ID_WEIGHTS):
        raise ValueError(f"expected 17 digits, got {len(body)} characters")
    total = sum(map(mul, map(int, body), _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def id_birth_date(number: str) -> date | None:
    """The birth date digits 7–14 encode, or None when they are not a real date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def id_number_problem(number: str) -> str | None:
    """Why ``number`` is not a valid 18-digit 居民身份证号码, or None when it is."""
    if not _RE_ID.fullmatch(number):
        return "应为 17 位数字加 1 位校验码（数字或大写 X）"
    # The birth date as id_birth_date judges it, without building a date: the digits are
    # ASCII (the pattern), so the year compares as text.
    year = number[6:10]
    month_day = number[10:14]
    if (
        month_day not in _MONTH_DAYS
        or year == "0000"
        or (month_day == "0229" and not _is_leap(int(year)))
    ):
        return f"出生日期 {number[6:14]} 不是真实的日期"
    if year < "1900":
        return f"出生日期 {number[6:14]} 早于 1900 年"
    # The weights are 2**(17 - i) mod 11, and 13 ≡ 2 (mod 11): the weighted sum is, mod 11,
    # twice the 17 digits read as one base-13 number. One int() in place of 17 products.
    expected = _ID_CHECK[2 * int(number[:17], 13) % 11]
    if number[17] != expected:
        return f"校验码应为 {expected}"
    return None


_loaded: dict[str, ModuleType] = {}  # the reference module, once imported


def _reference() -> ModuleType:
    """The division and currency lists, imported on the first call only: an import
    statement in every check costs a lookup in the import machinery per value."""
    module = _loaded.get("reference")
    if module is None:
        module = _loaded["reference"] = import_module(".reference", __package__)
    return module


def region_status(code: str) -> str | None:
    """ "abolished", "unknown" or None (valid) for a 6-digit or 12-digit division code."""
    six = code[:6]
    if len(code) not in (6, 12) or not six.isascii() or not six.isdigit():
        return "unknown"
    reference = _reference()
    if six in reference.ABOLISHED_REGIONS:
        return "abolished"
    return None if six in reference.REGIONS else "unknown"


def is_currency(code: str) -> bool:
    return code in _reference().CURRENCIES


def is_mobile(number: str) -> bool:
    return _RE_MOBILE.fullmatch(number) is not None


def is_zip_code(code: str) -> bool:
    return _RE_ZIP.fullmatch(code) is not None


def is_url(text: str) -> bool:
    return _RE_URL.fullmatch(text) is not None


def _no_constants(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are not JSON


_decoders: list[JSONDecoder] = []


def is_json_text(text: str) -> bool:
    # One decoder for every call: json.loads with an option builds a new one (and its
    # scanner) each time.
    if not _decoders:
        from json import JSONDecoder

        _decoders.append(JSONDecoder(parse_constant=_no_constants))
    try:
        _decoders[0].decode(text)
    except (ValueError, RecursionError):  # too deep to parse is not JSON text we can use
        return False
    return True
