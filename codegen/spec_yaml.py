"""Reading spec YAML and writing it back in the one canonical layout.

The canonical text is what ``yaml.dump`` gives for the documents' plain data with
our dumper: block style, two-space indent, unwrapped lines (so an edit to a
description is a one-line diff), and literal blocks for multi-line strings.
"""

from __future__ import annotations

from typing import Any

import yaml

from codegen.problems import SpecProblem


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


def read_yaml(text: str, file: str, problems: list[SpecProblem]) -> Any:
    """Parses YAML; a syntax error or repeated key becomes a problem naming line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(document)"
        problems.append(SpecProblem(file, where, f"YAML 语法错误：{exc.problem}"))
    except yaml.YAMLError as exc:
        problems.append(SpecProblem(file, "(document)", f"YAML 语法错误：{exc}"))
    return None
