# gdzw-codegen runtime module: `codegen build` copies it into the generated package and puts
# the do-not-edit header in place of these three lines, so line numbers stay the same.
# Spec facts come from the generated spec.py (relative imports resolve there).
"""校验器的公共部分 (what every generated validator shares): problem builders, list, domain
and cross-field checks, the profile and length-unit settings, and the lazy validator table.

The per-record validators (``validators_<key>.py``) are straight-line code generated from
the spec; everything they call that does not vary with the spec lives here. None of these
functions raises on a record, whatever its shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Final, Protocol

from .domains import (
    id_number_problem,
    is_currency,
    is_json_text,
    is_mobile,
    is_url,
    is_zip_code,
    region_status,
    uscc_problem,
)
from .problems import PROBLEM_LABELS, PROBLEM_SEVERITIES, PROFILES, Problem
from .problems import mask_number as _mask
from .spec import DATETIME_FORMAT, DATETIME_PATTERN, TIMEZONE_LABEL

#: 长度单位：char 按字符（Unicode 码点，默认）计，utf8 按 UTF-8 字节计（供按字节定义列宽的系统使用）。
LENGTH_UNITS: Final = ("char", "utf8")
# (profile, length unit) → (level, count UTF-8 bytes): one dict lookup per call.
_SETTINGS: Final = {
    (name, unit): (index, unit == "utf8")
    for index, name in enumerate(PROFILES)
    for unit in ("char", "utf8")
}

# 日期时间：spec.DATETIME_FORMAT，北京时间，含闰年规则的真实日历日期。
_RE_DATETIME: Final = re.compile(DATETIME_PATTERN)


class Validator(Protocol):
    def __call__(
        self, record: object, profile: str = "standard", length_unit: str = "char"
    ) -> list[Problem]: ...


@dataclass(frozen=True, slots=True)
class _Field:
    wire: str
    label: str
    source: str
    sensitive: bool = False


@dataclass(frozen=True, slots=True)
class _Info:
    label: str
    detail: str


class LazyValidators(Mapping[str, Validator]):
    """Record key → validator; each record type's module is imported on its first use."""

    def __init__(self, package: str, modules: Mapping[str, tuple[str, str]]) -> None:
        self._package = package
        self._modules = modules  # record key → (module, function)
        self._loaded: dict[str, Validator] = {}

    def __getitem__(self, key: str) -> Validator:
        validator = self._loaded.get(key)
        if validator is None:
            module, function = self._modules[key]
            validator = getattr(import_module(f".{module}", self._package), function)
            self._loaded[key] = validator
        return validator

    def find(self, key: str) -> Validator | None:
        """The validator of ``key``, or None for an unknown key: ``get`` in one call, where
        Mapping's ``get`` goes through ``__getitem__`` and an exception handler."""
        validator = self._loaded.get(key)
        if validator is None and key in self._modules:
            return self[key]
        return validator

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __repr__(self) -> str:
        return f"LazyValidators({list(self._modules)!r})"


def _show(info: _Field, value: object) -> str:
    if info.sensitive and isinstance(value, str):
        value = _mask(value)
    # A long text: repr() of its head alone, when the rest holds no quote that could change
    # repr's choice of quotes (each character's escape does not depend on the others): the
    # same 57 characters, without escaping the whole of a long value.
    if type(value) is str and len(value) > 60 and "'" not in value[58:] and '"' not in value[58:]:
        return repr(value[:58])[:57] + "..."
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def type_name(value: object) -> str:
    """The JSON type of ``value`` in words (the validators' and the mock gateway's messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, float):
        return "数值"
    if isinstance(value, str):
        return "字符串"
    if isinstance(value, (list, tuple)):
        return "数组"
    if isinstance(value, Mapping):
        return "对象"
    return type(value).__name__


def _new_problem(
    field: str | None,
    code: str,
    message: str,
    label: str | None,
    source: str | None,
    rule: str | None,
    value: str | None,
) -> Problem:
    """Problem(...) without its constructor: filling __dict__ directly skips the frozen
    dataclass's per-field object.__setattr__ calls (about half a µs a problem); the
    result is the same, still-frozen Problem."""
    problem = object.__new__(Problem)
    problem.__dict__.update(
        field=field,
        code=code,
        message=message,
        label=label,
        source=source,
        rule=rule,
        severity=PROBLEM_SEVERITIES[code],
        value=value,
    )
    return problem


def _problem(
    info: _Field,
    code: str,
    detail: str,
    value: object = None,
    rule: str | None = None,
    shown: str | None = None,
) -> Problem:
    """``shown``: ``_show(info, value)`` when the caller has it already (its detail)."""
    if shown is None and value is not None:
        shown = _show(info, value)
    rule = rule or code
    message = (
        f"{info.wire}（{info.label}）：{PROBLEM_LABELS[code]}［{rule}］，{detail}（{info.source}）"
    )
    return _new_problem(info.wire, code, message, info.label, info.source, rule, shown)


def _required(info: _Field) -> Problem:
    return _problem(info, "required", "必填项缺失、为 null 或为空字符串")


def _wrong_type(info: _Field, value: object, expected: str) -> Problem:
    shown = _show(info, value)
    return _problem(
        info, "type", f"应为{expected}，实为{type_name(value)} {shown}", value, None, shown
    )


def _cannot_encode(value: str) -> bool:
    """True when UTF-8 cannot encode ``value``: it holds a lone surrogate (U+D800–U+DFFF)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unencodable(info: _Field, value: str) -> Problem:
    at = next(i for i, char in enumerate(value) if "\ud800" <= char <= "\udfff")
    detail = (
        f"第 {at + 1} 个字符 U+{ord(value[at]):04X} 是孤立的代理码点，UTF-8 无法编码，记录无法发送"
    )
    return _problem(info, "unencodable", detail, value)


def _too_long(info: _Field, value: str, limit: int, utf8: bool) -> Problem:
    if utf8:
        detail = f"UTF-8 长度 {len(value.encode('utf-8'))} 字节，超过 {limit} 字节"
    else:
        detail = f"长度 {len(value)} 超过 {limit} 个字符"
    return _problem(info, "max_length", detail, value)


def _too_small(info: _Field, value: float, limit: int) -> Problem:
    return _problem(info, "minimum", f"{value!r} 小于最小值 {limit}", value)


def _too_large(info: _Field, value: float, limit: int) -> Problem:
    return _problem(info, "maximum", f"{value!r} 大于最大值 {limit}", value)


def _negative(info: _Field, value: float) -> Problem:
    return _problem(info, "negative", f"{value!r} 为负数", value, "domain:non_negative")


def _bad_code(info: _Field, value: str, codeset: _Info) -> Problem:
    shown = _show(info, value)
    detail = f"{shown} 不是代码集“{codeset.label}”（{codeset.detail}）中的代码"
    return _problem(info, "code", detail, value, None, shown)


def _bad_format(info: _Field, value: str, fmt: _Info, rule: str) -> Problem:
    shown = _show(info, value)
    detail = f"{shown} 不符合{fmt.label}的格式：{fmt.detail}"
    return _problem(info, "format", detail, value, rule, shown)


def _bad_datetime(info: _Field, value: str) -> Problem:
    shown = _show(info, value)
    detail = f"{shown} 应为 {DATETIME_FORMAT} 格式的真实日期时间（{TIMEZONE_LABEL}）"
    return _problem(info, "datetime", detail, value, None, shown)


# The rule checks take the problem code they report from the generated code: each rule's
# code is a fact of the model (codegen.model.types, problem_codes.RULE_CODES).


def _required_if(info: _Field, code: str, rule: str, description: str) -> Problem:
    return _problem(info, code, description, None, rule)


def _is_blank(value: object) -> bool:
    return value is None or value == ""


def _any_part_in(value: object, separator: str, codes: tuple[str, ...]) -> bool:
    if not isinstance(value, str):
        return False
    if separator not in value:  # the common single value: no list to split
        return value in codes
    return any(part in codes for part in value.split(separator))


def _check_parts(
    problems: list[Problem],
    info: _Field,
    value: str,
    separator: str,
    codes: frozenset[str] | None,
    codeset: _Info | None,
    empty_parts: bool = True,
) -> None:
    if separator not in value:  # one part: it is empty only if the field is, which required handles
        if codes is not None and codeset is not None and value and value not in codes:
            problems.append(_bad_code(info, value, codeset))
        elif empty_parts and not value:
            problems.append(
                _problem(
                    info,
                    "list_part",
                    f"以 “{separator}” 分隔的 {_show(info, value)} 含有空项",
                    value,
                )
            )
        return
    parts = value.split(separator)
    if empty_parts and "" in parts:
        detail = f"以 “{separator}” 分隔的 {_show(info, value)} 含有空项"
        problems.append(_problem(info, "list_part", detail, value))
    if codes is not None and codeset is not None:
        for part in parts:
            if part and part not in codes:
                problems.append(_bad_code(info, part, codeset))


def _check_paired(
    problems: list[Problem],
    record: dict[object, object],
    first: _Field,
    second: _Field,
    separator: str,
    code: str,
    rule: str,
    description: str,
) -> None:
    a = record.get(first.wire)
    b = record.get(second.wire)
    if isinstance(a, str) and isinstance(b, str) and a and b:
        count_a = a.count(separator) + 1
        count_b = b.count(separator) + 1
        if count_a != count_b:
            detail = f"{description}；{first.wire} 有 {count_a} 项，{second.wire} 有 {count_b} 项"
            problems.append(_problem(second, code, detail, None, rule))


# ---------------------------------------------------------------- strict: domain checks


def _check_uscc(problems: list[Problem], info: _Field, value: str) -> None:
    why = uscc_problem(value)
    if why is not None:
        detail = f"{_show(info, value)} 不是有效的统一社会信用代码：{why}"
        problems.append(_problem(info, "check_digit", detail, value, "domain:uscc"))


def _check_region(problems: list[Problem], info: _Field, value: str) -> None:
    status = region_status(value)
    if status == "unknown":
        detail = f"{_show(info, value)} 不是 GB/T 2260 的行政区划代码"
        problems.append(_problem(info, "region", detail, value, "domain:region"))
    elif status == "abolished":
        detail = f"{_show(info, value)} 是 2019 年后撤销的区划代码，仅旧记录可用"
        problems.append(_problem(info, "region_abolished", detail, value, "domain:region"))


def _check_currency(problems: list[Problem], info: _Field, value: str) -> None:
    if not is_currency(value):
        detail = f"{_show(info, value)} 不是 GB/T 12406（ISO 4217）的货币字母代码"
        problems.append(_problem(info, "currency", detail, value, "domain:currency"))


def _check_mobile(problems: list[Problem], info: _Field, value: str) -> None:
    if not is_mobile(value):
        detail = f"{_show(info, value)} 不是 11 位手机号码"
        problems.append(_problem(info, "mobile", detail, value, "domain:mobile"))


def _check_zip(problems: list[Problem], info: _Field, value: str) -> None:
    if not is_zip_code(value):
        detail = f"{_show(info, value)} 不是 6 位数字邮政编码"
        problems.append(_problem(info, "zip", detail, value, "domain:zip"))


def _check_url(problems: list[Problem], info: _Field, value: str) -> None:
    if not is_url(value):
        detail = f"{_show(info, value)} 不是 http:// 或 https:// 开头的完整 URL"
        problems.append(_problem(info, "url", detail, value, "domain:url"))


def _check_non_negative(problems: list[Problem], info: _Field, value: float) -> None:
    if value < 0:
        problems.append(_negative(info, value))


def _check_json(problems: list[Problem], info: _Field, value: str) -> None:
    if not is_json_text(value):
        detail = f"{_show(info, value)} 不是有效的 JSON 文本"
        problems.append(_problem(info, "json", detail, value, "domain:json"))


# The domain checks as predicates, true when the check would find nothing: the generated
# validators' fast path (a value failing one goes through the _check_* above).
_ok_currency: Final = is_currency
_ok_json: Final = is_json_text
_ok_mobile: Final = is_mobile
_ok_url: Final = is_url
_ok_zip: Final = is_zip_code


def _ok_region(value: str) -> bool:
    return region_status(value) is None


def _ok_uscc(value: str) -> bool:
    return uscc_problem(value) is None


def _ok_non_negative(value: float) -> bool:
    return value >= 0


# ---------------------------------------------------------------- strict: cross-field rules


def _check_certificates(
    problems: list[Problem],
    record: dict[object, object],
    kinds: _Field,
    numbers: _Field,
    separator: str | None,
    id_types: tuple[str, ...],
    uscc_types: tuple[str, ...],
    codes: tuple[str, str],
    rule: str,
) -> None:
    """``codes``: what a bad ID number reports, and what a bad 统一社会信用代码 reports."""
    id_code, uscc_code = codes
    types = record.get(kinds.wire)
    values = record.get(numbers.wire)
    if not (isinstance(types, str) and isinstance(values, str) and types and values):
        return
    # Positions beyond the shorter list are paired_lists's concern, not this rule's.
    pairs = (
        zip(types.split(separator), values.split(separator), strict=False)
        if separator
        else [(types, values)]
    )
    for position, (kind, number) in enumerate(pairs, start=1):
        if kind in id_types:
            why = id_number_problem(number)
            if why is not None:
                where = f"第 {position} 项" if separator else ""
                detail = (
                    f"{where}证件类型 {kind} 为居民身份证，但 {_show(numbers, number)} 无效：{why}"
                )
                problems.append(_problem(numbers, id_code, detail, number, rule))
        elif kind in uscc_types:
            why = uscc_problem(number)
            if why is not None:
                where = f"第 {position} 项" if separator else ""
                detail = f"{where}证件类型 {kind} 为统一社会信用代码，但 {_show(numbers, number)} 无效：{why}"
                problems.append(_problem(numbers, uscc_code, detail, number, rule))


def _check_order(
    problems: list[Problem],
    record: dict[object, object],
    earlier: _Field,
    later: _Field,
    code: str,
    rule: str,
    description: str,
) -> None:
    a = record.get(earlier.wire)
    b = record.get(later.wire)
    # Fixed-width yyyy-MM-dd HH:mm:ss: string order is time order. The datetime pattern is
    # matched only when the order is wrong (rare), not twice on every record.
    if (
        isinstance(a, str)
        and isinstance(b, str)
        and b < a
        and _RE_DATETIME.fullmatch(a)
        and _RE_DATETIME.fullmatch(b)
    ):
        detail = f"{description}：{later.wire} 为 {b}，早于 {earlier.wire} 的 {a}"
        problems.append(_problem(later, code, detail, b, rule))


def _check_embedded_date(
    problems: list[Problem],
    record: dict[object, object],
    holder: _Field,
    source: _Field,
    offset: int,
    code: str,
    rule: str,
    description: str,
) -> None:
    text = record.get(holder.wire)
    moment = record.get(source.wire)
    if isinstance(text, str) and len(text) >= offset + 8 and isinstance(moment, str):
        embedded = text[offset : offset + 8]
        expected = moment[:10].replace("-", "")
        # The datetime pattern only when the dates differ (a valid moment is required).
        if embedded != expected and _RE_DATETIME.fullmatch(moment):
            detail = f"{description}：编号中为 {embedded}，{source.wire} 的日期为 {expected}"
            problems.append(_problem(holder, code, detail, text, rule))


def _check_prefix(
    problems: list[Problem],
    record: dict[object, object],
    holder: _Field,
    prefixes: tuple[_Field, ...],
    code: str,
    rule: str,
    description: str,
) -> None:
    text = record.get(holder.wire)
    if not isinstance(text, str):
        return
    for info in prefixes:  # the common case: it begins with a prefix given
        start = record.get(info.wire)
        if isinstance(start, str) and start and text.startswith(start):
            return
    given = [
        (info, start)
        for info in prefixes
        if isinstance(start := record.get(info.wire), str) and start
    ]
    # Passes when it begins with any prefix given; judged only when at least one is.
    if given and not any(text.startswith(start) for _, start in given):
        shown = " 或 ".join(f"{info.wire} {_show(info, start)}" for info, start in given)
        detail = f"{description}：{_show(holder, text)} 不以 {shown} 开头"
        problems.append(_problem(holder, code, detail, text, rule))


def _check_non_negative_fields(
    problems: list[Problem],
    record: dict[object, object],
    fields: tuple[_Field, ...],
    code: str,
    rule: str,
) -> None:
    for info in fields:
        value = record.get(info.wire)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            problems.append(_problem(info, code, f"{value!r} 为负数", value, rule))


def _not_object(info: _Field, value: object) -> Problem:
    message = f"{info.label}记录：{PROBLEM_LABELS['not_object']}［not_object］，应为 JSON 对象，实为{type_name(value)}（{info.source}）"
    return _new_problem(None, "not_object", message, None, info.source, "not_object", None)


def _unknown(key: object, input_names: Mapping[str, str], info: _Field) -> Problem:
    if isinstance(key, str) and (len(key) > 60 or _cannot_encode(key)):
        name = _show(info, key)  # escaped and truncated: the message stays printable and short
        detail = f"规范中没有字段 {name}"
    else:
        name = key if isinstance(key, str) else repr(key)
        detail = f"规范中没有字段 {name!r}"
    hint = input_names.get(key.casefold()) if isinstance(key, str) else None
    if hint is not None:
        detail += f"；应为 {hint!r}（可先用 normalize() 规范字段名）"
    message = (
        f"{name}：{PROBLEM_LABELS['unknown_field']}［unknown_field］，{detail}（{info.source}）"
    )
    return _new_problem(name, "unknown_field", message, None, info.source, "unknown_field", None)


def _as_dict(record: object) -> dict[object, object] | None:
    if isinstance(record, dict):
        return record
    if isinstance(record, Mapping):
        try:
            return dict(record)
        except Exception:  # a broken Mapping is judged "not an object", never raised
            return None
    return None


def _level(profile: str, length_unit: str) -> tuple[int, bool]:
    settings = _SETTINGS.get((profile, length_unit))
    if settings is not None:
        return settings
    if profile not in PROFILES:
        raise ValueError(
            f"未知的校验配置 {profile!r}（unknown profile）；应为 {', '.join(PROFILES)} 之一"
        )
    raise ValueError(f"未知的长度单位 {length_unit!r}；应为 {', '.join(LENGTH_UNITS)} 之一")
