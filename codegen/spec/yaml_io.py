"""Reading spec YAML and writing it back in the one canonical layout.

The canonical text is what ``yaml.dump`` gives for the documents' plain data with
our dumper: block style, two-space indent, unwrapped lines (so an edit to a
description is a one-line diff), and literal blocks for multi-line strings.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from codegen.spec.errors import SpecProblem


class _CanonicalDumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CanonicalDumper.add_representer(str, _represent_str)


def _indent_lists(dumper: type[yaml.SafeDumper]) -> None:
    """Indents list items under their key (``key:\\n  - item``), as editors do."""

    def increase_indent(self: Any, flow: bool = False, indentless: bool = False) -> Any:
        return yaml.SafeDumper.increase_indent(self, flow, False)

    dumper.increase_indent = increase_indent  # type: ignore[method-assign]


_indent_lists(_CanonicalDumper)


def dump_yaml(data: Any) -> str:
    text = yaml.dump(
        data,
        Dumper=_CanonicalDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
    return str(text)


# libyaml's parser when PyYAML was built with it: the spec loads several times faster.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that refuses a key repeated in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


#: Nesting a spec file may have (the deepest, a record's rule conditions, is 5).
MAX_DEPTH = 50
#: Characters of a plain number-like scalar (int() refuses more than 4300 digits).
MAX_NUMBER_CHARS = 1000
_NUMBER_LIKE = re.compile(r"[-+]?[0-9][0-9_:.]*")


def read_yaml(text: str, file: str, problems: list[SpecProblem]) -> Any:
    """Parses YAML; a syntax error, repeated key, anchor, alias or tag becomes a problem
    naming line and column.

    The events are checked before anything is composed: an alias bomb (aliases of
    aliases, each doubling the document) is refused at its first anchor, cheaply,
    and nesting is bounded. The canonical writer never emits anchors, aliases or tags.
    """
    try:
        refused = _refused_event(text)
        if refused is not None:
            where, message = refused
            problems.append(SpecProblem(file, where, message))
            return None
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        problems.append(
            SpecProblem(file, _where(exc.problem_mark), f"YAML 语法错误：{exc.problem}")
        )
    except yaml.YAMLError as exc:
        problems.append(SpecProblem(file, "(document)", f"YAML 语法错误：{exc}"))
    except (ValueError, OverflowError, RecursionError) as exc:
        problems.append(SpecProblem(file, "(document)", f"YAML 取值无法读取：{exc}"))
    return None


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(document)"


def _refused_event(text: str) -> tuple[str, str] | None:
    """(place, reason) of the first event a spec file may not have, or None."""
    depth = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        where = _where(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            return where, (
                f"YAML 别名 *{_short(event.anchor or '')} 不允许出现在规范文件中"
                "（规范的标准写法从不使用锚点与别名；请写出取值本身）"
            )
        if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            return where, (
                f"YAML 锚点 &{_short(event.anchor)} 不允许出现在规范文件中"
                "（规范的标准写法从不使用锚点与别名；请写出取值本身）"
            )
        if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)) and event.tag:
            return where, f"YAML 标签 {_short(event.tag)} 不允许出现在规范文件中"
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return where, f"嵌套超过 {MAX_DEPTH} 层"
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif (
            isinstance(event, yaml.ScalarEvent)
            and event.implicit[0]
            and len(event.value) > MAX_NUMBER_CHARS
            and _NUMBER_LIKE.fullmatch(event.value)
        ):
            return where, f"数值有 {len(event.value)} 个字符，超过 {MAX_NUMBER_CHARS} 个"
    return None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"
