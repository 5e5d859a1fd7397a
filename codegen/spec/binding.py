"""Typed binding between YAML documents and frozen dataclasses.

The spec's file layout *is* the dataclasses in ``codegen.spec.documents``: their field
order is the canonical key order, and a field left at its default is omitted on
dump. Parsing collects every problem instead of stopping at the first, so a
maintainer sees all mistakes in one run.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, Union, cast, get_args, get_origin, get_type_hints

from codegen.spec.errors import SpecProblem
from codegen.spec.suggest import did_you_mean

T = TypeVar("T")

# Keys that identify an item in a list; used to make problem paths readable,
# e.g. ``fields[12]<ApplyDate>.type`` instead of ``fields[12].type``.
_ITEM_NAME_KEYS = ("id", "name", "code", "alias")


class Binder:
    """Parses raw YAML data into dataclasses, recording problems per file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[SpecProblem] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(SpecProblem(self.file, path, message))

    def parse(self, cls: type[T], data: object, path: str = "") -> T | None:
        """Returns an instance of ``cls`` or None when ``data`` is unusable."""
        if not isinstance(data, Mapping):
            self.problem(path or "(document)", f"应为映射（mapping），实为 {_kind(data)}")
            return None
        hints = _hints(cast(Any, cls))
        values: dict[str, Any] = {}
        ok = True
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        for key in data:
            if key not in known:
                # Reported, but the rest is still read: an unknown key must not hide the
                # problems after it (the spec fails to load either way).
                self.problem(
                    _join(path, str(key)),
                    f"未知的键 {str(key)!r}{did_you_mean(str(key), known)}；"
                    f"允许的键为 {', '.join(sorted(known))}",
                )
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            fpath = _join(path, f.name)
            has_default = (
                f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            )
            if f.name not in data:
                if not has_default:
                    self.problem(fpath, "缺少必需的键")
                    ok = False
                continue
            converted = self._convert(hints[f.name], data[f.name], fpath)
            if converted is _INVALID:
                ok = False
            else:
                values[f.name] = converted
        if not ok:
            return None
        return cls(**values)

    def _convert(self, hint: Any, value: object, path: str) -> Any:
        origin = get_origin(hint)
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(hint) if a is not type(None)]
            if value is None:
                return None
            return self._convert(args[0], value, path)
        if origin is tuple:
            item_type = get_args(hint)[0]
            if not isinstance(value, list):
                self.problem(path, f"应为列表，实为 {_kind(value)}")
                return _INVALID
            items = []
            bad = False
            for i, item in enumerate(value):
                ipath = f"{path}[{i}]{_item_name(item)}"
                converted = self._convert(item_type, item, ipath)
                if converted is _INVALID:
                    bad = True
                else:
                    items.append(converted)
            return _INVALID if bad else tuple(items)
        if origin is typing.Literal:
            allowed = get_args(hint)
            if value not in allowed:
                self.problem(path, f"取值 {value!r} 不在 {', '.join(map(repr, allowed))} 之中")
                return _INVALID
            return value
        if dataclasses.is_dataclass(hint):
            parsed = self.parse(hint, value, path)  # type: ignore[arg-type]
            return _INVALID if parsed is None else parsed
        if hint is bool:
            if not isinstance(value, bool):
                self.problem(path, f"应为 true 或 false，实为 {_kind(value)}")
                return _INVALID
            return value
        if hint is int:
            if isinstance(value, bool) or not isinstance(value, int):
                self.problem(path, f"应为整数，实为 {_kind(value)}")
                return _INVALID
            return value
        if hint is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.problem(path, f"应为数值，实为 {_kind(value)}")
                return _INVALID
            return value
        if hint is str:
            if not isinstance(value, str):
                # YAML reads 01 as 1 and yes as True: codes must be quoted.
                self.problem(path, f"应为字符串（需加引号），实为 {_kind(value)} {value!r}")
                return _INVALID
            return value
        raise TypeError(f"unsupported type hint {hint!r} at {path}")  # a bug in spec_docs


class _Invalid:
    pass


_INVALID: Any = _Invalid()


def dump(obj: object) -> Any:
    """Turns a spec dataclass back into plain data in canonical key order."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if f.default is not dataclasses.MISSING and value == f.default:
                continue
            if f.default_factory is not dataclasses.MISSING and value == f.default_factory():
                continue
            out[f.name] = dump(value)
        return out
    if isinstance(obj, tuple):
        return [dump(item) for item in obj]
    return obj


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _item_name(item: object) -> str:
    if isinstance(item, Mapping):
        for key in _ITEM_NAME_KEYS:
            value = item.get(key)
            if isinstance(value, str):
                return f"<{value}>"
    return ""


def _kind(value: object) -> str:
    if value is None:
        return "空值（null）"
    return {
        bool: "布尔值",
        int: "整数",
        float: "小数",
        str: "字符串",
        list: "列表",
        dict: "映射",
    }.get(type(value), type(value).__name__)


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    """A document class's resolved field types, once per class (get_type_hints is slow and
    a spec has thousands of documents)."""
    return get_type_hints(cls)
