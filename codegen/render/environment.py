"""The Jinja environment, and black for the Python it renders."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from codegen.build_cache import DEFAULT_TEMPLATES_DIR as TEMPLATES_DIR
from codegen.build_cache import cache_root, generator_digest
from codegen.render import black_pieces
from codegen.render.black_cache import cached
from codegen.render.black_pieces import Piece, cut_module

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

    The module is formatted piece by piece (``codegen.render.black_pieces``), each piece
    cached by its text, and a long definition or literal run by run: an edit that changes
    one statement of a validator, or one row of a table, costs black's time for that run.
    The pieces are joined with the blank lines black puts there, so the result is black's
    output for the whole module (tests/test_render_pieces.py).
    """
    # An unchanged module is one lookup; a changed one is formatted piece by piece.
    return cached(source, _joined_key("whole"), lambda text: _format_pieces(text, name))


def _format_pieces(source: str, name: str) -> str:
    try:
        pieces = cut_module(source)
    except SyntaxError as exc:
        raise RenderError(f"{name}: rendered Python is invalid: {exc}") from exc
    return "".join("\n" * piece.blank + _format_piece(piece, name) for piece in pieces)


def _format_piece(piece: Piece, name: str) -> str:
    if piece.skeleton is None:
        return _cached_black(piece.text, name, 0)
    return cached(piece.text, _joined_key("runs"), lambda _: _from_skeleton(piece, name))


def _cached_black(source: str, name: str, indent: int) -> str:
    return cached(source, _mode_key(indent), lambda text: _black(text, name, indent))


def _from_skeleton(piece: Piece, name: str) -> str:
    """A piece formatted as its skeleton and its runs (black's output for it whole)."""
    skeleton = piece.skeleton
    assert skeleton is not None
    try:
        formatted = _cached_black(skeleton.text, name, 0)
        runs = [
            run.unwrap(_cached_black(run.source(), name, 0 if run.element else run.indent))
            for run in skeleton.runs
        ]
    except RenderError:
        return _black(piece.text, name)  # black reads a run alone otherwise: format it whole
    out: list[str] = []
    number = 0
    for line in formatted.splitlines(keepends=True):
        if number < len(runs) and line == skeleton.runs[number].placeholder(number):
            out.append(runs[number] or "")
            number += 1
        else:
            out.append(line)
    if number < len(runs) or None in runs:  # not as expected: never guess
        return _black(piece.text, name)
    return "".join(out)


def _joined_key(kind: str) -> str:
    """The key of a result joined from pieces or runs: black's mode and the code that cuts
    and joins, so a change to it never reuses what an earlier version joined (black's own
    output, for a piece or run, is keyed by its text and mode alone)."""
    return f"{_mode_key(0)} {kind} {_joining_digest()}"


@cache
def _joining_digest() -> str:
    digest = hashlib.sha256()
    for path in (Path(__file__), Path(black_pieces.__file__)):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _mode_key(indent: int) -> str:
    return f"line_length={BLACK_LINE_LENGTH - indent} target={BLACK_TARGET}"


def _black(source: str, name: str, indent: int = 0) -> str:
    """black's output for ``source`` as if it stood ``indent`` columns to the right."""
    import black
    from black.mode import Mode, TargetVersion
    from black.parsing import InvalidInput

    mode = Mode(
        target_versions={TargetVersion[BLACK_TARGET]}, line_length=BLACK_LINE_LENGTH - indent
    )
    try:
        return black.format_str(source, mode=mode)
    except InvalidInput as exc:
        raise RenderError(f"{name}: rendered Python is invalid: {exc}") from exc


class RenderError(Exception):
    """A target produced output that is not what its format requires (a generator bug)."""
