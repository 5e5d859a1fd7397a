"""Python names derived from the standard's wire names (public API: decide once)."""

from __future__ import annotations

import keyword
import re

_ACRONYM_BOUNDARY = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")


def snake_case(wire_name: str) -> str:
    """``ProDataOrgCode`` → ``pro_data_org_code``; ``DetailURL`` → ``detail_url``;
    ``Cd_Operation`` → ``cd_operation``; ``SLZTDM`` → ``slztdm``."""
    name = _ACRONYM_BOUNDARY.sub(r"\1_\2", wire_name)
    name = _WORD_BOUNDARY.sub(r"\1_\2", name)
    name = re.sub(r"_+", "_", name).strip("_").lower()
    if keyword.iskeyword(name):
        name += "_"
    return name


def is_identifier(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


def is_snake_identifier(name: str) -> bool:
    return is_identifier(name) and re.fullmatch(r"[a-z][a-z0-9_]*", name) is not None


def is_class_name(name: str) -> bool:
    return is_identifier(name) and re.fullmatch(r"[A-Z][A-Za-z0-9]*", name) is not None


def is_member_name(name: str) -> bool:
    return is_identifier(name) and re.fullmatch(r"[A-Z][A-Z0-9_]*", name) is not None


def default_member_name(code: str) -> str:
    """Enum member name for a code the spec gives no name: ``I`` → ``I``, ``01`` → ``CODE_01``."""
    if is_member_name(code):
        return code
    return "CODE_" + re.sub(r"[^A-Za-z0-9]", "_", code).upper()
