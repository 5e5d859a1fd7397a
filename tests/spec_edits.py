"""Small edits to a copy of spec/, as a maintainer would make them, for spec-diff tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from codegen.spec.yaml_io import dump_yaml

Doc = dict[str, Any]


def edit(spec_dir: Path, rel: str, change: Callable[[Doc], None]) -> None:
    """Loads ``spec_dir/rel``, lets ``change`` mutate it, and writes it back canonically."""
    path = spec_dir / rel
    # libyaml's parser: the same data, several times faster than the pure-Python one
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    change(data)
    path.write_text(dump_yaml(data), encoding="utf-8")


def field(record: Doc, name: str) -> Doc:
    """The field's own mapping inside ``record``, to edit in place."""
    return item(record["fields"], "name", name)


def item(items: list[Doc], key: str, value: str) -> Doc:
    for entry in items:
        if entry[key] == value:
            return entry
    raise KeyError(value)
