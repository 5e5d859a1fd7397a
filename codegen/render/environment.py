"""The Jinja environment, and black for the Python it renders."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import jinja2

from codegen.build_cache import DEFAULT_TEMPLATES_DIR as TEMPLATES_DIR
from codegen.build_cache import cache_root, generator_digest
from codegen.render.black_cache import cached

# Generated code targets the oldest Python the package supports (black's Mode, made when
# black is first needed: importing black costs a tenth of a second).
BLACK_LINE_LENGTH = 100
BLACK_TARGET = "PY310"


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
        bytecode_cache=_bytecode_cache(templates_dir),
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


def _bytecode_cache(templates_dir: Path) -> jinja2.BytecodeCache | None:
    """Compiled templates, kept per generator digest (the templates and Jinja's version)."""
    folder = cache_root() / "jinja" / generator_digest(templates_dir)[:16]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # no cache: only costs speed
    return jinja2.FileSystemBytecodeCache(str(folder))


def format_python(source: str, name: str) -> str:
    """Formats rendered Python with black; a syntax error names the output file.

    The module is formatted piece by piece (``top_level_pieces``), each piece cached by
    its text, so an edit that changes one function, class or constant costs black's time
    for that piece only. The pieces are joined with the blank lines black puts there, so
    the result is black's output for the whole module (tests/test_generated_quality.py
    runs ``black --check`` on the package).
    """
    mode_key = f"line_length={BLACK_LINE_LENGTH} target={BLACK_TARGET}"
    # An unchanged module is one lookup; a changed one is formatted piece by piece.
    return cached(source, f"{mode_key} whole", lambda text: _format_pieces(text, mode_key, name))


def _format_pieces(source: str, mode_key: str, name: str) -> str:
    try:
        pieces = top_level_pieces(source)
    except SyntaxError as exc:
        raise RenderError(f"{name}: rendered Python is invalid: {exc}") from exc
    return "".join(
        "\n" * blank_lines + cached(piece, mode_key, lambda text: _black(text, name))
        for blank_lines, piece in pieces
    )


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_ASSIGNMENTS = (ast.Assign, ast.AnnAssign)


def top_level_pieces(source: str) -> list[tuple[int, str]]:
    """``source`` cut where black's blank lines do not depend on what is around the cut:
    (blank lines before the piece, the piece).

    Cuts fall before and after each top-level function and class definition (black puts
    exactly two blank lines there) and between two top-level assignments (black keeps the
    blank lines the source has, at most two). A piece starts with the comment lines
    directly above its first statement, and a definition's with its decorators; other
    statements (the docstring, imports, ``if`` blocks) stay in the piece around them.
    """
    lines = source.splitlines(keepends=True)
    cuts: list[tuple[int, int]] = [(0, 0)]  # (line where a piece starts, blank lines before)
    previous: ast.stmt | None = None
    previous_end = 0  # the line after the previous statement (0-based)
    for node in ast.parse(source).body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
        while start > previous_end and lines[start - 1].lstrip().startswith("#"):
            start -= 1  # comments directly above belong to the statement
        if isinstance(node, _DEFINITIONS) or isinstance(previous, _DEFINITIONS):
            cuts.append((start, 2))
        elif isinstance(node, _ASSIGNMENTS) and isinstance(previous, _ASSIGNMENTS):
            blank = sum(1 for line in lines[previous_end:start] if not line.strip())
            cuts.append((start, min(blank, 2)))
        previous = node
        previous_end = node.end_lineno or node.lineno
    cuts.append((len(lines), 0))
    pieces: list[tuple[int, str]] = []
    for (start, blank), (end, _) in zip(cuts, cuts[1:], strict=False):
        piece = "".join(lines[start:end]).strip("\n")
        if piece.strip():
            pieces.append((blank if pieces else 0, piece + "\n"))
    return pieces


def _black(source: str, name: str) -> str:
    import black
    from black.mode import Mode, TargetVersion
    from black.parsing import InvalidInput

    mode = Mode(target_versions={TargetVersion[BLACK_TARGET]}, line_length=BLACK_LINE_LENGTH)
    try:
        return black.format_str(source, mode=mode)
    except InvalidInput as exc:
        raise RenderError(f"{name}: rendered Python is invalid: {exc}") from exc


class RenderError(Exception):
    """A target produced output that is not what its format requires (a generator bug)."""
