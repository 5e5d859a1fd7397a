"""The Jinja environment, and black for the Python it renders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import black
import jinja2
from black.mode import Mode, TargetVersion
from black.parsing import InvalidInput

from codegen.black_cache import cached

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

# Generated code targets the oldest Python the package supports.
BLACK_MODE = Mode(target_versions={TargetVersion.PY310}, line_length=100)


def py_literal(value: Any) -> str:
    """A Python literal for a str/int/float/bool/None or a tuple/dict of them.

    ``repr`` quotes and escapes the standard's text (quotes, backslashes,
    Chinese punctuation) correctly; nothing is pasted into code unescaped.
    """
    if isinstance(value, (str, int, float, bool)) or value is None:
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(py_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Python literal for {type(value).__name__}")


def docstring_text(value: str) -> str:
    """Text safe inside a triple-quoted docstring (no backslash escapes, no closing quotes)."""
    return value.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def make_environment(
    templates_dir: Path = TEMPLATES_DIR, *, autoescape: bool = False
) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=autoescape,
    )
    env.filters["py"] = py_literal
    env.filters["doc"] = docstring_text
    # Text inside a "# …" comment: a line break would end the comment and start code.
    env.filters["comment"] = lambda v: " ".join(str(v).splitlines())
    env.filters["json_literal"] = lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
    return env


def make_html_environment(templates_dir: Path = TEMPLATES_DIR) -> jinja2.Environment:
    """The same environment with autoescaping on: the standard's text goes into HTML."""
    return make_environment(templates_dir, autoescape=True)


def format_python(source: str, name: str) -> str:
    """Formats rendered Python with black; a syntax error names the output file."""
    try:
        return cached(
            source, repr(BLACK_MODE), lambda text: black.format_str(text, mode=BLACK_MODE)
        )
    except InvalidInput as exc:
        raise RenderError(f"{name}: rendered Python is invalid: {exc}") from exc


class RenderError(Exception):
    """A target produced output that is not what its format requires (a generator bug)."""
